from __future__ import annotations

import re
from datetime import timedelta

import pytest

from afterward.jobs import Job
from afterward.storage.types import utcnow
from tests.web.helpers import add_shipment, csrf_of, make_admin, place_order, sign_in


@pytest.fixture
def signed_in(client, db, store):
    make_admin(db)
    sign_in(client)
    return client


def recent(days_ago: int = 1) -> str:
    return (utcnow() - timedelta(days=days_ago)).isoformat()


def row_numbers(html: str) -> list[str]:
    return re.findall(r'<a href="/admin/orders/\d+">([^<]+)</a>', html)


def test_the_dashboard_counts_the_last_30_days(signed_in, db, store):
    place_order(signed_in, store.auth, "1001", placed_at=recent(2))
    place_order(signed_in, store.auth, "1002", placed_at=recent(40))
    second = place_order(signed_in, store.auth, "1003", placed_at=recent(1),
                         customer={"email": "bob@example.com", "first_name": "Bob"},
                         email="bob@example.com")
    add_shipment(signed_in, store.auth, second["id"], "1Z999", status="in_transit")
    add_shipment(signed_in, store.auth, second["id"], "1Z998", status="delivered")
    add_shipment(signed_in, store.auth, second["id"], "1Z997", status="delivered")
    with db.transaction() as session:
        session.add(Job(kind="email.send", store_id=store.id, status="dead", payload={}))

    page = signed_in.get("/admin")

    assert page.status_code == 200
    assert '<span class="figure-value" id="orders-total">2</span>' in page.text
    # Two orders of 34.95 EUR each (the factory's lines plus shipping), shown in an en store.
    assert '<span class="amount">€69.90</span>' in page.text
    # The order 40 days ago is in the 30 days before: twice as many orders now.
    assert "+100.0% on the previous 30 days" in page.text
    assert '<span class="figure-value" id="customers">2</span>' in page.text
    assert '<a href="/admin/jobs">1</a>' in page.text
    assert page.text.index("in transit</span></td><td class=\"num\">1<") < page.text.index(
        "delivered</span></td><td class=\"num\">2<")


def test_the_orders_list_shows_newest_first_with_money_in_the_order_currency(signed_in, store):
    place_order(signed_in, store.auth, "1001")
    place_order(signed_in, store.auth, "1002", currency="USD")

    page = signed_in.get("/admin/orders")

    assert row_numbers(page.text) == ["1002", "1001"]
    assert "$34.95" in page.text
    assert "€34.95" in page.text


@pytest.mark.parametrize(("query", "expected"), [
    ("1002", ["1002"]),
    ("#1002", ["1002"]),
    ("GRACE@example", ["1003"]),
    ("hopper", ["1003"]),
    ("lovelace", ["1002", "1001"]),
    ("nothing-like-this", []),
])
def test_order_search_matches_number_email_and_name(signed_in, store, query, expected):
    place_order(signed_in, store.auth, "1001")
    place_order(signed_in, store.auth, "1002")
    place_order(signed_in, store.auth, "1003", email="grace@example.com",
                customer={"email": "grace@example.com", "first_name": "Grace"},
                shipping_address={"name": "Grace Hopper", "city": "Arlington"})

    page = signed_in.get("/admin/orders", params={"q": query})

    assert page.status_code == 200
    assert row_numbers(page.text) == expected
    if not expected:
        assert f"No order matches “{query}”." in page.text


def test_the_orders_list_pages_with_a_cursor_that_keeps_the_search(signed_in, store):
    for n in range(27):
        place_order(signed_in, store.auth, f"{2000 + n}")
    place_order(signed_in, store.auth, "9999", email="other@example.com",
                customer={"email": "other@example.com"}, shipping_address={"name": "Zed"})

    first = signed_in.get("/admin/orders", params={"q": "lovelace"})
    next_link = re.search(r'<a rel="next" href="([^"]+)"', first.text).group(1)
    second = signed_in.get(next_link.replace("&amp;", "&"))

    assert row_numbers(first.text) == [str(2000 + n) for n in range(26, 1, -1)]
    assert next_link.startswith("/admin/orders?q=lovelace&amp;cursor=")
    assert row_numbers(second.text) == ["2001", "2000"]
    assert 'rel="next"' not in second.text
    assert '<a href="/admin/orders?q=lovelace">First page</a>' in second.text


