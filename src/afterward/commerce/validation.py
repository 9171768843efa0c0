"""Pure checks for what arrives at the edge: currency, email, phone, time zone, locale,
colours, links and the addresses of pictures.

Each accepts exactly what the API's schema says (commerce/schemas.py): a pattern that
Python's re (fullmatch) and JSON Schema's ECMA regex read alike, or a list of values.
The checks also tolerate surrounding whitespace, and currency and locale any case."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from babel import Locale, UnknownLocaleError, localedata
from babel.numbers import get_currency_precision, list_currencies

# Whitespace and control characters, as both regex dialects read them (not \s, which
# Python and ECMA define differently).
SPACE_OR_CONTROL = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"  # of a DNS name
EMAIL_PATTERN = rf"^[^@{SPACE_OR_CONTROL}]{{1,64}}@{LABEL}(?:\.{LABEL})+$"
EMAIL_MAX = 254
# International form: + and 7-15 digits, the first not 0; spaces, brackets, dots and
# dashes between them are dropped.
PHONE_PATTERN = r"^\+[1-9](?:[ ().-]{0,2}[0-9]){6,14}$"
# A link or a picture: absolute http(s) in any case, or a path on this site. Python's
# \s and control characters, spelt out.
_PY_SPACE = r"\x00-\x20\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
LINK_PATTERN = rf"^[Hh][Tt][Tt][Pp][Ss]?://[^{_PY_SPACE}/?#][^{_PY_SPACE}]*$"
WEB_URL_PATTERN = rf"^(?:{LINK_PATTERN[1:-1]}|/(?![/\\])[^{_PY_SPACE}]*)$"
CLOCK_PATTERN = r"^([01]?[0-9]|2[0-3]):([0-5]?[0-9])$"  # 21:00, 7:30
_EMAIL = re.compile(EMAIL_PATTERN)
_PHONE = re.compile(PHONE_PATTERN)
_LINK = re.compile(LINK_PATTERN)
_WEB_URL = re.compile(WEB_URL_PATTERN)
_CLOCK = re.compile(CLOCK_PATTERN)
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

# A customer's account on the store platform (Shopify's `state`; customers.account_seen).
ACCOUNT_STATES = ("enabled", "disabled", "invited", "declined")


class InvalidValue(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class UnknownReference(InvalidValue):
    """The value names an object this store does not have (the API answers 404)."""


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
    if len(candidate) > EMAIL_MAX or not _EMAIL.fullmatch(candidate):
        raise InvalidValue(field, f"{value!r} is not a valid email address")
    local, _, domain = candidate.rpartition("@")
    return f"{local}@{domain.lower()}"


def phone_e164(value: str, field: str = "phone") -> str:
    """'+49 30 901820' -> '+4930901820'. Any number in international form is taken
    (a numbering plan newer than libphonenumber's is still a number); one it knows is
    written as it writes it."""
    candidate = (value or "").strip()
    if not _PHONE.fullmatch(candidate):
        raise InvalidValue(field, f"{value!r} is not a phone number in international form, "
                                  "like +49 30 901820")
    digits = "+" + re.sub(r"[^0-9]", "", candidate)
    try:
        parsed = phonenumbers.parse(digits, None)
    except phonenumbers.NumberParseException:
        return digits
    if not phonenumbers.is_valid_number(parsed):
        return digits
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def clock_time(value: str, field: str) -> str:
    """'7:30' -> '07:30'."""
    found = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None:
        raise InvalidValue(field, f"{value!r} is not a time like 21:00")
    return f"{int(found.group(1)):02d}:{int(found.group(2)):02d}"


@cache
def known_zones() -> frozenset[str]:
    """IANA names this system's time zone data can load."""
    return frozenset(name for name in available_timezones() if _loads(name))


def _loads(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def timezone_name(value: str, field: str = "timezone") -> str:
    if value not in known_zones():
        raise InvalidValue(
            field, f"unknown time zone {value!r}: use an IANA name such as Europe/Berlin")
    return value


@cache
def known_locales() -> dict[str, str]:
    """Every locale tag accepted, by its lower-case form: Babel's locales, and a
    language with a territory where Babel names it with a script too (zh_TW for
    zh_Hant_TW)."""
    tags = set(localedata.locale_identifiers())
    for tag in list(tags):
        parts = tag.split("_")
        if len(parts) == 3 and len(parts[1]) == 4:  # language_Script_TERRITORY
            tags.add(f"{parts[0]}_{parts[2]}")
    return {tag.lower(): tag for tag in tags if _parses(tag)}


def _parses(tag: str) -> bool:
    try:
        Locale.parse(tag)
    except (UnknownLocaleError, ValueError):
        return False
    return True


def locale_tag(value: str, field: str = "locale") -> str:
    """'pt-br' -> 'pt_BR', 'zh_TW' -> 'zh_Hant_TW': Babel's name for the locale."""
    tag = known_locales().get((value or "").strip().replace("-", "_").lower())
    if tag is None:
        raise InvalidValue(
            field, f"unknown locale {value!r}: use a tag such as de or pt_BR")
    return str(Locale.parse(tag))


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
    return isinstance(value, str) and _LINK.fullmatch(value) is not None


def web_url(value: str, field: str = "url") -> str:
    """A picture's address: absolute http(s), or a path on this site."""
    if not _WEB_URL.fullmatch(value or ""):
        raise InvalidValue(field, f"{value!r} is not an http(s) address or a path like "
                                  "/media/logo.svg")
    return value
