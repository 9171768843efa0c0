"""Shipments and their events. A status change appends a domain event."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.events import record
from afterward.tracking.models import Shipment, ShipmentLine, TrackingEvent
from afterward.tracking.statuses import Status


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def tracking_path(shipment: Shipment) -> str:
    return f"/t/{shipment.token}"


def get_shipment(session: Session, *, store_id: int, shipment_id: int) -> Shipment | None:
    return session.scalar(select(Shipment).where(
        Shipment.store_id == store_id, Shipment.id == shipment_id))


def by_external_id(session: Session, *, store_id: int, external_id: str) -> Shipment | None:
    return session.scalar(select(Shipment).where(
        Shipment.store_id == store_id, Shipment.external_id == external_id))


def by_token(session: Session, token: str) -> Shipment | None:
    return session.scalar(select(Shipment).where(Shipment.token == token))


def list_shipments(session: Session, *, store_id: int, tracking_number: str | None = None,
                   order_id: int | None = None, status: str | None = None,
                   limit: int = 50, before_id: int | None = None) -> list[Shipment]:
    stmt = select(Shipment).where(Shipment.store_id == store_id)
    if tracking_number:
        stmt = stmt.where(Shipment.tracking_number == tracking_number.strip().upper())
    if order_id is not None:
        stmt = stmt.where(Shipment.order_id == order_id)
    if status:
        stmt = stmt.where(Shipment.status == status)
    if before_id is not None:
        stmt = stmt.where(Shipment.id < before_id)
    return list(session.scalars(stmt.order_by(Shipment.id.desc()).limit(limit)))


@dataclass(frozen=True)
class ShipmentDraft:
    external_id: str | None
    carrier: str | None
    service: str | None
    tracking_number: str | None
    shipped_at: datetime | None
    status: Status = Status.info_received
    lines: tuple[tuple[int, int], ...] = ()  # (order_line_id, quantity)
    direction: str = "outbound"


def upsert_shipment(session: Session, *, store_id: int, order_id: int | None,
                    draft: ShipmentDraft) -> tuple[Shipment, bool]:
    shipment = None
    if draft.external_id:
        shipment = by_external_id(session, store_id=store_id, external_id=draft.external_id)
    created = shipment is None
    if shipment is None:
        shipment = Shipment(store_id=store_id, order_id=order_id, token=new_token(),
                            status=Status.pending.value, direction=draft.direction)
        session.add(shipment)
    shipment.external_id = draft.external_id
    shipment.carrier = draft.carrier or shipment.carrier
    shipment.service = draft.service or shipment.service
    if draft.tracking_number:
        shipment.tracking_number = draft.tracking_number.strip().upper()
    shipment.shipped_at = draft.shipped_at or shipment.shipped_at
    if draft.lines:
        shipment.lines.clear()
        for line_id, quantity in draft.lines:
            shipment.lines.append(ShipmentLine(store_id=store_id, order_line_id=line_id,
                                               quantity=quantity))
    session.flush()
    if created:
        record(session, store_id=store_id, name="shipment.created", subject_type="shipment",
               subject_id=shipment.id,
               payload={"order_id": order_id, "carrier": shipment.carrier,
                        "tracking_number": shipment.tracking_number})
    if draft.status != Status.pending:
        add_event(session, shipment=shipment, event=CarrierEvent(
            occurred_at=draft.shipped_at or shipment.created_at, status=draft.status,
            provider="platform", provider_status=draft.status.value,
            message=None, location=None))
    return shipment, created


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


def event_key(event: CarrierEvent) -> str:
    basis = "|".join([event.occurred_at.isoformat(), event.status.value,
                      event.provider_status or "", event.message or "", event.location or ""])
    return hashlib.sha256(basis.encode()).hexdigest()[:64]


def add_event(session: Session, *, shipment: Shipment, event: CarrierEvent) -> bool:
    """Append a carrier event once; the shipment's state follows the latest event
    by time, so late or repeated deliveries give the same result as in order."""
    key = event_key(event)
    if any(e.dedupe_key == key for e in shipment.events):
        return False
    row = TrackingEvent(store_id=shipment.store_id, occurred_at=event.occurred_at,
                        status=event.status.value, substatus=event.substatus,
                        provider=event.provider, provider_status=event.provider_status,
                        message=event.message, location=event.location, dedupe_key=key,
                        raw=event.raw)
    shipment.events.append(row)
    session.flush()
    latest = max(shipment.events, key=lambda e: (e.occurred_at, e.id))
    previous = shipment.status
    shipment.status = latest.status
    shipment.substatus = latest.substatus
    shipment.provider_status = latest.provider_status
    shipment.last_event_at = latest.occurred_at
    shipment.last_location = latest.location or shipment.last_location
    if event.status == Status.delivered:
        shipment.delivered_at = event.occurred_at
        shipment.signed_by = event.signed_by or shipment.signed_by
    if event.status == Status.exception and latest is row:
        shipment.exception_reason = event.message
    if shipment.status != previous:
        record(session, store_id=shipment.store_id, name=f"shipment.{shipment.status}",
               subject_type="shipment", subject_id=shipment.id, occurred_at=latest.occurred_at,
               payload={"order_id": shipment.order_id, "from": previous, "to": shipment.status,
                        "carrier": shipment.carrier})
    return True
