"""Reading the values of a Shopify resource the way Shopify means them.

Shopify has already taken the order, so an odd value is mapped onto what our
columns can hold (text cut to the column size, an address we cannot use left
out) rather than refused. Only what we cannot read without guessing an amount or
an identity (a price that is not a number, an order with no id) raises
Unreadable; the delivery is then kept for review instead of applied."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from afterward.commerce.errors import CommerceError
from afterward.commerce.validation import (
    InvalidValue,
    currency_code,
    email_address,
    minor_units_exponent,
)

# Orders' and lines' money columns are INTEGER: PostgreSQL refuses anything larger.
LARGEST_STORABLE_MINOR = 2**31 - 1
_NOT_IN_A_NUMBER = re.compile(r"[\s\x00-\x1f]+")
# A Shopify resource nests five levels deep; anything below this is cut to null.
MAX_NESTING = 32


class Unreadable(CommerceError):
    """A value we cannot read without guessing: the delivery is kept for review."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__("unreadable", message, field)


def storable(value: Any, depth: int = 0) -> Any:
    """The payload without what no database column can hold: NUL characters, lone
    UTF-16 surrogates, NaN or infinite numbers (PostgreSQL's JSONB refuses them), and
    nesting deeper than a Shopify resource has (it would exhaust Python's stack in
    the JSON encoder, so it is cut to null)."""
    if isinstance(value, str):
        return _storable_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict | list) and depth >= MAX_NESTING:
        return None
    if isinstance(value, dict):
        return {_storable_text(str(k)): storable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v, depth + 1) for v in value]
    return value


def _storable_text(value: str) -> str:
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def text(value: Any, size: int) -> str | None:
    """Free text cut to its column's size; a value of the wrong kind is no value."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    cut = str(value).strip()[:size].rstrip()
    return cut or None


def identifier(value: Any, field: str) -> str | None:
    """Shopify ids are numbers; a string id is taken as it is. One longer than 64
    characters is no Shopify id, and cutting it could make it another's."""
    found = text(value, 1000)
    if found is not None and len(found) > 64:
        raise Unreadable(field, f"{field} is not an id: {found[:20]!r}...")
    return found


def order_number(*candidates: Any) -> str | None:
    """The first candidate that still says something without whitespace, as the
    order number column holds it (no spaces, at most 64 characters)."""
    for candidate in candidates:
        raw = text(candidate, 1000)
        number = _NOT_IN_A_NUMBER.sub("", raw or "")[:64]
        if number:
            return number
    return None


def currency(value: Any, fallback: str) -> str:
    """Shopify's `currency` is the shop's currency, so a missing or unknown code
    means the store's own."""
    try:
        return currency_code(value if isinstance(value, str) else "")
    except InvalidValue:
        return fallback


def money(value: Any, code: str, field: str) -> int:
    """'19.99' -> 1999 minor units. Shopify sends decimal strings, sometimes numbers;
    more decimals than the currency has are rounded half to even."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Unreadable(field, f"{field} is not an amount")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise Unreadable(field, f"{field} is not an amount: {value!r}") from exc
    if not amount.is_finite() or amount < 0:
        raise Unreadable(field, f"{field} is not a non-negative amount: {value!r}")
    if amount.adjusted() > 20:
        raise Unreadable(field, f"{field} is too large to store: {value!r}")
    minor = int(amount.scaleb(minor_units_exponent(code))
                .quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    return storable_minor(minor, field)


def storable_minor(minor: int, field: str) -> int:
    if minor > LARGEST_STORABLE_MINOR:
        raise Unreadable(field, f"{field} is too large to store ({minor} minor units)")
    return minor


def quantity(value: Any, field: str) -> int:
    """A count of items: a whole number, also when sent as 2.0 or "2"; 0 is a count."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Unreadable(field, f"{field} is not a whole number")
    try:
        count = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise Unreadable(field, f"{field} is not a whole number: {value!r}") from exc
    if not count.is_finite() or count != count.to_integral_value() or count < 0:
        raise Unreadable(field, f"{field} is not a whole number: {value!r}")
    if count > 100000:
        raise Unreadable(field, f"{field} is more than 100000 items: {value!r}")
    return int(count)


def timestamp(value: Any) -> datetime | None:
    """An ISO 8601 time as UTC; one without an offset is taken as UTC; anything
    else is no time."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: beyond year 1..9999 in UTC
        return None


def email(value: Any) -> str | None:
    """An address we can send to, or none: an internationalised domain is kept in its
    ASCII (IDNA) form; an address we cannot read is left out rather than refused."""
    candidate = text(value, 320)
    if candidate is None:
        return None
    try:
        return email_address(candidate)
    except InvalidValue:
        pass
    local, _, domain = candidate.rpartition("@")
    try:
        return email_address(f"{local}@{domain.encode('idna').decode('ascii')}")
    except (InvalidValue, UnicodeError):
        return None


def country(value: Any) -> str | None:
    code = text(value, 10)
    if code is None or len(code) != 2 or not code.isascii() or not code.isalpha():
        return None
    return code.upper()


def objects(value: Any, field: str) -> list[dict[str, Any]]:
    """A list of JSON objects; missing or null is an empty list."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise Unreadable(field, f"{field} is not a list of objects")
    return value


def boolean(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None
