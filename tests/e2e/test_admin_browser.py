from __future__ import annotations

from datetime import timedelta

import pytest

from afterward.storage.types import utcnow
from tests.e2e.conftest import DESKTOP, PHONE, keep_screenshot
from tests.web.helpers import PASSWORD, add_shipment, make_admin, place_order

pytestmark = pytest.mark.e2e


@pytest.fixture
def two_stores(client, db, make_store):
    acme = make_store("acme", currency="EUR", timezone="Europe/Berlin")
    globex = make_store("globex", currency="USD", timezone="America/New_York")
    now = utcnow()
    place_order(client, acme.auth, "A-1001")
    for days, number in ((9, "G-1001"), (5, "G-1002"), (3, "G-1003")):
        place_order(client, globex.auth, number, currency="USD",
                    placed_at=(now - timedelta(days=days)).isoformat())
    wanted = place_order(client, globex.auth, "G-2000", currency="USD",
                         placed_at=(now - timedelta(days=2)).isoformat(),
                         email="grace@example.com",
                         customer={"email": "grace@example.com", "first_name": "Grace",
                                   "last_name": "Hopper"},
                         shipping_address={"name": "Grace Hopper", "city": "Arlington",
                                           "postal_code": "22201", "country": "US"})
    add_shipment(client, globex.auth, wanted["id"], "1Z999AA10123456784",
                 carrier="ups", status="in_transit",
                 shipped_at=(now - timedelta(days=1)).isoformat())
    make_admin(db, stores=("acme", "globex"))
    return wanted


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_a_merchant_signs_in_switches_store_and_reads_an_order(
        live_server, new_page, artifacts, two_stores, name, viewport):
    page = new_page(viewport=viewport)

    # given: a deep link while signed out
    page.goto(f"{live_server.url}/admin/orders")
    assert page.url.startswith(f"{live_server.url}/admin/login?next=")
    # Chromium applies autofocus in a rendering step after "load": wait for it (a busy
    # machine ran the check first), then say what holds the focus.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'email'",
                           timeout=5000)
    assert page.evaluate("document.activeElement.id") == "email"
    keep_screenshot(page, artifacts / f"admin-login-{name}.png")

    # when: signing in with the keyboard-reachable labelled fields
    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # then: back on the orders of the first store
    page.wait_for_url(f"{live_server.url}/admin/orders")
    assert page.locator("#orders tbody tr").count() == 1
    assert "A-1001" in page.locator("#orders").inner_text()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"

    # when: switching to Globex and searching an order by the shopper's name
    page.get_by_label("Store").select_option(label="Globex (globex)")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_url(f"{live_server.url}/admin")
    assert page.locator("#orders-total").inner_text() == "4"
    assert page.locator("#revenue-total").inner_text().strip() == "$139.80"
    keep_screenshot(page, artifacts / f"admin-dashboard-{name}.png")
    page.get_by_role("link", name="Orders", exact=True).click()
    page.get_by_label("Search orders").fill("hopper")
    page.get_by_label("Search orders").press("Enter")
    page.wait_for_url("**/admin/orders?q=hopper")
    rows = page.locator("#orders tbody tr")
    assert rows.count() == 1
    keep_screenshot(page, artifacts / f"admin-orders-{name}.png")
    rows.get_by_role("link", name="G-2000").click()

    # then: the order page shows its lines, money, shipment and history
    page.wait_for_url(f"{live_server.url}/admin/orders/{two_stores['id']}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Order G-2000")
    lines = page.locator("#lines tbody tr")
    assert lines.count() == 3
    assert "Green tea" in lines.nth(0).inner_text()
    assert "$34.95" in page.locator("#totals").inner_text()
    assert "1Z999AA10123456784" in page.locator("#shipments").inner_text()
    tracking = page.get_by_role("link", name="Open tracking page for 1Z999AA10123456784")
    assert tracking.get_attribute("href").startswith("/t/")
    history = page.locator("#history li")
    assert history.count() == 3
    assert "Order created" in history.nth(0).inner_text()
    assert "Shipment in transit" in page.locator("#history").inner_text()
    no_sideways_scroll = page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth")
    assert no_sideways_scroll
    keep_screenshot(page, artifacts / f"admin-order-{name}.png")


def test_a_signed_in_merchant_retries_a_dead_job(live_server, new_page, artifacts, db, store):
    from afterward.jobs import Job

    make_admin(db)
    with db.transaction() as session:
        job = Job(kind="email.send", store_id=store.id, status="dead", payload={}, attempts=8,
                  last_error="SMTP 554 rejected")
        session.add(job)
        session.flush()
        job_id = job.id
    page = new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/admin/jobs")
    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/admin/jobs")

    page.get_by_role("button", name=f"Retry job {job_id}").click()

    page.wait_for_url(f"{live_server.url}/admin/jobs?retried={job_id}")
    assert page.get_by_role("status").inner_text() == f"Job {job_id} is queued again."
    keep_screenshot(page, artifacts / "admin-jobs-phone.png")
    with db.reading() as session:
        assert session.get(Job, job_id).status == "queued"
