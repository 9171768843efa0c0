"""The insights page's and report's figures as they are read: each KPI written in
the store's locale beside the period before and the change, the months, the cohort
matrix and the CLV histogram as tables and as SVG charts (insight_charts.py), the
programs with their intervals. Words are the templates' (translated there); this
module writes figures and marks labels with N_."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_skeleton
from babel.numbers import format_decimal
from markupsafe import Markup

from afterward.insights import kpis
from afterward.insights.dashboard import HISTORIC_SPEND, Overview
from afterward.insights.programs import Program
from afterward.modules import N_
from afterward.web import i18n
from afterward.web.admin import display
from afterward.web.admin import insight_charts as charts

LABELS = {
    "orders": N_("Orders"),
    "customers": N_("Customers who ordered"),
    "revenue": N_("Revenue"),
    "repeat_rate": N_("Repeat purchase rate"),
    "days_to_second_order": N_("Median days to second order"),
    "average_order_value": N_("Average order value"),
    "return_rate": N_("Return rate"),
    "on_time_rate": N_("On-time delivery"),
}
LOWER_IS_BETTER = frozenset({"days_to_second_order", "return_rate"})
CHARTED = ("orders", "average_order_value", "repeat_rate", "return_rate", "on_time_rate")


def finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


class Writer:
    """Figures in the store's locale and currency."""

    def __init__(self, locale: str | None, currency: str) -> None:
        self.locale, self.currency = locale, currency

    def money(self, minor: float | None) -> str:
        minor = finite(minor)
        return "—" if minor is None else i18n.money(round(minor), self.currency, self.locale)

    def days(self, value: float | None) -> str:
        value = finite(value)
        return "—" if value is None else format_decimal(
            value, "#,##0.0", locale=i18n.locale_or_default(self.locale))

    def number(self, value: float | None) -> str:
        value = finite(value)
        return "—" if value is None else display.number(int(value), self.locale)

    def percent(self, value: float | None) -> str:
        return display.percent(finite(value), self.locale)

    def kpi(self, key: str, value: float | None) -> str:
        if key in kpis.RATES:
            return self.percent(value)
        if key in ("revenue", "average_order_value"):
            return self.money(value)
        if key == "days_to_second_order":
            return self.days(value)
        return self.number(value)

    def month(self, month: date) -> str:
        return format_skeleton("MMM", month, locale=i18n.locale_or_default(self.locale))

    def month_year(self, month: date) -> str:
        return format_skeleton("yMMM", month, locale=i18n.locale_or_default(self.locale))


@dataclass(frozen=True)
class KpiRow:
    key: str
    label: str  # N_: the template translates it
    current: str
    previous: str
    change: str | None  # signed; None when there is nothing to compare
    change_kind: str  # "relative" (a percentage), "points" (rates), "days"
    trend: str  # "good", "bad", "flat" or "": whether the change is for the better


def kpi_rows(overview: Overview, write: Writer) -> list[KpiRow]:
    rows = []
    for change in overview.comparison.changes:
        key = change.key
        text, kind = None, "relative"
        if key in kpis.RATES:
            kind = "points"
            if change.difference is not None:
                text = display.points(change.difference * 100, write.locale)
        elif key == "days_to_second_order":
            kind = "days"
            if change.difference is not None:
                text = format_decimal(change.difference, "+#,##0.0;-#,##0.0",
                                      locale=i18n.locale_or_default(write.locale))
        elif change.relative is not None:
            text = ("+" if change.relative > 0 else "") + write.percent(change.relative)
        difference = change.difference
        if difference is not None and key in LOWER_IS_BETTER:
            difference = -difference
        trend = ("" if difference is None else "good" if difference > 0
                 else "bad" if difference < 0 else "flat")
        rows.append(KpiRow(key, LABELS[key], write.kpi(key, change.current),
                           write.kpi(key, change.previous), text, kind, trend))
    return rows


@dataclass(frozen=True)
class MonthChart:
    key: str
    label: str
    svg: Markup


def month_table(overview: Overview, write: Writer) -> list[dict[str, Any]]:
    return [{"month": write.month_year(row.month),
             **{key: write.kpi(key, kpis.kpi_value(row.kpis, key)) for key in kpis.KPI_KEYS}}
            for row in overview.months]


def month_charts(overview: Overview, write: Writer, titles: dict[str, str]) -> list[MonthChart]:
    found = []
    for key in CHARTED:
        bars = [charts.Bar(write.month(row.month), kpis.kpi_value(row.kpis, key),
                           write.kpi(key, kpis.kpi_value(row.kpis, key)))
                for row in overview.months]
        found.append(MonthChart(key, LABELS[key], charts.columns(
            bars, chart_id=f"months-{key.replace('_', '-')}", title=titles[key])))
    return found


@dataclass(frozen=True)
class CohortRow:
    label: str
    size: str
    cells: list[str]  # "" where the month has not come yet


