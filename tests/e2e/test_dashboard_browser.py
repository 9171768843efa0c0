"""The dashboard's charts in a real browser: Chart.js (vendored) draws both canvases
from the figures the page carries, on a phone and a desktop, with the admin's CSP and
no error; the period switch and the table of figures work from the keyboard."""

from __future__ import annotations

from datetime import timedelta

import pytest

from afterward.storage.types import utcnow
from tests.e2e.conftest import DESKTOP, PHONE, keep_screenshot
from tests.web.helpers import PASSWORD, make_admin, place_order

pytestmark = pytest.mark.e2e

PAINTED = """canvas => {
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) painted++; }
  return painted;
}"""
SERIES = "canvas => Chart.getChart(canvas).data.datasets.map(set => set.data)"


@pytest.fixture
def shop(client, db, store):
    """Three orders this week (two today), one the week before, 34.95 USD each (the
    store's currency)."""
    now = utcnow()
    for number, days_ago in (("1001", 0), ("1002", 0), ("1003", 3), ("1004", 9)):
        placed = now - timedelta(days=days_ago)
        place_order(client, store.auth, number, currency="USD", placed_at=placed.isoformat())
    make_admin(db)


def signed_in_page(live_server, new_page, viewport, path: str):
    page = new_page(viewport=viewport)
    problems: list[str] = []
    page.on("console", lambda message: message.type in ("error", "warning") and problems.append(
        message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{live_server.url}{path}")
    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}{path}")
    return page, problems


def drawn(page, chart_id: str):
    canvas = page.locator(f"#{chart_id} canvas")
    page.wait_for_function(
        f"() => window.Chart && Chart.getChart(document.querySelector('#{chart_id} canvas'))")
    return canvas


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_both_charts_are_drawn_from_the_figures_on_the_page(
        live_server, new_page, artifacts, shop, name, viewport):
    page, problems = signed_in_page(live_server, new_page, viewport, "/admin?days=7")

    orders = drawn(page, "orders-chart")
    revenue = drawn(page, "revenue-chart")

    assert orders.evaluate(SERIES) == [[0, 0, 0, 1, 0, 0, 2], [0, 0, 0, 0, 1, 0, 0]]
    assert revenue.evaluate(SERIES) == [[0, 0, 0, 3495, 0, 0, 6990],
                                        [0, 0, 0, 0, 3495, 0, 0]]
    box = orders.bounding_box()
    assert box["width"] > 250 and box["height"] > 200
    assert box["x"] + box["width"] <= viewport["width"]
    assert orders.evaluate(PAINTED) > 1000
    assert revenue.evaluate(PAINTED) > 1000
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert problems == []
    keep_screenshot(page, artifacts / f"admin-dashboard-charts-{name}.png")


def test_the_period_switch_and_the_figures_table_work_from_the_keyboard(
        live_server, new_page, shop):
    page, problems = signed_in_page(live_server, new_page, PHONE, "/admin?days=7")
    drawn(page, "orders-chart")

    page.get_by_role("link", name="Last 90 days").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/admin?days=90")
    orders = drawn(page, "orders-chart")
    summary = page.locator("#orders-chart summary")
    summary.focus()
    page.keyboard.press("Enter")

    assert [len(series) for series in orders.evaluate(SERIES)] == [90, 90]
    table = page.locator("#orders-chart-table")
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 90
    assert table.locator("tbody tr").last.locator("td").first.inner_text() == "2"
    assert page.locator("#orders-total").inner_text() == "4"
    assert problems == []
