"""Cohorts and KPIs (insights/kpis.py, insights/dashboard.py): exact figures on a
tiny hand-built store (kpi_scene.py), the period against the one before, and too
little data -- an empty store, one order, every order on one day -- giving None where
a figure cannot be computed, never NaN or infinity."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from afterward.insights import dashboard, kpis
from tests.insights.kpi_scene import NOW, build


def overview(db, store_id: int, days: int = 30) -> dashboard.Overview:
    with db.reading() as session:
        return dashboard.overview(session, store_id=store_id, currency="USD",
                                  timezone="UTC", days=days, now=NOW)


def test_the_period_and_the_one_before_have_the_hand_worked_figures(db, store):
    build(db, store.id)

    found = overview(db, store.id).comparison
    now, before = found.current, found.previous

    # 13 Feb 12:00 - 15 Mar 12:00: A (5 Mar), C (10 Mar), the guest (12 Mar)
    assert (now.orders, now.customers, now.revenue_minor) == (3, 3, 5100)
    assert now.repeat == kpis.Ratio(2, 3)  # A and C have two orders or more by then
    assert now.second_order == kpis.Median(35.0, 1)  # C: 3 Feb -> 10 Mar
    assert now.aov == kpis.Average(1700.0, 3, 0)
    assert now.returns == kpis.Ratio(1, 3)  # C's return; A's was rejected
    assert now.on_time == kpis.Ratio(2, 3)  # late: C's parcel; one had no promise
    # 14 Jan 12:00 - 13 Feb 12:00: B (20 Jan), C (3 Feb), A (12 Feb, 3 units)
    assert (before.orders, before.customers, before.revenue_minor) == (3, 3, 8500)
    assert before.repeat == kpis.Ratio(1, 3)
    assert before.second_order == kpis.Median(33.0, 1)  # A: 10 Jan -> 12 Feb
    assert before.aov.minor == pytest.approx(8500 / 3)
    assert before.returns == kpis.Ratio(0, 5)
    assert before.on_time == kpis.Ratio(0, 0) and before.on_time.value is None
    changes = {c.key: c for c in found.changes}
    assert changes["repeat_rate"].difference == pytest.approx(1 / 3)
    assert changes["average_order_value"].relative == pytest.approx(1700 / (8500 / 3) - 1)
    assert changes["on_time_rate"].difference is None
    assert changes["return_rate"].relative is None  # from 0: no relative change


def test_the_cohort_matrix_follows_each_month_s_new_customers(db, store):
    build(db, store.id)

    rows = overview(db, store.id).cohorts

    assert len(rows) == kpis.COHORTS and rows[-1].month == date(2026, 3, 1)
    january, february, march = rows[-3:]
    assert (january.month, january.size) == (date(2026, 1, 1), 2)  # A, B
    assert [c.share for c in january.cells[:3]] == [0.5, 0.5, None]  # A in Feb and Mar
    assert [c.customers for c in january.cells[:2]] == [1, 1]
    assert (february.size, february.cells[0].share, february.cells[1].share) == (1, 1.0, None)
    assert march.size == 1 and all(c.share is None for c in march.cells)  # the guest
    assert all(r.size == 0 for r in rows[:-3])


def test_the_clv_distribution_is_historic_spend_until_predictions_exist(db, store):
    build(db, store.id)

    found = overview(db, store.id)

    assert found.clv.source == dashboard.HISTORIC_SPEND
    assert sorted(found.clv.values) == [4000.0, 4000.0, 6000.0]  # A, B, C; guests unnamed
    assert [b.count for b in found.clv_bins] == [2, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert (found.clv_median, found.clv_p90) == (4000.0, pytest.approx(5600.0))


def test_months_split_the_figures_by_calendar_month(db, store):
    build(db, store.id)

    months = overview(db, store.id).months

    assert len(months) == kpis.MONTHS and months[-1].month == date(2026, 3, 1)
    assert [m.kpis.orders for m in months[-3:]] == [2, 2, 3]
    assert months[-1].kpis.returns == kpis.Ratio(1, 3)
    assert months[-2].kpis.aov.minor == 2250.0


def _all_numbers(found: dashboard.Overview) -> list[float]:
    values: list[float] = []
    for kpi in (found.comparison.current, found.comparison.previous,
                *(m.kpis for m in found.months)):
        values += [v for key in kpis.KPI_KEYS if (v := kpis.kpi_value(kpi, key)) is not None]
    values += [c.share for row in found.cohorts for c in row.cells if c.share is not None]
    values += [b.low for b in found.clv_bins] + [b.high for b in found.clv_bins]
    return values


def test_an_empty_store_has_no_figure_and_no_nan(db, store):
    found = overview(db, store.id)

    assert found.empty and found.too_little and not found.has_retention
    assert found.clv_bins == [] and found.clv_median is None
    assert all(c.current in (None, 0) and c.previous in (None, 0)
               for c in found.comparison.changes)
    assert all(math.isfinite(v) for v in _all_numbers(found))


@pytest.mark.parametrize("orders", [
    [("c:1", 0, 1000)],  # one order
    [("c:1", 0, 1000), ("c:1", 0, 1000), ("c:2", 0, 0)],  # all on one day, one of them free
])
def test_too_little_data_gives_none_rather_than_nan(orders):
    day = NOW - timedelta(days=2)
    rows = [kpis.OrderRow(c, day + timedelta(minutes=m), total, "USD")
            for c, m, total in orders]
    data = kpis.Data(rows, currency="USD", zone=UTC)

    found = kpis.compare(data, until=NOW, days=30)
    matrix = kpis.cohorts(rows, until=NOW, zone=UTC)
    spend = kpis.histogram([float(total) for _, _, total in orders])

    assert found.current.second_order.days in (None, 0.0)
    assert all(c.relative is None for c in found.changes)  # the period before had nothing
    assert all(cell.share is None for row in matrix for cell in row.cells)
    assert len(spend) in (1, 10) and all(math.isfinite(b.low) for b in spend)
    assert kpis.histogram([]) == [] and kpis.histogram([math.nan, math.inf]) == []
    assert kpis.quantile([], 0.5) is None


def test_months_and_cohorts_are_in_the_store_s_time_zone():
    late = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)  # 1 February in Berlin
    rows = [kpis.OrderRow("c:1", late, 100, "EUR"),
            kpis.OrderRow("c:1", datetime(2026, 3, 2, tzinfo=UTC), 100, "EUR")]
    from zoneinfo import ZoneInfo

    berlin = kpis.cohorts(rows, until=NOW, zone=ZoneInfo("Europe/Berlin"), count=3, horizon=2)
    utc = kpis.cohorts(rows, until=NOW, zone=UTC, count=3, horizon=2)

    assert [(r.month.month, r.size) for r in berlin] == [(1, 0), (2, 1), (3, 0)]
    assert berlin[1].cells[0].share == 1.0  # back in March: month +1 from February
    assert [(r.month.month, r.size) for r in utc] == [(1, 1), (2, 0), (3, 0)]
    assert utc[0].cells[0].share == 0.0 and utc[0].cells[1].share == 1.0
