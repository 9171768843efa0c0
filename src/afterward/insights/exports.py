"""The insights tables as CSV (the admin's downloads): plain figures, not words --
rates as fractions (0.25), money in minor units of the store's currency, days with
one decimal, moments in ISO 8601 (UTC), an empty field where a figure is undefined.
Text that came from outside (a journey's name) is kept from being read as a formula."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from typing import Any

from afterward.insights import kpis
from afterward.insights.dashboard import Overview
from afterward.insights.programs import Program

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _number(value: float | int | None, places: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, int):
        return str(value)
    rounded = round(value, places) or 0.0  # never "-0"
    return f"{rounded:.{places}f}".rstrip("0").rstrip(".")


def _text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _value(key: str, value: float | None) -> str:
    if key in ("orders", "customers", "revenue") and value is not None:
        return str(int(value))
    return _number(value, 1 if key == "days_to_second_order" else 4)


CSV_KEYS = {"revenue": "revenue_minor", "average_order_value": "average_order_value_minor"}


def kpis_csv(overview: Overview) -> str:
    current, previous = overview.comparison.current, overview.comparison.previous
    return _csv(("kpi", "period_start", "period_end", "value", "previous_start",
                 "previous_end", "previous_value", "difference", "relative_change"),
                ((CSV_KEYS.get(c.key, c.key), current.since.isoformat(),
                  current.until.isoformat(), _value(c.key, c.current),
                  previous.since.isoformat(), previous.until.isoformat(),
                  _value(c.key, c.previous), _number(c.difference), _number(c.relative))
                 for c in overview.comparison.changes))


def months_csv(overview: Overview) -> str:
    keys = kpis.KPI_KEYS
    return _csv(("month", *(CSV_KEYS.get(k, k) for k in keys)),
                ((row.month.isoformat()[:7],
                  *(_value(k, kpis.kpi_value(row.kpis, k)) for k in keys))
                 for row in overview.months))


def cohorts_csv(overview: Overview) -> str:
    horizon = len(overview.cohorts[0].cells) if overview.cohorts else kpis.HORIZON
    return _csv(("cohort", "customers", *(f"month_{n}" for n in range(1, horizon + 1))),
                ((row.month.isoformat()[:7], row.size,
                  *(_number(cell.share) for cell in row.cells))
                 for row in overview.cohorts))


def clv_csv(overview: Overview) -> str:
    return _csv(("source", "low_minor", "high_minor", "customers"),
                ((overview.clv.source, _number(b.low, 2), _number(b.high, 2), b.count)
                 for b in overview.clv_bins))


def programs_csv(found: Sequence[Program]) -> str:
    def interval(value: Any) -> tuple[str, str, str]:
        if value is None:
            return ("", "", "")
        return (_number(value.estimate), _number(value.low), _number(value.high))

    rows = []
    for rank, program in enumerate(found, 1):
        results = program.results
        weeks = results.detection.weeks_needed if results.detection else None
        rows.append((rank, _text(program.key), _text(program.name),
                     results.treatment.customers, results.control.customers,
                     *interval(results.revenue_per_customer_lift),
                     *interval(results.conversion_lift),
                     "yes" if results.significant else "no", _number(weeks, 1)))
    return _csv(("rank", "journey", "name", "treated", "held_out",
                 "revenue_lift_per_customer_minor", "revenue_lift_low", "revenue_lift_high",
                 "conversion_lift", "conversion_lift_low", "conversion_lift_high",
                 "significant", "weeks_to_detect_10pct_lift"), rows)
