"""How the admin shows values: money, moments, counts and rates in the current store's
locale and time zone, carriers and languages by their names. Jinja filters
read the store from the page's context; the plain functions take the locale."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import jinja2
from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal, format_percent

from afterward.tracking.carriers import registry
from afterward.web import i18n


def _locale_of(ctx: Any) -> str | None:
    store = ctx.get("store")
    return store.locale if store else None


def number(value: int | float | None, locale: str | None) -> str:
    """A count with the locale's grouping: 12,345 / 12.345 / 12 345."""
    if value is None:
        return "—"
    return format_decimal(value, locale=i18n.locale_or_default(locale))


def percent(rate: float | None, locale: str | None) -> str:
    """A share with one decimal, as the locale writes percentages: 95.3% / 95,3 %."""
    if rate is None:
        return "—"
    return format_percent(rate, _percent_pattern(locale), locale=i18n.locale_or_default(locale))


@lru_cache(maxsize=64)
def _percent_pattern(locale: str | None) -> str:
    """The locale's own percent pattern ("#,##0 %") with one decimal ("#,##0.0 %")."""
    pattern = i18n.locale_or_default(locale).percent_formats[None].pattern
    return ";".join(re.sub(r"0([^0]*)$", r"0.0\1", part) for part in pattern.split(";"))


def points(value: float | None, locale: str | None) -> str:
    """A difference in percentage points, always signed: +2.5 / -1,0."""
    if value is None:
        return "—"
    return format_decimal(value, "+#,##0.0;-#,##0.0", locale=i18n.locale_or_default(locale))


def carrier_label(code: str | None) -> str:
    """DHL Express for dhl_express; a carrier we do not know keeps its own code."""
    if not code or code == "?":
        return "Unknown carrier"
    return registry.display_name(code) or code


def language_name(tag: str | None, locale: str | None) -> str:
    """A customer's locale tag as words in the store's language: de_AT -> German (Austria)."""
    if not tag:
        return "—"
    try:
        name = Locale.parse(tag.replace("-", "_")).get_display_name(
            i18n.locale_or_default(locale))
    except (UnknownLocaleError, ValueError):
        return tag
    return name or tag


@jinja2.pass_context
def _money(ctx: Any, minor: int | None, currency: str) -> str:
    return i18n.money(minor, currency, _locale_of(ctx))


@jinja2.pass_context
def _when(ctx: Any, value: Any, fmt: str = "medium") -> str:
    store = ctx.get("store")
    return i18n.when(value, store.timezone if store else None, _locale_of(ctx), fmt)


@jinja2.pass_context
def _number(ctx: Any, value: int | float | None) -> str:
    return number(value, _locale_of(ctx))


@jinja2.pass_context
def _percent(ctx: Any, rate: float | None) -> str:
    return percent(rate, _locale_of(ctx))


@jinja2.pass_context
def _points(ctx: Any, value: float | None) -> str:
    return points(value, _locale_of(ctx))


@jinja2.pass_context
def _language(ctx: Any, tag: str | None) -> str:
    return language_name(tag, _locale_of(ctx))


FILTERS = {"money": _money, "when": _when, "number": _number, "percent": _percent,
           "points": _points, "carrier": carrier_label, "language": _language}
