"""What every provider format turns into, and the helpers they share.

A provider module (easypost, aftership, shippo, generic) offers
`verify(secret, body, headers, query) -> bool` and `parse(payload) -> Update | None`
(None: a well-formed delivery that carries no tracking, e.g. an EasyPost batch event).
Parsing is pure, so the formats are tested without a database."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.core import get_global

from afterward.tracking.statuses import Status

UNKNOWN_PREFIX = "unknown:"
# Real time zones range from UTC-12:00 (Baker Island) to UTC+14:00 (Kiribati).
_EARLIEST_OFFSET, _LATEST_OFFSET = timedelta(hours=-12), timedelta(hours=14)


@dataclass(frozen=True)
class CarrierEvent:
    occurred_at: datetime
    status: Status
    provider: str
    provider_status: str | None
    message: str | None
    location: str | None
    substatus: str | None = None
    signed_by: str | None = None
    raw: dict[str, Any] | None = None


@dataclass(frozen=True)
class Update:
    """One delivery from a provider: a parcel's events, oldest or newest first."""

    topic: str
    tracking_number: str
    carrier: str | None  # normalised carrier code
    events: tuple[CarrierEvent, ...]
    estimated_delivery_at: datetime | None = None
    signed_by: str | None = None
    is_return: bool | None = None


class PayloadError(ValueError):
    """A delivery we refuse as a whole (422): nothing of it is written."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class Provider:
    name: str
    verify: Callable[[str, bytes, Mapping[str, str], Mapping[str, str]], bool]
    parse: Callable[[Any], Update | None]
    signature: str  # where the provider puts its proof, for error messages


def obj(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(f"{path or 'the body'} must be a JSON object", path or None)
    return value


def items(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{path} must be a list", path)
    return value


def text(value: Any, path: str, limit: int = 2000) -> str | None:
    """An optional string field; numbers are accepted as their text, other types refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PayloadError(f"{path} must be a string", path)
    cleaned = str(value).strip()
    return cleaned[:limit] or None


def tracking_number(value: Any, path: str) -> str:
    number = text(value, path, limit=200)
    if number is None:
        raise PayloadError(f"{path} is missing", path)
    number = re.sub(r"\s+", "", number).upper()
    if not re.fullmatch(r"[A-Z0-9\-]{4,64}", number, re.ASCII):
        raise PayloadError(f"{path} must be 4 to 64 letters, digits or dashes", path)
    return number


def timestamp(value: Any, path: str) -> datetime:
    """An ISO 8601 instant with a time zone offset, as aware UTC."""
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(f"{path} must be an ISO 8601 timestamp with a time zone", path)
    raw = value.strip()
    try:
        parsed = datetime.fromisoformat(raw[:-1] + "+00:00" if raw[-1:] in "zZ" else raw)
    except ValueError as exc:
        raise PayloadError(f"{path} is not an ISO 8601 timestamp: {raw[:40]!r}", path) from exc
    offset = parsed.utcoffset()
    if offset is None:
        raise PayloadError(f"{path} has no time zone offset: {raw[:40]!r}", path)
    if not _EARLIEST_OFFSET <= offset <= _LATEST_OFFSET:
        raise PayloadError(f"{path} has an offset no time zone uses: {raw[:40]!r}", path)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:
        raise PayloadError(f"{path} is out of range: {raw[:40]!r}", path) from exc


def local_timestamp(value: Any, path: str, countries: Sequence[Any]) -> datetime:
    """Like timestamp(), but a time without an offset is a local time where the scan
    happened (AfterShip sends carriers' times as they come): it is read in the time zone
    of the first of `countries` (ISO 3166 alpha-3 or alpha-2) that has exactly one,
    else as UTC, so the event is kept; its raw payload keeps the original text."""
    if not isinstance(value, str) or not value.strip():
        return timestamp(value, path)
    raw = value.strip()
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return timestamp(value, path)  # refused with the same message as any other
    if parsed.utcoffset() is not None:
        return timestamp(value, path)
    zone = next((z for z in map(single_zone, countries) if z is not None), None)
    local = parsed.replace(tzinfo=ZoneInfo(zone) if zone else UTC)
    try:
        return local.astimezone(UTC)
    except OverflowError as exc:
        raise PayloadError(f"{path} is out of range: {raw[:40]!r}", path) from exc


@lru_cache(maxsize=512)
def single_zone(country: Any) -> str | None:
    """The one time zone of a country (alpha-3 or alpha-2 code), or None."""
    if not isinstance(country, str) or len(country.strip()) not in (2, 3):
        return None
    code = country.strip().upper()
    if len(code) == 3:
        aliases = get_global("territory_aliases").get(code)
        if not aliases:
            return None
        code = aliases[0]
    zones = get_global("territory_zones").get(code) or []
    return zones[0] if len(zones) == 1 else None


def estimate(value: Any) -> datetime | None:
    """A carrier's delivery estimate: advisory, so a date without a time or zone is
    skipped rather than refusing the events that came with it."""
    try:
        return timestamp(value, "estimate")
    except PayloadError:
        return None


def header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def hmac_sha256(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()


def join(*parts: str | None, sep: str = ", ") -> str | None:
    kept = [p.strip() for p in parts if p and p.strip()]
    return sep.join(kept) or None


def unknown_substatus(raw: str | None) -> str:
    return (UNKNOWN_PREFIX + (raw or ""))[:64]


# Words in an unmapped status or its message that point at a stage. Order matters:
# the first match wins. An unknown status never claims a final outcome (delivered,
# returned, cancelled): showing "in transit" by mistake costs less than a false "delivered".
_CLUES: tuple[tuple[Status, tuple[str, ...]], ...] = (
    (Status.out_for_delivery, ("out for delivery", "out_for_delivery", "outfordelivery",
                               "with courier", "on vehicle")),
    (Status.available_for_pickup, ("pickup point", "pick up point", "ready for pickup",
                                   "available for pickup", "ready for collection", "locker")),
    (Status.failed_attempt, ("attempt", "notice left", "not home", "no one")),
    (Status.exception, ("exception", "damage", "lost", "customs", "held", "on hold",
                        "refused", "incorrect address", "undeliverable", "delay", "problem",
                        "failure", "error")),
    (Status.info_received, ("label", "pre_transit", "pre-transit", "pretransit", "info",
                            "manifest", "electronic", "awaiting", "created")),
)


def closest_status(provider_status: str | None, message: str | None) -> Status:
    """The stage nearest to a status we have no mapping for."""
    haystack = f"{provider_status or ''} {message or ''}".lower()
    for status, clues in _CLUES:
        if any(clue in haystack for clue in clues):
            return status
    return Status.in_transit


def mapped(table: Mapping[str, Status], provider_status: str | None,
           message: str | None) -> tuple[Status, bool]:
    """(status, known): a provider status through its table, or the closest stage."""
    key = (provider_status or "").strip().lower()
    if key in table:
        return table[key], True
    return closest_status(provider_status, message), False