def cohort_rows(overview: Overview, write: Writer) -> list[CohortRow]:
    return [CohortRow(write.month_year(row.month), write.number(row.size),
                      [write.percent(c.share) if c.share is not None else ""
                       for c in row.cells])
            for row in overview.cohorts]


def cohort_chart(overview: Overview, write: Writer, *, title: str, corner: str) -> Markup:
    horizon = len(overview.cohorts[0].cells) if overview.cohorts else kpis.HORIZON
    rows = [charts.HeatRow(write.month_year(row.month), write.number(row.size),
                           [(c.share, _short_percent(c.share)) for c in row.cells])
            for row in overview.cohorts]
    return charts.heatmap(rows, [f"+{n}" for n in range(1, horizon + 1)],
                          chart_id="cohort-heatmap", title=title, corner=corner)


def _short_percent(share: float | None) -> str:
    """Whole percent for a cell of the heat map (the table has one decimal)."""
    if share is None:
        return ""
    return f"{round(share * 100)}%"


@dataclass(frozen=True)
class ClvView:
    historic: bool  # the values are spend so far, not a prediction
    customers: str
    median: str
    p90: str
    rows: list[tuple[str, str, str]]  # from, to, customers
    svg: Markup | None


def clv_view(overview: Overview, write: Writer, *, title: str) -> ClvView:
    bins = overview.clv_bins
    rows = [(write.money(b.low), write.money(b.high), write.number(b.count)) for b in bins]
    svg = None
    if bins:
        svg = charts.histogram([charts.Bar(f"{low} … {high}", float(b.count), count)
                                for b, (low, high, count) in zip(bins, rows, strict=True)],
                               chart_id="clv-histogram", title=title,
                               first=write.money(bins[0].low), last=write.money(bins[-1].high))
    return ClvView(overview.clv.source == HISTORIC_SPEND, write.number(len(overview.clv.values)),
                   write.money(overview.clv_median), write.money(overview.clv_p90), rows, svg)


@dataclass(frozen=True)
class ProgramRow:
    rank: int
    key: str
    name: str
    enabled: bool
    treated: str
    held_out: str
    pending: str
    revenue_lift: str  # per customer
    revenue_low: str
    revenue_high: str
    revenue_known: bool
    revenue_crosses_zero: bool
    conversion_lift: str  # points
    conversion_low: str
    conversion_high: str
    significant: bool
    detectable: str  # the smallest conversion lift detectable now, points
    weeks: str | None  # more weeks to detect a 10% lift; None: cannot say
    enough: bool  # enough customers already to detect it
    history: list[tuple[str, str, str, str]]  # month, customers, revenue lift, conversion


def _points(value: float | None, locale: str | None) -> str:
    value = finite(value)
    return "—" if value is None else display.points(value * 100, locale)


def program_rows(found: list[Program], write: Writer) -> list[ProgramRow]:
    rows = []
    for rank, program in enumerate(found, 1):
        results = program.results
        revenue, conversion = results.revenue_per_customer_lift, results.conversion_lift
        detection = results.detection
        weeks = finite(detection.weeks_needed) if detection else None
        history = [(write.month_year(kpis.month_of(point.at, None)) if n < len(
                        program.history) - 1 else "",
                    write.number(point.customers), write.money(point.revenue_lift_minor),
                    _points(point.conversion_lift.estimate if point.conversion_lift else None,
                            write.locale))
                   for n, point in enumerate(program.history)]
        rows.append(ProgramRow(
            rank=rank, key=program.key, name=program.name, enabled=program.enabled,
            treated=write.number(results.treatment.customers),
            held_out=write.number(results.control.customers),
            pending=write.number(results.pending),
            revenue_lift=write.money(revenue.estimate) if revenue else "—",
            revenue_low=write.money(revenue.low) if revenue else "—",
            revenue_high=write.money(revenue.high) if revenue else "—",
            revenue_known=revenue is not None,
            revenue_crosses_zero=bool(program.revenue_interval_crosses_zero),
            conversion_lift=_points(conversion.estimate if conversion else None, write.locale),
            conversion_low=_points(conversion.low if conversion else None, write.locale),
            conversion_high=_points(conversion.high if conversion else None, write.locale),
            significant=results.significant,
            detectable=_points(detection.detectable_lift if detection else None, write.locale),
            weeks=write.number(math.ceil(weeks)) if weeks is not None else None,
            enough=weeks == 0.0, history=history))
    return rows


def programs_chart(found: list[Program], write: Writer, *, title: str) -> Markup | None:
    lifts = []
    for program in found:
        lift = program.revenue_lift
        if lift is None or not all(math.isfinite(v) for v in (lift.estimate, lift.low,
                                                                lift.high)):
            continue
        lifts.append(charts.Lift(program.name, lift.estimate, lift.low, lift.high,
                                 f"{write.money(lift.estimate)} ({write.money(lift.low)} "
                                 f"… {write.money(lift.high)})"))
    if not lifts:
        return None
    return charts.lifts(lifts, chart_id="programs-chart", title=title, write=write.money)