@pytest.mark.parametrize("path", ["/admin/orders", "/admin/customers"])
@pytest.mark.parametrize("cursor", ["not-a-cursor", "aWQ6YWJj", "aWQ6OTk5OTk5OTk5OTk5OTk5OTk5OTk5",
                                    "x" * 101])
def test_a_forged_cursor_gives_a_readable_page_not_an_error(signed_in, path, cursor):
    page = signed_in.get(path, params={"cursor": cursor})

    assert page.status_code == 400
    assert "That page link is not valid" in page.text or "was not right" in page.text


def test_the_order_page_shows_lines_totals_shipments_and_history(signed_in, store):
    order = place_order(signed_in, store.auth, "1001")
    shipment = add_shipment(signed_in, store.auth, order["id"], "1Z999AA10123456784",
                            status="in_transit", shipped_at="2026-03-02T09:00:00Z")

    page = signed_in.get(f"/admin/orders/{order['id']}")

    assert page.status_code == 200
    text = page.text
    assert "<h1>Order 1001" in text
    assert '<th scope="row" data-label="Item">Green tea</th>' in text
    assert '<td data-label="Price" class="num">€4.50</td>' in text
    assert '<td data-label="Total" class="num">€9.00</td>' in text
    assert '<div class="grand"><dt>Total</dt><dd>€34.95</dd></div>' in text
    assert f'<a href="/admin/customers/{order["customer_id"]}">Ada Lovelace</a>' in text
    assert "1Z999AA10123456784" in text
    assert "in transit</span>" in text
    assert f'<a href="{shipment["url"].removeprefix("http://testserver")}">' in text
    history = text[text.index('id="history"'):]
    assert history.index("Order created") < history.index("Shipment created")
    assert history.count("Shipment 1Z999AA10123456784") == 2
    assert history.count("<li>") == 3


def test_the_order_page_shows_times_in_the_store_time_zone(client, db, make_store):
    berlin = make_store("acme", timezone="Europe/Berlin")
    make_admin(db)
    sign_in(client)
    order = place_order(client, berlin.auth, "1001", placed_at="2026-03-01T10:00:00Z")

    page = client.get(f"/admin/orders/{order['id']}")

    assert "<dd>Mar 1, 2026, 11:00\u202fAM</dd>" in page.text


@pytest.mark.parametrize("path", ["/admin/orders/999999", "/admin/orders/abc",
                                  "/admin/orders/0", "/admin/orders/99999999999999999999999",
                                  "/admin/customers/999999", "/admin/customers/x"])
def test_a_bad_or_unknown_id_gives_a_not_found_page(signed_in, path):
    page = signed_in.get(path)

    assert page.status_code == 404
    assert "<h1>Not found</h1>" in page.text


def test_a_user_of_one_store_never_sees_another_stores_rows(client, db, make_store):
    acme = make_store("acme")
    globex = make_store("globex")
    mine = place_order(client, acme.auth, "1001")
    theirs = place_order(client, globex.auth, "7777", email="gus@example.com",
                         customer={"email": "gus@example.com", "first_name": "Gus"})
    with db.transaction() as session:
        dead = Job(kind="email.send", store_id=globex.id, status="dead", payload={})
        session.add(dead)
        session.flush()
        dead_id = dead.id
    make_admin(db, stores=("acme",))
    sign_in(client)

    assert client.get(f"/admin/orders/{mine['id']}").status_code == 200
    assert client.get(f"/admin/orders/{theirs['id']}").status_code == 404
    assert client.get(f"/admin/customers/{theirs['customer_id']}").status_code == 404
    assert row_numbers(client.get("/admin/orders").text) == ["1001"]
    assert row_numbers(client.get("/admin/orders", params={"q": "7777"}).text) == []
    assert "gus@example.com" not in client.get("/admin/customers").text
    assert f"<th scope=\"row\" data-label=\"Job\">{dead_id}</th>" not in client.get(
        "/admin/jobs").text
    token = csrf_of(client.get("/admin").text)
    assert client.post("/admin/store", data={"csrf": token, "store_id": str(globex.id)},
                       follow_redirects=False).status_code == 404
    assert client.post(f"/admin/jobs/{dead_id}/retry", data={"csrf": token},
                       follow_redirects=False).status_code == 404
    with db.reading() as session:
        assert session.get(Job, dead_id).status == "dead"


