"""Pure checks for what arrives at the edge: currency, email, phone, time zone, locale,
colours and the addresses of pictures."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_precision, list_currencies

_EMAIL = re.compile(r"^[^@\s\x00-\x1f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_HTTP_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f/?#][^\s\x00-\x1f\x7f]*", re.IGNORECASE)
_SITE_PATH = re.compile(r"/(?![/\\])[^\s\x00-\x1f\x7f]*")


class InvalidValue(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@cache
def known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def currency_code(value: str, field: str = "currency") -> str:
    code = (value or "").strip().upper()
    if code not in known_currencies():
        raise InvalidValue(field, f"unknown currency {value!r}: use an ISO 4217 code such as EUR")
    return code


def minor_units_exponent(currency: str) -> int:
    return int(get_currency_precision(currency))


def to_minor(amount: str | int | float | Decimal, currency: str, field: str = "amount") -> int:
    """'12.34' EUR -> 1234; '1200' JPY -> 1200. Refuses more decimals than the currency has."""
    try:
        value = Decimal(str(amount).strip())
    except (InvalidOperation, ValueError) as exc:
        raise InvalidValue(field, f"{amount!r} is not a number") from exc
    if not value.is_finite():
        raise InvalidValue(field, f"{amount!r} is not a number")
    if abs(value) > 10**13:
        raise InvalidValue(field, f"{amount!r} is out of range")
    exponent = minor_units_exponent(currency)
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise InvalidValue(field, f"{amount!r} has more decimals than {currency} allows")
    result = int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    if abs(result) > 10**15:
        raise InvalidValue(field, f"{amount!r} is out of range")
    return result


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_units_exponent(currency))


def email_address(value: str, field: str = "email") -> str:
    candidate = (value or "").strip()
    if len(candidate) > 254 or not _EMAIL.match(candidate):
        raise InvalidValue(field, f"{value!r} is not a valid email address")
    local, _, domain = candidate.rpartition("@")
    return f"{local}@{domain.lower()}"


def phone_e164(value: str, field: str = "phone", region: str | None = None) -> str:
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidValue(field, f"{value!r} is not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidValue(field, f"{value!r} is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone_name(value: str, field: str = "timezone") -> str:
    if value not in _zones():
        raise InvalidValue(
            field, f"unknown time zone {value!r}: use an IANA name such as Europe/Berlin")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidValue(field, f"unknown time zone {value!r}") from exc
    return value


def locale_tag(value: str, field: str = "locale") -> str:
    tag = (value or "").strip().replace("-", "_")
    try:
        parsed = Locale.parse(tag)
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise InvalidValue(
            field, f"unknown locale {value!r}: use a tag such as de or pt_BR") from exc
    return str(parsed)


def slug(value: str, field: str = "slug") -> str:
    if not _SLUG.match(value or ""):
        raise InvalidValue(field, "a slug is 1-64 lowercase letters, digits and inner hyphens")
    return value


def colour(value: str, field: str) -> str:
    if not _COLOUR.match(value or ""):
        raise InvalidValue(field, f"{value!r} is not a colour like #1f3a5f")
    return value.lower()


def is_http_url(value: object) -> bool:
    """An absolute http(s) address: what a link or a picture may point at. Any other
    scheme (javascript:, data:) is something a page or an email would run or open."""
    return isinstance(value, str) and _HTTP_URL.fullmatch(value) is not None


def web_url(value: str, field: str = "url") -> str:
    """A picture's address: absolute http(s), or a path on this site."""
    if not (is_http_url(value) or _SITE_PATH.fullmatch(value or "")):
        raise InvalidValue(field, f"{value!r} is not an http(s) address or a path like "
                                  "/media/logo.svg")
    return value
