"""Durations in journey definitions: "P3D", "PT12H", "P1W", "P1DT2H30M" or "3d",
"12h", "30m", "2w". Pure.

At most MAX_WAIT in all; a duration of several parts keeps each part within its
unit (at most 52 weeks, 365 days, 23 hours, 59 minutes). PATTERN says exactly that
for the API's schema."""

from __future__ import annotations

import re
from datetime import timedelta

MAX_WAIT = timedelta(days=730)
_NUMBER = "(?:0|[1-9][0-9]{0,4})"
_SHORT = re.compile(f"({_NUMBER})(m|min|h|d|w)")
_ISO_TIME = f"T(?:{_NUMBER}H{_NUMBER}M|{_NUMBER}H|{_NUMBER}M)"
_ISO = re.compile(f"P(?:{_NUMBER}W(?:{_NUMBER}D)?(?:{_ISO_TIME})?|{_NUMBER}D(?:{_ISO_TIME})?"
                  f"|{_ISO_TIME})")
_PART = re.compile("([0-9]+)([WDHM])")
_UNITS = {"W": "weeks", "D": "days", "H": "hours", "M": "minutes",
          "w": "weeks", "d": "days", "h": "hours", "m": "minutes", "min": "minutes"}
PART_LIMITS = {"weeks": 52, "days": 365, "hours": 23, "minutes": 59}


class DurationError(ValueError):
    pass


def parse(text: object) -> timedelta:
    """The duration, or DurationError saying what is wrong with it."""
    parts = _parts(text)
    if parts is None:
        raise DurationError(f"{text!r} is not a duration like P3D, PT12H, 3d or 12h")
    value = timedelta(**parts)
    if value > MAX_WAIT:
        raise DurationError(f"at most {MAX_WAIT.days} days")
    if len(parts) > 1 and any(parts[unit] > limit for unit, limit in PART_LIMITS.items()
                              if unit in parts):
        raise DurationError("in a duration of several parts, at most 52 weeks, 365 days, "
                            "23 hours and 59 minutes each")
    return value


def _parts(text: object) -> dict[str, int] | None:
    if not isinstance(text, str):
        return None
    short = _SHORT.fullmatch(text)
    if short:
        return {_UNITS[short.group(2)]: int(short.group(1))}
    if _ISO.fullmatch(text):
        return {_UNITS[unit]: int(amount) for amount, unit in _PART.findall(text)}
    return None


# The same, as one regex for JSON Schema: single parts up to MAX_WAIT, several parts
# each within its unit. Numbers have no leading zeros.
_DAYS = "(?:0|[1-9][0-9]?|[1-6][0-9]{2}|7[0-2][0-9]|730)"
_WEEKS = "(?:0|[1-9][0-9]?|10[0-4])"
_HOURS = "(?:0|[1-9][0-9]{0,3}|1[0-6][0-9]{3}|17[0-4][0-9]{2}|17520)"
_MINUTES = _NUMBER  # 99999 minutes is under 70 days
_PART_W = "(?:0|[1-9]|[1-4][0-9]|5[0-2])W"
_PART_D = "(?:0|[1-9][0-9]?|[12][0-9]{2}|3[0-5][0-9]|36[0-5])D"
_PART_H = "(?:[0-9]|1[0-9]|2[0-3])H"
_PART_M = "(?:[0-9]|[1-5][0-9])M"
_TIME_PARTS = f"T(?:{_PART_H}{_PART_M}|{_PART_H}|{_PART_M})"
PATTERN = (f"^(?:{_MINUTES}(?:m|min)|{_HOURS}h|{_DAYS}d|{_WEEKS}w"
           f"|P(?:{_WEEKS}W|{_DAYS}D|T{_HOURS}H|T{_MINUTES}M)"
           f"|P(?:{_PART_W}{_PART_D}(?:{_TIME_PARTS})?|{_PART_W}{_TIME_PARTS}"
           f"|{_PART_D}{_TIME_PARTS}|T{_PART_H}{_PART_M}))$")
