"""Carrier deliveries in Core statements: the parcels with a tracking number and
their events read as plain rows, new events inserted (storage/bulk.py), and only the
changed columns of a parcel written back. On every carrier webhook, so no ORM unit of
work (it cost most of a single-event request); the rules themselves live in
service.py and timeline.py, shared with the ORM path."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select, update

from afterward.storage import bulk
from afterward.tracking.carriers.base import CarrierEvent
from afterward.tracking.models import Shipment, TrackingEvent

SHIPMENTS = cast(Table, Shipment.__table__)
EVENTS = cast(Table, TrackingEvent.__table__)


@dataclass
class ParcelRow:
    """A shipment's columns that the event path reads and writes (timeline.Parcel)."""

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

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in PARCEL_COLUMNS}


@dataclass(frozen=True)
class StoredEvent:
    """A tracking event as derivation reads it (timeline.EventView)."""

    occurred_at: datetime
    status: str
    substatus: str | None
    provider: str
    provider_status: str | None
    message: str | None
    location: str | None
    signed_by: str | None
    dedupe_key: str


PARCEL_COLUMNS = tuple(f.name for f in fields(ParcelRow))
EVENT_COLUMNS = tuple(f.name for f in fields(StoredEvent))

_BY_NUMBER = (select(*(SHIPMENTS.c[name] for name in PARCEL_COLUMNS))
              .where(SHIPMENTS.c.store_id == bindparam("store_id"),
                     SHIPMENTS.c.tracking_number == bindparam("number"))
              .order_by(SHIPMENTS.c.id))
_EVENTS_OF = (select(EVENTS.c.shipment_id, *(EVENTS.c[name] for name in EVENT_COLUMNS))
              .where(EVENTS.c.shipment_id.in_(bindparam("ids", expanding=True))))
# SET takes the columns of the parameters given (compiled once per set of columns).
_UPDATE = update(SHIPMENTS).where(SHIPMENTS.c.id == bindparam("parcel_id"))


def by_number(conn: Connection, *, store_id: int, number: str) -> list[ParcelRow]:
    """The store's parcels with this (normalized) tracking number, oldest first."""
    rows = conn.execute(_BY_NUMBER, {"store_id": store_id, "number": number})
    return [ParcelRow(*row) for row in rows]


def events_of(conn: Connection, shipment_ids: Sequence[int]) -> dict[int, list[StoredEvent]]:
    found: dict[int, list[StoredEvent]] = defaultdict(list)
    for shipment_id, *values in conn.execute(_EVENTS_OF, {"ids": list(shipment_ids)}):
        found[shipment_id].append(StoredEvent(*values))
    return found


def insert_events(conn: Connection, parcel: ParcelRow,
                  fresh: Sequence[tuple[str, CarrierEvent]]) -> list[StoredEvent]:
    """Insert (dedupe key, event) pairs for the parcel; returns them as stored."""
    bulk.insert(conn, EVENTS, [
        {"store_id": parcel.store_id, "shipment_id": parcel.id, "occurred_at": e.occurred_at,
         "status": e.status.value, "substatus": e.substatus, "provider": e.provider,
         "provider_status": e.provider_status, "message": e.message, "location": e.location,
         "signed_by": e.signed_by, "dedupe_key": key, "raw": e.raw} for key, e in fresh])
    return [StoredEvent(e.occurred_at, e.status.value, e.substatus, e.provider,
                        e.provider_status, e.message, e.location, e.signed_by, key)
            for key, e in fresh]


def save(conn: Connection, parcel: ParcelRow, before: dict[str, Any]) -> bool:
    """Write the columns that differ from `before` (and updated_at, by its onupdate),
    as the ORM would: nothing when nothing changed."""
    changed = {name: value for name, value in parcel.values().items()
               if value != before[name]}
    if not changed:
        return False
    conn.execute(_UPDATE, {"parcel_id": parcel.id, **changed})
    return True
