"""Tracking's part of a customer's export and erasure (afterward/privacy.py): the
parcels of their orders with every scan. Erasure removes who signed for a parcel and
the carriers' raw payloads (they carry names and addresses), and gives each parcel a
new tracking-page token, so links in old emails stop working."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from afterward.commerce.models import Order
from afterward.commerce.privacy import plain
from afterward.privacy import changed, section
from afterward.storage.types import utcnow
from afterward.tracking.models import Shipment, TrackingEvent
from afterward.tracking.service import new_token

_SHIPMENT_FIELDS = ("tracking_number", "carrier", "service", "direction", "status",
                    "substatus", "signed_by", "shipped_at", "delivered_at", "eta_likely")
_EVENT_FIELDS = ("occurred_at", "status", "provider_status", "message", "location",
                 "signed_by")


def _parcels(store_id: int, customer_id: int) -> Select[Any]:
    return select(Shipment.id).join(Order, Order.id == Shipment.order_id).where(
        Shipment.store_id == store_id, Order.customer_id == customer_id)


@section("tracking")
class TrackingSection:
    @staticmethod
    def export(session: Session, store_id: int, customer_id: int) -> list[dict[str, Any]]:
        shipments = session.scalars(select(Shipment).where(
            Shipment.id.in_(_parcels(store_id, customer_id))).order_by(Shipment.id)).all()
        events: dict[int, list[TrackingEvent]] = {}
        if shipments:
            for event in session.scalars(select(TrackingEvent).where(
                    TrackingEvent.shipment_id.in_([s.id for s in shipments]))
                    .order_by(TrackingEvent.shipment_id, TrackingEvent.occurred_at,
                              TrackingEvent.id)):
                events.setdefault(event.shipment_id, []).append(event)
        return [{**{name: plain(getattr(s, name)) for name in _SHIPMENT_FIELDS},
                 "order_id": s.order_id,
                 "events": [{name: plain(getattr(e, name)) for name in _EVENT_FIELDS}
                            for e in events.get(s.id, [])]}
                for s in shipments]

    @staticmethod
    def erase(session: Session, store_id: int, customer_id: int) -> dict[str, int]:
        ids = list(session.scalars(_parcels(store_id, customer_id)))
        if not ids:
            return {"shipments": 0, "tracking_events": 0}
        now = utcnow()
        for shipment_id in ids:  # one token each
            session.execute(update(Shipment).where(Shipment.id == shipment_id)
                            .values(signed_by=None, token=new_token(), updated_at=now))
        scans = changed(session.execute(update(TrackingEvent).where(
            TrackingEvent.store_id == store_id, TrackingEvent.shipment_id.in_(ids))
            .values(signed_by=None, raw=None)))
        return {"shipments": len(ids), "tracking_events": scans}
