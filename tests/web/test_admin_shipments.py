"""The admin shipments view: filters, the problems view, search, paging, counts,
on-time rates on hand-made data, store isolation and readable refusals."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from afterward.storage.types import utcnow
from afterward.tracking.models import Shipment
from afterward.tracking.service import new_token
from tests.web.helpers import make_admin, place_order, sign_in

NOW = utcnow()


@pytest.fixture
def signed_in(client, db, store):
    make_admin(db)
    sign_in(client)
    return client


def add(db, store_id: int, number: str, *, status: str = "in_transit", carrier: str = "dhl",
        order_id: int | None = None, promised: datetime | None = None,
        estimated: datetime | None = None, delivered: datetime | None = None,
        last_event: datetime | None = None, lane: tuple[str, str] = ("DE", "FR"),
        direction: str = "outbound", reason: str | None = None) -> int:
    # The flags are the verdicts the ETA code stores; here, as it would have stored them
    # for these rows: the promise passed (delayed), no scan for 3+ days (stalled).
    last_event = last_event or delivered or NOW - timedelta(hours=2)
    delayed_at = NOW if promised is not None and promised < NOW else None
    stalled_at = NOW if last_event < NOW - timedelta(days=3) else None
    with db.transaction() as session:
        shipment = Shipment(delayed_at=delayed_at, stalled_at=stalled_at,
            store_id=store_id, order_id=order_id, token=new_token(), status=status,
            carrier=carrier, tracking_number=number, promised_at=promised,
            carrier_estimated_at=estimated, delivered_at=delivered,
            last_event_at=last_event,
            last_message=f"{status} scan", origin_region=lane[0], destination_region=lane[1],
            direction=direction, exception_reason=reason)
        session.add(shipment)
        session.flush()
        return shipment.id


def days(n: float) -> datetime:
    return NOW - timedelta(days=n)


def numbers(html: str) -> list[str]:
    return re.findall(r'<th scope="row" data-label="Tracking number">([^<]+)<br>', html)


def table(html: str, table_id: str) -> dict[str, list[str]]:
    body = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert body, f"no table {table_id}"
    rows = re.findall(r'<tr data-key="([^"]+)">(.*?)</tr>', body.group(0), re.S)
    return {key: [re.sub(r"<[^>]+>", "", cell).strip()
                  for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", cells, re.S)]
            for key, cells in rows}


def figure(html: str, name: str) -> str:
    match = re.search(rf'id="count-{name}">(?:<a [^>]+>)?(\d+)<', html)
    assert match, f"no figure {name}"
    return match.group(1)


# ---------------------------------------------------------------- the list

def test_the_list_shows_the_stores_shipments_newest_first_each_linking_to_its_order(
        signed_in, db, store):
    order = place_order(signed_in, store.auth, "1001")
    add(db, store.id, "1ZFIRST", carrier="ups", order_id=order["id"], lane=("US", "US"))
    add(db, store.id, "3SSECOND", carrier="postnl", status="out_for_delivery")

    page = signed_in.get("/admin/shipments")

    assert page.status_code == 200
    assert numbers(page.text) == ["3SSECOND", "1ZFIRST"]
    assert f'<a href="/admin/orders/{order["id"]}">1001</a>' in page.text
    assert '<span class="muted">UPS</span>' in page.text
    assert '<td data-label="Lane" class="lane">US → US</td>' in page.text
    assert '<a href="/admin/shipments" aria-current="page">Shipments</a>' in page.text


def test_the_list_counts_each_status_and_the_flags(signed_in, db, store):
    add(db, store.id, "A1", status="in_transit")
    add(db, store.id, "A2", status="in_transit", promised=days(1))  # delayed
    add(db, store.id, "A3", status="in_transit", last_event=days(4))  # stalled
    add(db, store.id, "A4", status="delivered", delivered=days(1))
    add(db, store.id, "A5", status="exception", reason="Held in customs")

    page = signed_in.get("/admin/shipments")

    counts = re.findall(r'<span class="badge badge-([a-z-]+)">[^<]+</span> '
                        r'<span class="count">(\d+)</span>', page.text)
    assert counts == [("in-transit", "3"), ("delivered", "1"), ("exception", "1")]
    assert [figure(page.text, n) for n in ("problems", "delayed", "stalled", "total")] == [
        "3", "1", "1", "5"]
    assert "Held in customs" in page.text


@pytest.mark.parametrize(("params", "expected"), [
    ({"status": "exception"}, ["E1"]),
    ({"status": "delivered"}, ["D2", "D1"]),
    ({"carrier": "ups"}, ["D2", "S1"]),
    ({"carrier": "UPS"}, ["D2", "S1"]),
    ({"carrier": "fedex"}, []),
    ({"show": "problems"}, ["R1", "F1", "E1", "S1", "L1"]),
    ({"show": "delayed"}, ["L1"]),
    ({"show": "stalled"}, ["S1"]),
    ({"show": "exception"}, ["E1"]),
    ({"show": "problems", "carrier": "ups"}, ["S1"]),
    ({"show": "all", "status": "in_transit", "carrier": "dhl"}, ["L1", "OK"]),
])
def test_filters_narrow_the_list(signed_in, db, store, params, expected):
    add(db, store.id, "OK", status="in_transit", promised=NOW + timedelta(days=2))
    add(db, store.id, "L1", status="in_transit", promised=days(1))  # late: delayed
    add(db, store.id, "S1", status="info_received", carrier="ups", last_event=days(5))
    add(db, store.id, "E1", status="exception", reason="Damaged")
    add(db, store.id, "F1", status="failed_attempt")
    add(db, store.id, "R1", status="returned_to_sender", promised=days(9))
    add(db, store.id, "D1", status="delivered", promised=days(9), delivered=days(8))
    add(db, store.id, "D2", status="delivered", carrier="ups", delivered=days(3))

    page = signed_in.get("/admin/shipments", params=params)

    assert page.status_code == 200
    assert numbers(page.text) == expected
    if not expected:
        assert "No shipment matches these filters." in page.text


def test_flags_show_on_their_rows(signed_in, db, store):
    add(db, store.id, "L1", status="in_transit", promised=days(1), last_event=days(4))

    page = signed_in.get("/admin/shipments")

    assert ('in transit</span> <span class="badge badge-delayed">delayed</span> '
            '<span class="badge badge-stalled">stalled</span>') in page.text


@pytest.mark.parametrize(("query", "expected"), [
    ("1Z999AA10123456784", ["1Z999AA10123456784"]),
    ("1z999aa1 0123456784", ["1Z999AA10123456784"]),
    ("1Z999", ["1Z999BB20000000001", "1Z999AA10123456784"]),
    ("1001", ["1Z999AA10123456784"]),
    ("#1002", ["1Z999BB20000000001"]),
    ("1Z9", []),  # a prefix needs four characters
    ("%", []),
])
def test_search_finds_a_tracking_number_or_an_order_number(signed_in, db, store, query,
                                                           expected):
    first = place_order(signed_in, store.auth, "1001")
    second = place_order(signed_in, store.auth, "#1002")
    add(db, store.id, "1Z999AA10123456784", order_id=first["id"])
    add(db, store.id, "1Z999BB20000000001", order_id=second["id"])
    add(db, store.id, "3SOTHER", carrier="postnl")

    page = signed_in.get("/admin/shipments", params={"q": query})

    assert numbers(page.text) == expected


def test_pages_go_back_in_time_and_keep_the_filters(signed_in, db, store):
    ids = [add(db, store.id, f"N{n:02d}") for n in range(27)]
    add(db, store.id, "ELSEWHERE", carrier="ups")

    first = signed_in.get("/admin/shipments", params={"carrier": "dhl", "period": "30"})
    next_link = re.search(r'<a rel="next" href="([^"]+)"', first.text).group(1)
    second = signed_in.get(next_link.replace("&amp;", "&"))

    assert numbers(first.text) == [f"N{n:02d}" for n in range(26, 1, -1)]
    assert next_link == f"/admin/shipments?carrier=dhl&amp;period=30&amp;before={ids[2]}"
    assert numbers(second.text) == ["N01", "N00"]
    assert 'rel="next"' not in second.text
    assert '<a href="/admin/shipments?carrier=dhl&amp;period=30">First page</a>' in second.text


def test_an_empty_store_says_so(signed_in):
    page = signed_in.get("/admin/shipments")

    assert page.status_code == 200
    assert "No shipments yet." in page.text
    assert '<p class="empty" id="no-deliveries">No deliveries in this period.</p>' in page.text
    assert figure(page.text, "total") == "0"


# ---------------------------------------------------------------- on-time rates

@pytest.fixture
def deliveries(db, store):
    add(db, store.id, "DHL-ON-TIME", status="delivered", promised=days(5), delivered=days(6))
    add(db, store.id, "DHL-LATE", status="delivered", promised=days(5), delivered=days(4))
    add(db, store.id, "DHL-BY-ESTIMATE", status="delivered", estimated=days(3),
        delivered=days(3) - timedelta(hours=1))
    add(db, store.id, "DHL-NO-PROMISE", status="delivered", delivered=days(2))
    add(db, store.id, "UPS-LATE", status="delivered", carrier="ups", lane=("US", "US"),
        promised=days(10), delivered=days(9))
    add(db, store.id, "UPS-TO-THE-SECOND", status="delivered", carrier="ups", lane=("US", "US"),
        promised=days(1), delivered=days(1))
    add(db, store.id, "UPS-LAST-YEAR", status="delivered", carrier="ups", lane=("US", "US"),
        promised=days(200), delivered=days(201))
    add(db, store.id, "DPD-NO-PROMISE", status="delivered", carrier="dpd", lane=("DE", "AT"),
        delivered=days(1))
    # Not counted: a return parcel, and a parcel still on its way past its promise.
    add(db, store.id, "DHL-RETURN", status="delivered", direction="return", promised=days(9),
        delivered=days(8))
    add(db, store.id, "DHL-LATE-ON-ITS-WAY", status="in_transit", promised=days(2))


def test_on_time_rates_per_carrier_count_promises_then_carrier_estimates(signed_in,
                                                                         deliveries):
    page = signed_in.get("/admin/shipments")

    assert table(page.text, "on-time-carriers") == {
        "dhl": ["DHL Express", "4", "2", "1", "1", "66.7%"],
        "ups": ["UPS", "2", "1", "1", "0", "50.0%"],
        "dpd": ["dpd", "1", "0", "0", "1", "—"],
    }


def test_on_time_rates_per_lane(signed_in, deliveries):
    page = signed_in.get("/admin/shipments")

    assert table(page.text, "on-time-lanes") == {
        "DE → FR": ["DE → FR", "4", "2", "1", "1", "66.7%"],
        "US → US": ["US → US", "2", "1", "1", "0", "50.0%"],
        "DE → AT": ["DE → AT", "1", "0", "0", "1", "—"],
    }


@pytest.mark.parametrize(("period", "ups"), [
    ("30", ["UPS", "2", "1", "1", "0", "50.0%"]),
    ("365", ["UPS", "3", "2", "1", "0", "66.7%"]),
    ("all", ["UPS", "3", "2", "1", "0", "66.7%"]),
])
def test_the_on_time_period_reaches_back_as_far_as_chosen(signed_in, deliveries, period, ups):
    page = signed_in.get("/admin/shipments", params={"period": period})

    assert table(page.text, "on-time-carriers")["ups"] == ups
    assert f'href="/admin/shipments?period={period}#on-time" aria-current="true"' in page.text


def test_the_chart_draws_one_bar_per_carrier_as_wide_as_its_rate(signed_in, deliveries):
    page = signed_in.get("/admin/shipments")
    chart = re.search(r'<svg class="bars" id="on-time-chart".*?</svg>', page.text, re.S).group(0)

    assert re.findall(r'class="bar-fill" x="0" y="\d+" width="([\d.]+)"', chart) == [
        "240.0", "180.0"]  # two thirds and a half of 360
    assert re.findall(r'<text class="bar-label"[^>]*>([^<]+)<', chart) == [
        "DHL Express", "UPS", "dpd"]
    assert re.findall(r'<text class="bar-value"[^>]*>([^<]+)<', chart) == [
        "66.7%", "50.0%", "—"]
    assert 'role="img" aria-labelledby="on-time-chart-title"' in chart


# ---------------------------------------------------------------- isolation

def test_another_stores_shipments_never_show_or_count(signed_in, db, store, make_store):
    other = make_store("other")
    add(db, store.id, "MINE")
    add(db, other.id, "THEIRS", carrier="ups", status="exception")
    add(db, other.id, "THEIRS-DELIVERED", carrier="ups", status="delivered", promised=days(3),
        delivered=days(4))

    everything = signed_in.get("/admin/shipments")
    searched = signed_in.get("/admin/shipments", params={"q": "THEIRS"})
    problems = signed_in.get("/admin/shipments", params={"show": "problems"})

    assert numbers(everything.text) == ["MINE"]
    assert figure(everything.text, "total") == "1"
    assert "UPS" not in everything.text  # neither in the rates nor among the carriers offered
    assert numbers(searched.text) == []
    assert numbers(problems.text) == []


def test_an_order_of_another_store_is_never_joined_to_a_shipment(signed_in, db, store,
                                                                 make_store):
    other = make_store("other")
    theirs = place_order(signed_in, other.auth, "7777")
    add(db, store.id, "MINE", order_id=theirs["id"])  # a forged link across stores

    page = signed_in.get("/admin/shipments", params={"q": "7777"})

    assert numbers(page.text) == []
    assert "/admin/orders/" not in signed_in.get("/admin/shipments").text


def test_the_view_needs_a_signed_in_admin(client, db, store):
    page = client.get("/admin/shipments?show=problems", follow_redirects=False)

    assert page.status_code == 303
    assert page.headers["location"] == "/admin/login?next=%2Fadmin%2Fshipments%3Fshow%3Dproblems"


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize(("params", "message"), [
    ({"status": "lost_in_space"},
     "There is no shipment status “lost_in_space”. Pick one from the list."),
    ({"carrier": "dhl'; drop table shipments;--"},
     "A carrier code has up to 32 letters, digits, dashes or underscores."),
    ({"carrier": "x" * 33}, "A carrier code has up to 32 letters, digits, dashes or underscores."),
    ({"show": "everything"}, "“everything” is not a view of this list. Pick one from the list."),
    ({"period": "7"}, "The on-time period must be 30, 90 or 365 days, or all time."),
    ({"before": "abc"}, "That page link is not valid. Start again from the first page."),
    ({"before": "0"}, "That page link is not valid. Start again from the first page."),
    ({"before": "9" * 30}, "That page link is not valid. Start again from the first page."),
    ({"before": "-5"}, "That page link is not valid. Start again from the first page."),
])
def test_a_bad_filter_gives_a_readable_page_not_an_error(signed_in, db, store, params,
                                                         message):
    add(db, store.id, "MINE")

    page = signed_in.get("/admin/shipments", params=params)

    assert page.status_code == 400
    assert f'<div class="alert" role="alert" id="filter-problem">{message}</div>' in page.text
    assert numbers(page.text) == []
    assert figure(page.text, "total") == "1"  # the rest of the page still works


def test_a_hostile_filter_value_is_shown_escaped(signed_in):
    page = signed_in.get("/admin/shipments", params={"status": "<script>alert(1)</script>"})

    assert page.status_code == 400
    assert "There is no shipment status “&lt;script&gt;alert(1)&lt;/script&gt;”." in page.text
    assert "<script>alert(1)" not in page.text


def test_a_search_longer_than_200_characters_is_refused_politely(signed_in):
    page = signed_in.get("/admin/shipments", params={"q": "x" * 201})

    assert page.status_code == 400
    assert "Something in the request was not right" in page.text
