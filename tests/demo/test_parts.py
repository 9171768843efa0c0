"""The demo generator's pure parts: no database."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import numpy as np
import phonenumbers
import pytest

from afterward.demo import (
    agenda,
    baskets,
    history,
    images,
    parcels,
    people,
    replay,
    timeline,
)
from afterward.demo.catalog import CATEGORIES, PRODUCTS, VARIANT_SETS
from afterward.tracking.statuses import Status

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def test_the_catalogue_has_six_categories_and_unique_skus():
    variants = history.catalogue_variants(PRODUCTS)

    assert len(PRODUCTS) == 83
    assert len(variants) == sum(len(VARIANT_SETS[p.variants]) for p in PRODUCTS) == 176
    assert {p.category for p in PRODUCTS} == set(CATEGORIES)
    assert len({v.sku for v in variants}) == len(variants)
    assert all(v.price_minor > 0 for v in variants)


def test_bigger_variants_cost_more_and_end_in_90_cents():
    beans = [v for v in history.catalogue_variants(PRODUCTS) if v.sku.startswith("CT-01-")]

    assert [(v.sku, v.price_minor) for v in beans] == [
        ("CT-01-250-WB", 1290), ("CT-01-250-GR", 1290), ("CT-01-1KG-WB", 4390),
        ("CT-01-1KG-GR", 4390)]


def test_ups_numbers_carry_the_published_check_digit():
    # 1Z999AA10123456784 is UPS's own example tracking number.
    assert parcels.ups_check_digit("999AA1012345678") == 4


def test_gs1_check_digit_matches_a_known_ean():
    assert parcels.mod10_check_digit("400638133393") == 1


def test_s10_check_digit_matches_the_upu_example():
    assert parcels.s10_check_digit("12345678") == 5


@pytest.mark.parametrize("carrier,country,pattern", [
    ("ups", "US", r"^1Z[A-Z]{2}4E9F03\d{8}$"),
    ("usps", "US", r"^9400111\d{15}$"),
    ("royal-mail", "GB", r"^[A-Z]{2}\d{9}GB$"),
    ("postnl", "NL", r"^3SNWG[A-Z]{2}\d{8}$"),
    ("dpd", "DE", r"^0\d{13}$"),
    ("colissimo", "FR", r"^6A\d{11}$"),
    ("dhl", "DE", r"^00340434\d{12}$"),
    ("dhl", "BR", r"^\d{10}$"),
])
def test_tracking_numbers_look_like_the_carriers_own(carrier, country, pattern):
    number = parcels.tracking_number(carrier, country, np.random.default_rng(1))

    assert re.match(pattern, number), number


def test_tracking_numbers_validate_with_their_check_digits():
    rng = np.random.default_rng(2)
    ups = parcels.tracking_number("ups", "DE", rng)
    usps = parcels.tracking_number("usps", "US", rng)
    royal = parcels.tracking_number("royal-mail", "GB", rng)
    dhl = parcels.tracking_number("dhl", "DE", rng)

    assert int(ups[-1]) == parcels.ups_check_digit(ups[2:-1])
    assert int(usps[-1]) == parcels.mod10_check_digit(usps[:-1])
    assert int(royal[10]) == parcels.s10_check_digit(royal[2:10])
    assert int(dhl[-1]) == parcels.mod10_check_digit(dhl[:-1])


def test_black_week_runs_from_black_friday_to_cyber_monday():
    assert not timeline.is_black_week(date(2025, 11, 27))
    assert timeline.is_black_week(date(2025, 11, 28))  # the fourth Friday
    assert timeline.is_black_week(date(2025, 12, 1))
    assert not timeline.is_black_week(date(2025, 12, 2))
    assert timeline.is_black_week(date(2024, 11, 29))


def test_trade_averages_one_and_peaks_before_christmas():
    trade = timeline.trade_per_day(date(2025, 1, 1), 365)

    assert trade.mean() == pytest.approx(1.0)
    november = trade[304:334].mean()
    july = trade[181:212].mean()
    assert november > 1.5 * july


def test_simulate_gives_exactly_the_orders_asked_and_everyone_buys_once():
    bought = timeline.simulate(200, 700, start=date(2024, 1, 1), days=730,
                               rng=np.random.default_rng(3))

    assert len(bought.day) == 700
    assert sorted(set(bought.customer.tolist())) == list(range(200))
    assert (bought.rank == 0).sum() == 200
    assert bought.day.min() >= 0 and bought.day.max() <= 729


def test_simulate_refuses_fewer_orders_than_customers():
    with pytest.raises(ValueError, match="orders >= customers"):
        timeline.simulate(10, 9, start=date(2024, 1, 1), days=730, rng=np.random.default_rng(0))


def test_a_customers_purchases_come_in_time_order():
    bought = timeline.simulate(100, 400, start=date(2024, 1, 1), days=730,
                               rng=np.random.default_rng(4))

    for c in range(100):
        days = bought.day[bought.customer == c]
        assert list(days) == sorted(days)


def test_baskets_have_one_to_four_distinct_lines():
    rng = np.random.default_rng(5)
    catalogue = baskets.Catalogue(PRODUCTS, rng)
    customer = np.repeat(np.arange(50), 4)
    lines = baskets.make_lines(catalogue, customer, np.tile(np.arange(4), 50),
                               baskets.customer_tastes(50, rng), rng)

    per_order = np.bincount(lines.order, minlength=200)
    assert per_order.min() >= 1 and per_order.max() <= 4
    pairs = list(zip(lines.order.tolist(), lines.product.tolist(), lines.variant.tolist(),
                     strict=True))
    assert len(pairs) == len(set(pairs))
    assert lines.quantity.min() >= 1


def test_people_have_unique_emails_on_reserved_domains_and_valid_phones():
    who = people.make_people(400, np.random.default_rng(6), today=date(2026, 1, 1))

    assert len(set(who.email)) == 400
    assert all(e.rsplit("@", 1)[1] in people.EMAIL_DOMAINS for e in who.email)
    phones = [p for p in who.phone if p]
    assert 100 < len(phones) < 300
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(p)) for p in phones)
    assert {"de", "fr", "en", "pt_BR"} <= set(who.locale)


def test_a_parcels_scans_run_forward_from_label_to_the_end_of_the_journey():
    rng = np.random.default_rng(8)
    ends = set()
    for i in range(600):
        country = list(parcels.LANES)[i % len(parcels.LANES)]
        parcel = parcels.journey(
            placed=NOW + timedelta(hours=7 * i), country=country, city="Town",
            zone=parcels.zone_named("Europe/Berlin"), signer="A. Test", u=rng.random(20),
            z=float(rng.standard_normal()), rng=rng)
        times = [s.at for s in parcel.scans]
        assert times == sorted(times)
        assert parcel.scans[0].status is Status.info_received
        assert parcel.scans[0].at > NOW + timedelta(hours=7 * i)
        ends.add(parcel.scans[-1].status)
    assert Status.delivered in ends
    assert ends <= {Status.delivered, Status.returned_to_sender}


def test_the_same_seed_generates_the_same_history():
    first = history.generate(customers=60, orders=200, seed=11, now=NOW)
    second = history.generate(customers=60, orders=200, seed=11, now=NOW)

    assert [o["placed_at"] for o in first.orders] == [o["placed_at"] for o in second.orders]
    assert [o["total_minor"] for o in first.orders] == [o["total_minor"] for o in second.orders]
    assert [s["parcel"].tracking_number for s in first.shipments] == [
        s["parcel"].tracking_number for s in second.shipments]


def test_the_agenda_hands_out_the_history_in_time_order_and_stops_only_for_loud_events():
    trade = history.generate(customers=20, orders=40, seed=5, now=NOW, days=60)
    plan = agenda.of_history(trade)
    first_order = min(o["placed_at"] for o in trade.orders)

    assert plan.next_at() == first_order  # a sign-up is quiet: no journey starts from it
    happened = plan.due(first_order) + plan.due(NOW)

    assert len(plan) == 0 and plan.next_at() is None
    assert [h.at for h in happened] == sorted(h.at for h in happened)
    cancelled = sum(1 for o in trade.orders if o["cancelled_at"] is not None)
    scans = sum(len(s["scans"]) for s in trade.shipments)
    steps = sum(1 + (r["reviewed_at"] <= NOW) + (r["received_at"] is not None
                                                  and r["received_at"] <= NOW)
                for r in trade.returns)
    assert trade.returns
    assert len(happened) == 20 + 40 + cancelled + scans + len(trade.refunds) + steps
    assert sum(1 for h in happened if h.kind is agenda.Kind.customer) == 20


def test_the_clock_stops_for_orders_parcels_refunds_and_returns_but_not_a_scan_in_the_same_status():
    trade = history.generate(customers=20, orders=40, seed=5, now=NOW, days=60)
    plan = agenda.of_history(trade)
    stops = []
    while plan.next_at() is not None:
        stops.append(plan.next_at())
        plan.due(stops[-1])

    loud = {o["placed_at"] for o in trade.orders}
    loud |= {o["cancelled_at"] for o in trade.orders if o["cancelled_at"] is not None}
    loud |= {scan.at for s in trade.shipments for n, scan in enumerate(s["scans"])
             if n == 0 or scan.status != s["scans"][n - 1].status}
    loud |= {refund["at"] for refund in trade.refunds}
    for row in trade.returns:  # requested, looked at, received: each a step of the service
        loud |= {row["at"]} | {row[k] for k in ("reviewed_at", "received_at")
                               if row[k] is not None and row[k] <= NOW}
    quiet = {scan.at for s in trade.shipments for n, scan in enumerate(s["scans"])
             if n > 0 and scan.status == s["scans"][n - 1].status}
    assert stops == sorted(loud)
    assert quiet - loud  # there were scans the clock did not stop for


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, 15, tzinfo=UTC) + timedelta(hours=hour, minutes=minute)


@pytest.mark.parametrize(("happening", "job_due", "stop"), [
    (at(4, 20), None, at(6)),  # what happens waits for the end of its three hours...
    (at(4, 20), at(5), at(5)),  # ... or for a job due sooner, which runs at its hour
    (at(4, 20), at(4, 10), at(5)),  # a job due meanwhile: the next whole hour
    (None, None, at(12)),  # nothing: the scans
    (at(11, 30), at(11, 30), at(12)),
])
def test_the_clock_stops_at_due_jobs_and_the_scans_and_within_three_hours_of_events(
        happening, job_due, stop):
    plan = agenda.Agenda()
    if happening is not None:
        plan.add(happening, agenda.Kind.order, 0)
    work = SimpleNamespace(next_scan=at(12), plan=plan, job_due=job_due)

    assert replay.next_moment(work, after=at(4), end=NOW) == stop
    assert replay.next_moment(work, after=at(4), end=at(5, 30)) == min(stop, at(5, 30))


def test_an_order_added_in_answer_to_a_message_comes_with_its_basket_and_parcel():
    trade = history.generate(customers=20, orders=40, seed=5, now=NOW, days=60)
    placed = NOW - timedelta(days=20)

    index = history.add_order(trade, customer=3, placed_at=placed, rng=np.random.default_rng(1))

    assert (index, len(trade.orders)) == (40, 41)
    order = trade.orders[index]
    assert (order["customer"], order["placed_at"]) == (3, placed)
    lines = [line for line in trade.lines if line["order"] == index]
    assert 1 <= len(lines) <= 4
    assert order["subtotal_minor"] == sum(line["total_minor"] for line in lines)
    [shipment] = [s for s in trade.shipments if s["order"] == index]
    assert shipment["scans"][0].at > placed and shipment["scans"][-1].at <= NOW


def test_a_product_picture_is_an_svg_with_the_products_initials():
    svg = images.product_svg("House Espresso Blend", "Coffee & Tea")

    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert ">HE</text>" in svg
    assert "#6f4e37" in svg


def test_a_product_picture_escapes_its_title():
    svg = images.product_svg('<script>alert("x")</script>', None)

    assert "<script" not in svg
    assert "&lt;script&gt;alert(" in svg


def test_a_logo_refuses_a_colour_that_is_not_a_colour():
    svg = images.logo_svg("Acme", '"/><script>', "#E07A1F")

    assert "<script" not in svg
    assert 'fill="#1f3a5f"' in svg
    assert ">A</text>" in svg
