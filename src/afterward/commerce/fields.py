"""Field types of API input, each with the JSON Schema that says exactly what it
accepts: a pattern both Python's re and JSON Schema's ECMA regex read alike, or the
list of values; JSON types taken as they are (pydantic's lax mode would read "5" as
5, 1 as true and a number as a Unix time: values the schema calls invalid)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, Strict

from afterward.commerce import validation as v

# The largest id: the largest integer a JSON number carries exactly (and JavaScript's
# Number.MAX_SAFE_INTEGER), so the schema's bound means the same to every client.
ID_MAX = 2**53 - 1
# What a required text needs one of, a character that stripping keeps. Strict models
# strip with pydantic (Unicode White_Space); str.strip() also takes \x1c-\x1f.
NOT_BLANK = r"[^\t-\r\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
NOT_BLANK_FOR_STRIP = (
    r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
# RFC 3339, as JSON Schema's date-time and date formats mean it.
_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_DATE_TIME = re.compile(rf"{_DATE}[Tt][0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}(?:\.[0-9]+)?"
                        r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})")
_FULL_DATE = re.compile(_DATE)


def _one_of(known: Callable[[], Iterable[str]]) -> Callable[[dict[str, Any]], None]:
    """The accepted values, listed when the schema is made (the lists take a moment
    to build: not at import). As a pattern of alternatives rather than an `enum`: the
    same values, but a client (or schemathesis' coverage phase, which sends one request
    per enum value) need not treat 1,200 locales as a type of its own."""
    def extra(schema: dict[str, Any]) -> None:
        schema["pattern"] = "^(?:" + "|".join(map(_literal, sorted(known()))) + ")$"
    return extra


def _literal(text: str) -> str:
    """A value as a regex that Python and ECMA read alike (re.escape escapes `-`,
    which ECMA's unicode mode refuses)."""
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def non_blank(max_length: int) -> Any:
    """Text that must say something: not empty once stripped."""
    return Field(min_length=1, max_length=max_length, json_schema_extra={"pattern": NOT_BLANK})


def _json_integer(value: object) -> object:
    """A JSON integer: 5 or 5.0 (the same number in JSON), not "5" or true."""
    if isinstance(value, bool | str):
        raise ValueError("expected an integer")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _json_number(value: object) -> object:
    """A JSON number: true, false and text are refused, not read as 1, 0 or a number."""
    if isinstance(value, bool | str):
        raise ValueError("expected a number")
    return value


def _written_as(pattern: re.Pattern[str], what: str) -> Callable[[object], object]:
    def check(value: object) -> object:
        if isinstance(value, str) and not pattern.fullmatch(value):
            raise ValueError(f"expected {what}")
        if isinstance(value, int | float):
            raise ValueError(f"expected {what} as text, not a number")
        return value
    return check


# After the bounds, so the schema shows them (pydantic cannot put bounds given outside
# a validator into the schema).
JSON_INTEGER = BeforeValidator(_json_integer)
JSON_NUMBER = BeforeValidator(_json_number)
Id = Annotated[int, Field(ge=1, le=ID_MAX), JSON_INTEGER]
MinorAmount = Annotated[int, Field(ge=0, le=10**12), JSON_INTEGER]
Flag = Annotated[bool, Strict()]
Moment = Annotated[datetime, BeforeValidator(_written_as(
    _DATE_TIME, "a date and time with its offset, like 2026-01-31T12:00:00Z"))]
Day = Annotated[date, BeforeValidator(_written_as(_FULL_DATE, "a date like 2026-01-31"))]
Str100 = Annotated[str, non_blank(100)]
# Checked and normalised at the edge (commerce/validation.py): a bad value is a 422.
Email = Annotated[str, AfterValidator(v.email_address), Field(
    json_schema_extra={"pattern": v.EMAIL_PATTERN, "maxLength": v.EMAIL_MAX})]
Phone = Annotated[str, AfterValidator(v.phone_e164), Field(
    json_schema_extra={"pattern": v.PHONE_PATTERN})]
LocaleTag = Annotated[str, AfterValidator(v.locale_tag), Field(
    json_schema_extra=_one_of(lambda: v.known_locales().values()),
    description="A locale tag (any case, `-` or `_`)")]
TimeZone = Annotated[str, AfterValidator(v.timezone_name), Field(
    json_schema_extra=_one_of(v.known_zones))]
Currency = Annotated[str, AfterValidator(v.currency_code), Field(
    json_schema_extra=_one_of(v.known_currencies), description="ISO 4217 (any case)")]
WebUrl = Annotated[str, AfterValidator(v.web_url), Field(
    json_schema_extra={"pattern": v.WEB_URL_PATTERN},
    description="An http(s) address, or a path on this site like /media/logo.svg")]
