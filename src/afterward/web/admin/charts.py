"""The dashboard's two charts (orders and revenue per day, this period against the one
before) as the page shows them: figures written in the store's locale for the table
and the summary, and the raw series Chart.js draws (admin-charts.js reads them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from babel.dates import format_skeleton
from babel.numbers import get_currency_precision

from afterward.commerce.sales import DaySales, SalesOverTime
from afterward.web import i18n
from afterward.web.admin import display
from afterward.web.pages.language import html_lang


@dataclass(frozen=True)
class ChartRow:
    """One day of the period beside the day in the same place of the period before."""

    day: str
    text: str
    previous_day: str
    previous_text: str


@dataclass(frozen=True)
class ComparisonChart:
    id: str
    total: str
    previous_total: str
    change: str | None  # "+12.5%", or None when the period before had nothing
    rows: tuple[ChartRow, ...]
    data: dict[str, Any]  # for Chart.js: labels, both series, how to write a value


def day_label(day: Any, locale: str | None, skeleton: str = "MMMd") -> str:
    """Mar 4 / 4. März / 4 mars / 4 de mar. ("MMMEd" adds the weekday)."""
    return format_skeleton(skeleton, day, locale=i18n.locale_or_default(locale))


def change(current: int, previous: int, locale: str | None) -> str | None:
    if previous == 0:
        return None
    ratio = (current - previous) / previous
    return ("+" if ratio > 0 else "") + display.percent(ratio, locale)


def _chart(chart_id: str, sales: SalesOverTime, value: Callable[[DaySales], int],
           write: Callable[[int], str], locale: str | None,
           fmt: dict[str, Any]) -> ComparisonChart:
    current = [value(day) for day in sales.current]
    previous = [value(day) for day in sales.previous]
    rows = tuple(ChartRow(day_label(now.day, locale, "MMMEd"), write(now_value),
                          day_label(then.day, locale, "MMMEd"), write(then_value))
                 for now, then, now_value, then_value
                 in zip(sales.current, sales.previous, current, previous, strict=True))
    data = {"labels": [day_label(day.day, locale) for day in sales.current],
            "previousLabels": [day_label(day.day, locale) for day in sales.previous],
            "current": current, "previous": previous,
            "locale": html_lang(str(i18n.locale_or_default(locale))), **fmt}
    return ComparisonChart(chart_id, write(sum(current)), write(sum(previous)),
                           change(sum(current), sum(previous), locale), rows, data)


def orders_chart(sales: SalesOverTime, locale: str | None) -> ComparisonChart:
    return _chart("orders-chart", sales, lambda day: day.orders,
                  lambda n: display.number(n, locale), locale, {"kind": "count"})


def revenue_chart(sales: SalesOverTime, locale: str | None) -> ComparisonChart:
    currency = sales.currency
    return _chart("revenue-chart", sales, lambda day: day.revenue_minor,
                  lambda minor: i18n.money(minor, currency, locale), locale,
                  {"kind": "money", "currency": currency,
                   "exponent": get_currency_precision(currency)})
