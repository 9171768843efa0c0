"""A parcel's state derived from its events, ordered by when they happened. Pure: it
reads events and writes the derived fields onto anything shaped like a shipment (an
ORM Shipment or the plain rows of the carrier-event path, tracking/parcel_rows.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from afterward.tracking.statuses import TERMINAL, Status

# Which status wins when two events share a timestamp: the one further along.
PRECEDENCE: dict[str, int] = {status.value: rank for rank, status in enumerate((
    Status.pending, Status.info_received, Status.in_transit, Status.out_for_delivery,
    Status.available_for_pickup, Status.failed_attempt, Status.exception, Status.expired,
    Status.delivered, Status.returned_to_sender, Status.cancelled))}
PLATFORM = "platform"  # events a store platform reported, not a carrier scan
PROBLEMS = frozenset({Status.exception, Status.failed_attempt, Status.returned_to_sender})
# No delivery window for these: the parcel has arrived or will not arrive.
NO_WINDOW = frozenset({*TERMINAL, Status.expired})


class EventView(Protocol):
    """What derivation reads of a stored tracking event."""

    @property
    def occurred_at(self) -> datetime: ...
    @property
    def status(self) -> str: ...
    @property
    def substatus(self) -> str | None: ...
    @property
    def provider(self) -> str: ...
    @property
    def provider_status(self) -> str | None: ...
    @property
    def message(self) -> str | None: ...
    @property
    def location(self) -> str | None: ...
    @property
    def signed_by(self) -> str | None: ...
    @property
    def dedupe_key(self) -> str: ...


E = TypeVar("E", bound=EventView)


class Parcel(Protocol):
    """The shipment fields the event path reads and writes."""

    id: int
    store_id: int
    order_id: int | None
    direction: str
    carrier: str | None
    service: str | None
    origin_region: str | None
    destination_region: str | None
    status: str
    substatus: str | None
    provider_status: str | None
    last_event_at: datetime | None
    last_location: str | None
    last_message: str | None
    signed_by: str | None
    exception_reason: str | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    promised_at: datetime | None
    carrier_estimated_at: datetime | None
    eta_earliest: datetime | None
    eta_likely: datetime | None
    eta_latest: datetime | None
    eta_level: str | None
    delayed_at: datetime | None
    stalled_at: datetime | None


def ordered(events: Iterable[E]) -> list[E]:
    """Events oldest first; ties broken by how far along they are, then by content,
    never by arrival."""
    return sorted(events, key=lambda e: (e.occurred_at, PRECEDENCE.get(e.status, 2),
                                         e.dedupe_key))


def current(events: Sequence[EventView]) -> EventView:
    """The event that sets the state: the latest carrier scan, unless the store
    platform reported something newer *and* further along. A platform's own
    "info_received" stamped at import time must not hide the scans before it."""
    scans = [e for e in events if e.provider != PLATFORM]
    if not scans:
        return events[-1]
    latest = scans[-1]
    reported = [e for e in events if e.provider == PLATFORM]
    if reported and reported[-1].occurred_at > latest.occurred_at and \
            PRECEDENCE.get(reported[-1].status, 2) >= PRECEDENCE.get(latest.status, 2):
        return reported[-1]
    return latest


def derive_state(parcel: Parcel, events: Sequence[EventView]) -> None:
    """Set the parcel's status and latest facts from its events (in timeline order)."""
    latest = current(events)
    parcel.status = latest.status
    parcel.substatus = latest.substatus
    parcel.provider_status = latest.provider_status
    parcel.last_event_at = latest.occurred_at
    parcel.last_message = latest.message[:500] if latest.message else None
    parcel.last_location = next((e.location for e in reversed(events) if e.location),
                                parcel.last_location)
    delivered = [e for e in events if e.status == Status.delivered]
    if delivered:
        parcel.delivered_at = delivered[-1].occurred_at
        parcel.signed_by = next((e.signed_by for e in reversed(delivered) if e.signed_by),
                                parcel.signed_by)
    parcel.exception_reason = (
        (latest.message or latest.substatus or latest.status)[:300]
        if latest.status in PROBLEMS else None)
