"""Display formatting for pages: money in minor units, datetimes in a time zone.
Formatting only; stored values stay integers and aware UTC datetimes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.dates import format_datetime as babel_datetime
from babel.numbers import format_currency

from afterward.commerce.validation import from_minor

DEFAULT_LOCALE = "en"


def locale_or_default(tag: str | None) -> Locale:
    try:
        return Locale.parse((tag or DEFAULT_LOCALE).replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LOCALE)


def zone_or_utc(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def money(minor: int | None, currency: str, locale: str | None = None) -> str:
    if minor is None:
        return ""
    try:
        amount = from_minor(minor, currency)
    except Exception:  # an unknown currency code: show the bare figure rather than fail
        return f"{minor} {currency}"
    return format_currency(amount, currency, locale=locale_or_default(locale))


def when(value: datetime | None, timezone: str | None = None, locale: str | None = None,
         fmt: str = "medium") -> str:
    """A moment in the viewer's zone; "medium" is a medium date with a short time
    (seconds only clutter a page)."""
    if value is None:
        return ""
    zone, loc = zone_or_utc(timezone), locale_or_default(locale)
    if fmt != "medium":
        return babel_datetime(value, fmt, tzinfo=zone, locale=loc)
    local = value.astimezone(zone)
    joined = str(loc.datetime_formats.get("medium", "{1}, {0}"))
    return joined.replace("{1}", format_date(local, "medium", locale=loc)).replace(
        "{0}", format_time(local, "short", tzinfo=zone, locale=loc))
