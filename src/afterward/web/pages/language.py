"""The shopper's language and clock: which of our catalogues to use (from ?lang=,
the customer's locale, Accept-Language, then the store's locale), the gettext
callables for templates, and dates in the shopper's time zone. The catalogues
themselves are afterward.catalogues, shared with the built-in messages."""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_interval

from afterward.catalogues import DEFAULT, translations
from afterward.web import i18n

_BY_PRIMARY = {"en": "en", "de": "de", "fr": "fr", "pt": "pt_BR"}
MAX_ACCEPT_LANGUAGE = 500


def supported(tag: str | None) -> str | None:
    """Our catalogue for a locale tag ('de-AT' -> 'de', 'pt' -> 'pt_BR'), or None."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return _BY_PRIMARY.get(primary)


def accepted(header: str | None) -> list[str]:
    """Accept-Language tags, the most wanted first; q=0 and malformed weights dropped."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "")[:MAX_ACCEPT_LANGUAGE].split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and weight > 0:
            weighted.append((-weight, position, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def choose(*, query: str | None, customer: str | None, accept_language: str | None,
           store: str | None) -> str:
    for tag in (query, customer, *accepted(accept_language), store):
        found = supported(tag)
        if found:
            return found
    return DEFAULT


def html_lang(code: str) -> str:
    return code.replace("_", "-")


Gettext = Callable[..., str]


@dataclass(frozen=True)
class Speaker:
    """One language and one time zone: what a page needs to say things and tell time."""

    code: str
    zone: str

    @property
    def tr(self) -> gettext.NullTranslations:
        return translations(self.code)

    def gettext(self, message: str, **values: object) -> str:
        text = self.tr.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, num: int, **values: object) -> str:
        text = self.tr.ngettext(singular, plural, num)
        return text % {"num": num, **values}

    def when(self, value: datetime | None) -> str:
        """Medium date and short time, e.g. '3 Mar 2026, 14:05' in the shopper's zone."""
        if value is None or not _short_time_in_minutes(self.code):
            return i18n.when(value, self.zone, self.code)
        local = value.astimezone(i18n.zone_or_utc(self.zone))
        return _when(local.date(), local.hour, local.minute, self.zone, self.code)

    def day(self, value: datetime | None) -> str:
        """A weekday and date, e.g. 'Tue, Mar 10' / 'Di., 10. März'."""
        if value is None:
            return ""
        return _day(value.astimezone(i18n.zone_or_utc(self.zone)).date(), self.code)

    def window(self, start: datetime, end: datetime) -> str:
        zone: ZoneInfo = i18n.zone_or_utc(self.zone)
        start, end = start.astimezone(zone), end.astimezone(zone)
        if start.date() == end.date():
            return self.day(start)
        return _interval(start.date(), end.date(), self.code)

    def days(self, first: date, last: date) -> str:
        """A window of whole days, already in the zone they were counted in (the
        delay email says the same: messaging/templates.py, the `days` filter)."""
        return _day(first, self.code) if first == last else _interval(first, last, self.code)

    def iso(self, value: datetime) -> str:
        return value.astimezone(i18n.zone_or_utc(self.zone)).isoformat(timespec="minutes")


# Babel's formatting is most of a page's time in words, and pages repeat the same days
# and minutes: the words are remembered per local day (and hour and minute).
@lru_cache(maxsize=4096)
def _day(day: date, code: str) -> str:
    return format_date(day, _skeleton(code, "MMMEd"), locale=i18n.locale_or_default(code))


@lru_cache(maxsize=4096)
def _interval(start: date, end: date, code: str) -> str:
    return format_interval(start, end, skeleton="MMMEd", locale=i18n.locale_or_default(code))


@lru_cache(maxsize=16384)
def _when(day: date, hour: int, minute: int, zone: str, code: str) -> str:
    return i18n.when(datetime.combine(day, time(hour, minute), i18n.zone_or_utc(zone)),
                     zone, code)


@cache
def _short_time_in_minutes(code: str) -> bool:
    """Whether the language's short time shows only hours, minutes and the day period
    (then a moment's words depend on its local day, hour and minute alone)."""
    pattern = str(i18n.locale_or_default(code).time_formats["short"].pattern)
    fields = {c for c in re.sub(r"'[^']*'", "", pattern) if c.isascii() and c.isalpha()}
    return fields <= set("hHkKmabB")


def _skeleton(code: str, skeleton: str) -> str:
    formats = i18n.locale_or_default(code).datetime_skeletons
    return str(formats.get(skeleton, "medium"))