def test_switching_store_shows_that_stores_orders(client, db, make_store):
    acme = make_store("acme")
    globex = make_store("globex")
    place_order(client, acme.auth, "1001")
    theirs = place_order(client, globex.auth, "7777")
    make_admin(db, stores=("acme", "globex"))
    sign_in(client)
    token = csrf_of(client.get("/admin").text)

    switched = client.post("/admin/store", data={"csrf": token, "store_id": str(globex.id)},
                           follow_redirects=False)

    assert switched.status_code == 303
    assert switched.headers["location"] == "/admin"
    assert row_numbers(client.get("/admin/orders").text) == ["7777"]
    assert client.get(f"/admin/orders/{theirs['id']}").status_code == 200


def test_an_owner_can_switch_to_any_store(client, db, make_store):
    make_store("acme")
    globex = make_store("globex")
    place_order(client, globex.auth, "7777")
    make_admin(db, "boss@example.com", stores=(), owner=True)
    sign_in(client, email="boss@example.com")
    page = client.get("/admin")
    assert f'<option value="{globex.id}">Globex (globex)</option>' in page.text

    client.post("/admin/store", data={"csrf": csrf_of(page.text), "store_id": str(globex.id)})

    assert row_numbers(client.get("/admin/orders").text) == ["7777"]


def test_switching_store_without_the_csrf_token_changes_nothing(client, db, make_store):
    acme = make_store("acme")
    globex = make_store("globex")
    place_order(client, acme.auth, "1001")
    make_admin(db, stores=("acme", "globex"))
    sign_in(client)

    refused = client.post("/admin/store", data={"store_id": str(globex.id)})

    assert refused.status_code == 403
    assert row_numbers(client.get("/admin/orders").text) == ["1001"]


@pytest.mark.parametrize("store_id", ["", "abc", "-1", "99999999999999999999999"])
def test_switching_to_a_nonsense_store_gives_a_not_found_page(signed_in, store_id):
    token = csrf_of(signed_in.get("/admin").text)

    response = signed_in.post("/admin/store", data={"csrf": token, "store_id": store_id})

    assert response.status_code == 404


def test_the_customer_page_shows_profile_consents_figures_and_orders(signed_in, db, store):
    customer = {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace",
                "phone": "+49 30 1234567", "accepts_marketing": {"email": True, "sms": False}}
    first = place_order(signed_in, store.auth, "1001", customer=customer,
                        placed_at="2026-03-01T10:00:00Z")
    place_order(signed_in, store.auth, "1002", customer=customer, placed_at="2026-03-05T10:00:00Z")

    page = signed_in.get(f"/admin/customers/{first['customer_id']}")

    text = page.text
    assert page.status_code == 200
    assert "<title>Ada Lovelace · Acme · Afterward</title>" in text
    assert "<h1>Ada Lovelace</h1>" in text
    assert "<dd>+49301234567</dd>" in text
    assert "<td>email</td>\n        <td>marketing</td>\n        <td>Yes" in text
    assert "<td>sms</td>\n        <td>marketing</td>\n        <td>No" in text
    assert "<div><dt>Orders</dt><dd>2</dd></div>" in text
    assert '<span class="amount">€69.90</span>' in text
    assert row_numbers(text) == ["1002", "1001"]


