"""The delivery-date model fed from a store's own shipments. Only reads: the caller
owns the session, decides when to refit and keeps the fitted model (fitting reads up to
HISTORY_LIMIT delivered parcels, so refit nightly or every few hundred deliveries, not
on every event)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from afterward.tracking import eta
from afterward.tracking.models import Shipment, TrackingEvent
from afterward.tracking.statuses import Status
from afterward.tracking.timeline import Parcel

HISTORY_LIMIT = 20_000  # most recent delivered parcels a fit reads
GAP_HISTORY_LIMIT = 2_000  # most recent delivered parcels whose scans give stall gaps
PLATFORM = "platform"  # service.PLATFORM: events a store platform reported, not scans
# Statuses where a parcel should keep getting scans; pickup and exceptions wait on people.
MOVING = frozenset({Status.info_received, Status.in_transit, Status.out_for_delivery,
                    Status.failed_attempt})


def clock_for(timezone: str | None) -> eta.Clock:
    try:
        return eta.Clock(tz=ZoneInfo(timezone or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        return eta.Clock()


def route_of(shipment: Parcel) -> eta.Route:
    return eta.Route(carrier=shipment.carrier, service=shipment.service,
                     origin=shipment.origin_region, destination=shipment.destination_region)


def _delivered_outbound(store_id: int) -> tuple[ColumnElement[bool], ...]:
    return (Shipment.store_id == store_id, Shipment.direction == "outbound",
            Shipment.shipped_at.is_not(None), Shipment.delivered_at.is_not(None))


def delivered_history(session: Session, *, store_id: int,
                      limit: int = HISTORY_LIMIT) -> list[eta.Delivery]:
    rows = session.execute(
        select(Shipment.carrier, Shipment.service, Shipment.origin_region,
               Shipment.destination_region, Shipment.shipped_at, Shipment.delivered_at)
        .where(*_delivered_outbound(store_id))
        .order_by(Shipment.delivered_at.desc(), Shipment.id.desc()).limit(limit))
    return [eta.Delivery(eta.Route(carrier, service, origin, destination), shipped, delivered)
            for carrier, service, origin, destination, shipped, delivered in rows
            if shipped is not None and delivered is not None]  # the query says so; mypy not


def fit_for_store(session: Session, *, store_id: int, as_of: datetime,
                  timezone: str | None = "UTC") -> eta.EtaModel:
    """The transit model from the store's delivered outbound parcels (the prior when
    there are none)."""
    return eta.fit(delivered_history(session, store_id=store_id), as_of=as_of,
                   config=eta.EtaConfig(clock=clock_for(timezone)))


def estimate_for_shipment(shipment: Parcel, *, model: eta.EtaModel,
                          now: datetime) -> eta.Window | None:
    """The window after the shipment's latest event; None for return parcels and for
    parcels that will not arrive (cancelled, returned to sender, expired)."""
    if shipment.direction != "outbound":
        return None
    if shipment.status == Status.delivered:
        if shipment.delivered_at is None:
            return None
        return eta.estimate(model, route_of(shipment), shipped_at=shipment.delivered_at,
                            now=now, status=eta.DELIVERED, delivered_at=shipment.delivered_at)
    if shipment.status in (Status.cancelled, Status.returned_to_sender, Status.expired):
        return None
    # Not handed over yet: as if it leaves now.
    return eta.estimate(model, route_of(shipment), shipped_at=shipment.shipped_at or now,
                        now=now, status=shipment.status, last_event_at=shipment.last_event_at)


def scan_gaps_for_store(session: Session, *, store_id: int, clock: eta.Clock,
                        limit: int = GAP_HISTORY_LIMIT, min_gaps: int = 20) -> eta.ScanGaps:
    """How long each carrier goes between scans, from recent delivered parcels (the
    scans up to delivery; store-platform events are not scans)."""
    recent = (select(Shipment.id).where(*_delivered_outbound(store_id))
              .order_by(Shipment.delivered_at.desc(), Shipment.id.desc()).limit(limit)
              .scalar_subquery())
    rows = session.execute(
        select(TrackingEvent.shipment_id, Shipment.carrier, TrackingEvent.occurred_at)
        .join(Shipment, Shipment.id == TrackingEvent.shipment_id)
        .where(TrackingEvent.shipment_id.in_(recent), TrackingEvent.provider != PLATFORM,
               TrackingEvent.occurred_at <= Shipment.delivered_at))
    scans: dict[int, tuple[str | None, list[datetime]]] = {}
    by_shipment: dict[int, list[datetime]] = defaultdict(list)
    for shipment_id, carrier, occurred_at in rows:
        by_shipment[shipment_id].append(occurred_at)
        scans[shipment_id] = (carrier, by_shipment[shipment_id])
    return eta.learn_scan_gaps(scans.values(), clock=clock, min_gaps=min_gaps)


def is_shipment_stalled(shipment: Shipment, *, gaps: eta.ScanGaps, clock: eta.Clock,
                        now: datetime) -> bool:
    """A moving outbound parcel whose last scan is older than its carrier allows."""
    if shipment.direction != "outbound" or shipment.status not in MOVING:
        return False
    if shipment.last_event_at is None:
        return False
    return eta.is_stalled(shipment.last_event_at, now, allowed=gaps.allowance(shipment.carrier),
                          clock=clock)

