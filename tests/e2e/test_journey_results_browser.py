"""A journey's results chart in a real browser: Chart.js (vendored) draws conversion and
revenue per customer, each group and the difference with its interval, from the figures
the page carries, with the admin's CSP and no error, on a phone and a desktop."""

from __future__ import annotations

import pytest

from afterward.journeys import results as measured
from afterward.journeys import service
from afterward.storage.types import utcnow
from tests.e2e.conftest import DESKTOP, PHONE, keep_screenshot
from tests.e2e.test_dashboard_browser import PAINTED, signed_in_page
from tests.journeys.test_results import seed_winback_results
from tests.web.helpers import make_admin

pytestmark = pytest.mark.e2e

SERIES = "canvas => Chart.getChart(canvas).data.datasets.map(set => set.data)"


@pytest.fixture
def winback(db, store) -> measured.Results:
    seed_winback_results(db, store.id, now=utcnow())
    make_admin(db)
    with db.reading() as session:
        journey = service.get(session, store_id=store.id, key="winback")
        return measured.journey_results(session, journey=journey, window_days=30, now=utcnow())


def bars(*intervals: measured.Interval | None, scale: float) -> list:
    return [[i.low * scale, i.high * scale] if i is not None else None for i in intervals]


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_the_results_chart_is_drawn_from_the_figures_on_the_page(
        live_server, new_page, artifacts, winback, name, viewport):
    page, problems = signed_in_page(live_server, new_page, viewport, "/admin/journeys/winback")
    page.wait_for_function("() => window.Chart && document.querySelectorAll("
                           "'canvas[data-journey-results]').length === 2 && [...document"
                           ".querySelectorAll('canvas[data-journey-results]')].every("
                           "c => Chart.getChart(c))")
    conversion = page.locator('canvas[data-part="conversion"]')
    revenue = page.locator('canvas[data-part="revenuePerCustomer"]')
    treated, holdout = winback.treatment, winback.control
    lift, revenue_lift = winback.conversion_lift, winback.revenue_per_customer_lift
    assert treated.conversion and holdout.conversion and lift and revenue_lift

    assert conversion.evaluate(SERIES) == [
        [treated.conversion.estimate * 100, holdout.conversion.estimate * 100,
         lift.estimate * 100],
        bars(treated.conversion, holdout.conversion, lift, scale=100)]
    assert revenue.evaluate(SERIES) == [
        [treated.revenue_per_customer_minor, holdout.revenue_per_customer_minor,
         revenue_lift.estimate], [None, None, [revenue_lift.low, revenue_lift.high]]]
    for canvas in (conversion, revenue):
        box = canvas.bounding_box()
        assert box is not None and box["x"] + box["width"] <= viewport["width"]
        assert canvas.evaluate(PAINTED) > 1000
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert problems == []
    keep_screenshot(page, artifacts / f"admin-journey-results-{name}.png")