def test_customer_search_matches_email_and_name(signed_in, store):
    place_order(signed_in, store.auth, "1001")
    place_order(signed_in, store.auth, "1002", email="grace@example.com",
                customer={"email": "grace@example.com", "first_name": "Grace"})

    by_name = signed_in.get("/admin/customers", params={"q": "grace"})
    by_email = signed_in.get("/admin/customers", params={"q": "ADA@"})

    assert "grace@example.com" in by_name.text and "ada@example.com" not in by_name.text
    assert "ada@example.com" in by_email.text and "grace@example.com" not in by_email.text


def dead_job(db, store_id: int, kind: str = "email.send") -> int:
    with db.transaction() as session:
        job = Job(kind=kind, store_id=store_id, status="dead", payload={}, attempts=8,
                  last_error="SMTP 554 rejected", finished_at=utcnow())
        session.add(job)
        session.flush()
        return job.id


def test_the_jobs_page_lists_dead_jobs_with_their_error(signed_in, db, store):
    job_id = dead_job(db, store.id)

    page = signed_in.get("/admin/jobs")

    assert f'<th scope="row" data-label="Job">{job_id}</th>' in page.text
    assert "SMTP 554 rejected" in page.text
    assert f'action="/admin/jobs/{job_id}/retry"' in page.text


def test_retry_puts_a_dead_job_back_in_the_queue(signed_in, db, store):
    job_id = dead_job(db, store.id)
    token = csrf_of(signed_in.get("/admin/jobs").text)

    response = signed_in.post(f"/admin/jobs/{job_id}/retry", data={"csrf": token},
                              follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/jobs?retried={job_id}"
    with db.reading() as session:
        job = session.get(Job, job_id)
        assert (job.status, job.attempts, job.last_error) == ("queued", 0, None)
    page = signed_in.get(response.headers["location"])
    assert f"Job {job_id} is queued again." in page.text
    assert "No failed jobs." in page.text


def test_retry_without_the_csrf_token_changes_nothing(signed_in, db, store):
    job_id = dead_job(db, store.id)

    response = signed_in.post(f"/admin/jobs/{job_id}/retry", data={"csrf": "forged"})

    assert response.status_code == 403
    assert "Nothing was changed." in response.text
    with db.reading() as session:
        assert session.get(Job, job_id).status == "dead"


def test_retrying_a_job_that_is_not_dead_any_more_changes_nothing(signed_in, db, store):
    # a second click, or a colleague's, after the job was queued again
    with db.transaction() as session:
        job = Job(kind="email.send", store_id=store.id, status="queued", payload={},
                  attempts=3)
        session.add(job)
        session.flush()
        job_id = job.id
    token = csrf_of(signed_in.get("/admin/jobs").text)

    response = signed_in.post(f"/admin/jobs/{job_id}/retry", data={"csrf": token},
                              follow_redirects=False)

    assert (response.status_code, response.headers["location"]) == (
        303, f"/admin/jobs?retried={job_id}")
    with db.reading() as session:
        assert (session.get(Job, job_id).status, session.get(Job, job_id).attempts) == (
            "queued", 3)


def test_retrying_a_job_of_no_store_of_ours_gives_a_not_found_page(signed_in, db, store):
    token = csrf_of(signed_in.get("/admin/jobs").text)

    response = signed_in.post("/admin/jobs/987654/retry", data={"csrf": token})

    assert response.status_code == 404


def test_the_jobs_list_pages_after_25(signed_in, db, store):
    ids = [dead_job(db, store.id) for _ in range(26)]

    first = signed_in.get("/admin/jobs")
    second = signed_in.get(f"/admin/jobs?after={ids[24]}")

    assert f'href="/admin/jobs?after={ids[24]}"' in first.text
    assert f'data-label="Job">{ids[25]}</th>' not in first.text
    assert f'data-label="Job">{ids[25]}</th>' in second.text
