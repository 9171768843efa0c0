"""The dashboard's charts as the page carries them: the series Chart.js draws (JSON
beside each canvas), the same figures as a table and a summary, the period switch,
and words in the admin's language with figures in the store's locale."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from afterward.commerce import stores
from afterward.web.admin import dashboard
from tests.web.helpers import make_admin, place_order, sign_in

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 17:30 in Kolkata


@pytest.fixture
def frozen_now(monkeypatch):
    monkeypatch.setattr(dashboard, "utcnow", lambda: NOW)


def kolkata_store(db, locale: str = "en") -> dict[str, str]:
    with db.transaction() as session:
        store = stores.create_store(session, slug="acme", name="Acme", currency="INR",
                                    timezone="Asia/Kolkata", locale=locale)
        return {"Authorization": f"Bearer {stores.issue_api_key(session, store=store)}"}


def order_at(client, auth, number: str, placed_at: str, price: int, **fields) -> None:
    place_order(client, auth, number, placed_at=placed_at, currency=fields.pop("currency", "INR"),
                lines=[{"sku": "TEA-1", "title": "Tea", "quantity": 1, "unit_price_minor": price}],
                shipping_minor=0, tax_minor=0, **fields)


@pytest.fixture
def week(client, db, frozen_now):
    """Orders either side of Kolkata's midnights, in this week (4-10 March) and the one
    before (25 February - 3 March)."""
    auth = kolkata_store(db)
    make_admin(db)
    sign_in(client)
    order_at(client, auth, "A", "2026-03-03T18:29:59Z", 10_000)  # 23:59:59 on 3 March
    order_at(client, auth, "B", "2026-03-03T18:30:00Z", 25_000)  # 00:00 on 4 March
    order_at(client, auth, "C", "2026-03-09T18:29:59Z", 50_000)  # 23:59:59 on 9 March
    order_at(client, auth, "D", "2026-03-09T18:30:00Z", 125_000)  # 00:00 on 10 March
    order_at(client, auth, "E", "2026-03-09T20:00:00Z", 4_200, currency="USD")
    return client


def chart_data(html: str, chart_id: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{chart_id}-data">(.*?)</script>',
                      html, re.S)
    assert found, f"no data for {chart_id}"
    return json.loads(found.group(1))


def table_rows(html: str, chart_id: str) -> list[tuple[str, ...]]:
    table = re.search(rf'<table class="compact" id="{chart_id}-table">(.*?)</table>', html, re.S)
    assert table, f"no table for {chart_id}"
    return re.findall(r'<tr><th scope="row">([^<]+)</th><td class="num">([^<]+)</td>'
                      r'<td>([^<]+)</td><td class="num">([^<]+)</td></tr>', table.group(1))


def test_the_orders_chart_counts_each_kolkata_day_of_the_week_and_the_week_before(week):
    page = week.get("/admin?days=7")

    assert page.status_code == 200
    assert chart_data(page.text, "orders-chart") == {
        "labels": ["Mar 4", "Mar 5", "Mar 6", "Mar 7", "Mar 8", "Mar 9", "Mar 10"],
        "previousLabels": ["Feb 25", "Feb 26", "Feb 27", "Feb 28", "Mar 1", "Mar 2", "Mar 3"],
        "current": [1, 0, 0, 0, 0, 1, 2], "previous": [0, 0, 0, 0, 0, 0, 1],
        "locale": "en", "kind": "count"}
    assert table_rows(page.text, "orders-chart")[0] == ("Wed, Mar 4", "1", "Wed, Feb 25", "0")
    assert table_rows(page.text, "orders-chart")[-1] == ("Tue, Mar 10", "2", "Tue, Mar 3", "1")
    assert '<span class="figure-value" id="orders-total">4</span>' in page.text
    assert "+300.0% on the previous 7 days" in page.text
    assert "4 in the last 7 days, against 1 in the previous 7 days." in page.text


def test_the_revenue_chart_sums_the_store_currency_and_lists_other_currencies_apart(week):
    page = week.get("/admin?days=7")

    data = chart_data(page.text, "revenue-chart")
    assert data["current"] == [25_000, 0, 0, 0, 0, 50_000, 125_000]
    assert data["previous"] == [0, 0, 0, 0, 0, 0, 10_000]
    assert (data["kind"], data["currency"], data["exponent"]) == ("money", "INR", 2)
    assert table_rows(page.text, "revenue-chart")[-1] == (
        "Tue, Mar 10", "₹1,250.00", "Tue, Mar 3", "₹100.00")
    assert ('<span class="figure-value" id="revenue-total"><span class="amount">₹2,000.00</span>'
            '<span class="amount">$42.00</span></span>') in page.text
    assert "+1,900.0% on the previous 7 days" in page.text
    assert "<h2 id=\"revenue-chart-title\">Revenue per day (INR)</h2>" in page.text


def test_the_period_switch_marks_the_period_shown_and_sizes_the_charts(week):
    page = week.get("/admin?days=90")

    links = re.findall(r'<a href="/admin\?days=(\d+)"( aria-current="true")?>([^<]+)</a>',
                       page.text)
    assert links == [("7", "", "Last 7 days"), ("30", "", "Last 30 days"),
                     ("90", ' aria-current="true"', "Last 90 days")]
    data = chart_data(page.text, "orders-chart")
    assert (len(data["current"]), len(data["previous"])) == (90, 90)
    assert (data["labels"][0], data["previousLabels"][0]) == ("Dec 11", "Sep 12")
    assert sum(data["current"]) == 5  # 3 March is inside 90 days too


def test_without_a_period_the_dashboard_shows_30_days(week):
    page = week.get("/admin")

    assert len(chart_data(page.text, "revenue-chart")["current"]) == 30
    assert '<a href="/admin?days=30" aria-current="true">' in page.text


@pytest.mark.parametrize("days", ["14", "0", "abc", "100000"])
def test_a_period_the_switch_does_not_offer_gives_a_readable_page(week, days):
    page = week.get(f"/admin?days={days}")

    assert page.status_code == 400
    assert "Something in the request was not right" in page.text


def test_the_page_loads_chart_js_and_its_drawing_script_from_this_server(week):
    page = week.get("/admin")

    assert re.findall(r'<script src="([^"]+)" defer></script>', page.text) == [
        "/static/vendor/chart.js/chart.umd.min.js", "/static/admin-charts.js"]
    assert ('data-current-name="Last 30 days" data-previous-name="Previous 30 days" role="img"'
            in page.text)


def test_words_follow_the_browser_s_language_and_figures_the_store_s_locale(week):
    page = week.get("/admin?days=7", headers={"Accept-Language": "de-DE,de;q=0.9"})

    assert '<html lang="de">' in page.text
    assert "<h1>Übersicht</h1>" in page.text
    assert "Bestellungen pro Tag" in page.text
    assert "+300.0% gegenüber den 7 Tagen davor" in page.text  # the store writes English
    assert chart_data(page.text, "orders-chart")["labels"][0] == "Mar 4"


def test_a_german_store_without_a_browser_language_speaks_and_writes_german(
        client, db, frozen_now):
    auth = kolkata_store(db, locale="de")
    make_admin(db)
    sign_in(client)
    order_at(client, auth, "A", "2026-03-09T18:30:00Z", 123_456)

    page = client.get("/admin?days=7")

    assert "<h1>Übersicht</h1>" in page.text
    data = chart_data(page.text, "revenue-chart")
    assert (data["labels"][-1], data["locale"]) == ("10. März", "de")
    assert table_rows(page.text, "revenue-chart")[-1] == (
        "Di., 10. März", "1.234,56\xa0₹", "Di., 3. März", "0,00\xa0₹")
