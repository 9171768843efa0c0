"""The return parcel, tracked inbound: when a carrier label is bought the return gets
an inbound shipment (tracking's, like any parcel: carrier webhooks find it by its
number), and that parcel's scans move the return. Tracking never imports returns:
returns reads tracking's `shipment.*` events with a consumer of its own
(Module.consumers), whose cursor (event_consumers, `returns:<store id>`) moves in the
same transaction as what it did, so a scan moves a return once.

- the first carrier scan (in transit, out for delivery, ... delivered): `label_issued`
  -> `in_transit` (`return.in_transit`); an instant exchange gets its order now;
- delivered (to the warehouse): `arrived_at` is set (`return.arrived`); receiving
  and inspecting stays a person's step, unless the policy says
  `auto_receive_on_delivery` (every unit received as new, accepted, not restocked);
- returned to sender, cancelled or expired: an instant exchange whose order went out
  records what is owed (`instant_exchange_unsettled`), once; the status stays for a
  person to decide."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from afterward import event_cursors
from afterward.event_cursors import EventConsumer
from afterward.events import Event, record
from afterward.returns import carriers, facts, settle
from afterward.returns.errors import ReturnError
from afterward.returns.models import Return
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking import service as tracking
from afterward.tracking.service import ShipmentDraft
from afterward.tracking.statuses import Status

log = logging.getLogger("afterward.returns")

PREFIX = "returns:"
BATCH = 500
# A status only a scan of the parcel gives (not the label's data being received).
MOVING = frozenset({Status.in_transit, Status.out_for_delivery, Status.available_for_pickup,
                    Status.failed_attempt, Status.delivered})
# The parcel will not arrive: sent back to the shopper, cancelled, or the carrier gave up.
LOST = frozenset({Status.returned_to_sender, Status.cancelled, Status.expired})


def label_issued(session: Session, *, rma: Return, label: carriers.CarrierLabel,
                 now: datetime) -> None:
    """The carrier's label is bought: the return is `label_issued` and its parcel an
    inbound shipment registered for tracking."""
    ensure_cursor(session, rma.store_id)
    shipment, _ = tracking.upsert_shipment(
        session, store_id=rma.store_id, order_id=rma.order_id, draft=ShipmentDraft(
            external_id=None, carrier=label.carrier, service=label.service,
            tracking_number=label.tracking_number, shipped_at=None, direction="inbound"))
    rma.label_status, rma.label_error = "issued", None
    rma.carrier_shipment_id = label.shipment_id or rma.carrier_shipment_id
    rma.carrier_label_url, rma.tracking_number = label.label_url, label.tracking_number
    rma.inbound_shipment_id, rma.label_issued_at = shipment.id, now
    rma.status, rma.updated_at = "label_issued", now
    session.flush()
    _event(session, rma, "return.label_issued", {
        "carrier": label.carrier, "tracking_number": label.tracking_number,
        "shipment_id": shipment.id}, now)


def parcel_sent(session: Session, *, rma: Return, tracking_number: str,
                carrier: str | None, now: datetime) -> Return:
    """A parcel sent back with our own PDF label, its tracking number told to us (by
    customer service, from the shopper): tracked inbound from now on, as a carrier
    label's parcel is. 409 unless approved; a carrier label brings its own number."""
    if rma.status != "approved" or rma.resolution == "keep":
        raise ReturnError("invalid_status", f"return {rma.number} is {rma.status}, not "
                          "approved", "status", 409)
    if rma.label_carrier is not None:
        raise ReturnError("invalid_status", f"return {rma.number} has a carrier label with "
                          "its own tracking number", "tracking_number", 409)
    ensure_cursor(session, rma.store_id)
    shipment, _ = tracking.upsert_shipment(
        session, store_id=rma.store_id, order_id=rma.order_id, draft=ShipmentDraft(
            external_id=None, carrier=carrier, service=None, tracking_number=tracking_number,
            shipped_at=None, direction="inbound"))
    rma.tracking_number, rma.inbound_shipment_id = shipment.tracking_number, shipment.id
    rma.label_issued_at, rma.status, rma.updated_at = now, "label_issued", now
    session.flush()
    _event(session, rma, "return.label_issued", {
        "carrier": shipment.carrier, "tracking_number": shipment.tracking_number,
        "shipment_id": shipment.id}, now)
    return rma


def _event(session: Session, rma: Return, name: str, extra: dict[str, object],
           now: datetime) -> None:
    record(session, store_id=rma.store_id, name=name, subject_type="return",
           subject_id=rma.id, occurred_at=now,
           payload={"number": rma.number, "order_id": rma.order_id,
                    "customer_id": rma.customer_id, **extra})


# ------------------------------------------------------------------ the consumer

def consumer_name(store_id: int) -> str:
    return f"{PREFIX}{store_id}"


def ensure_cursor(session: Session, store_id: int) -> EventConsumer:
    """The store's cursor, locked; a new one starts after the latest event (a return
    parcel's events come after its label)."""
    return event_cursors.open_cursor(session, consumer_name(store_id), store_id)


PARCEL_EVENTS = (Event.subject_type == "shipment", Event.name.like("shipment.%"))


def consume(session: Session, *, store_id: int, now: datetime | None = None,
            limit: int = BATCH) -> tuple[int, bool]:
    """Read the store's new parcel events and move the returns they concern;
    (events read, caught up)."""
    now = now or utcnow()
    horizon = event_cursors.oldest_running_txid(session)
    row = ensure_cursor(session, store_id)
    batch = list(session.scalars(
        event_cursors.after(row, store_id, horizon, *PARCEL_EVENTS).limit(limit)))
    for event in batch:
        _one(session, event, row, now)
        row.last_event_id = event.id
        if horizon is not None:
            row.last_txid = int(event.txid or 0)
    row.processed += len(batch)
    session.flush()
    more = len(batch) == limit
    held = horizon is not None and not more and event_cursors.behind(
        session, row, store_id, *PARCEL_EVENTS)
    return len(batch), not (more or held)


def consume_behind(db: Database) -> tuple[int, bool]:
    """For the worker's nudge (Module.consumers): each store whose cursor is behind,
    in a transaction of its own; (events read, all caught up)."""
    with db.reading() as session:
        cursors = session.scalars(select(EventConsumer).where(
            EventConsumer.name.like(f"{PREFIX}%"))).all()
        stores = [store_id for row in cursors
                  if event_cursors.behind(session, row, store_id := int(row.name[len(PREFIX):]),
                                          *PARCEL_EVENTS)]
    read, caught_up = 0, True
    for store_id in stores:
        with db.transaction() as session:
            events, done = consume(session, store_id=store_id)
        read, caught_up = read + events, caught_up and done
    return read, caught_up


def _one(session: Session, event: Event, row: EventConsumer, now: datetime) -> None:
    try:
        with session.begin_nested():
            on_parcel_event(session, event, now)
    except OperationalError:
        raise  # the database, not the event: the whole batch again
    except Exception as exc:
        # One bad event must not stop every return parcel of the store: kept on the
        # cursor row for the admin to see.
        log.exception("returns: event %s (%s) failed", event.id, event.name)
        row.failures += 1
        row.last_error = f"event {event.id} ({event.name}): {exc!r}"[:2000]


def on_parcel_event(session: Session, event: Event, now: datetime) -> None:
    rma = session.scalar(select(Return).where(
        Return.store_id == event.store_id, Return.inbound_shipment_id == event.subject_id)
        .with_for_update())
    if rma is None:
        return
    status = (event.payload or {}).get("to")
    if status in LOST:
        _not_arriving(session, rma, now)
        return
    if status not in MOVING:
        return
    at = event.occurred_at
    if rma.status == "label_issued":
        rma.status, rma.in_transit_at, rma.updated_at = "in_transit", at, now
        session.flush()
        _event(session, rma, "return.in_transit", {"shipment_id": event.subject_id}, now)
        if rma.instant_exchange:
            settle.instant_exchange(session, rma=rma, now=now)
    if status == Status.delivered and rma.arrived_at is None \
            and rma.status in ("label_issued", "in_transit"):
        rma.arrived_at, rma.updated_at = at, now
        session.flush()
        _event(session, rma, "return.arrived", {"shipment_id": event.subject_id}, now)
        if facts.load_policy(session, store_id=rma.store_id).auto_receive_on_delivery:
            _receive_everything(session, rma, now)


def _not_arriving(session: Session, rma: Return, now: datetime) -> None:
    """An instant exchange's order is out and its return parcel will not arrive: what
    is owed is recorded (once) for a person, who rejects or chases the return."""
    if rma.status in ("label_issued", "in_transit") and rma.instant_exchange \
            and rma.exchange_order_id is not None and settle.UNSETTLED not in rma.review_reasons:
        settle.unsettled(session, rma=rma, owed_minor=settle.instant_owed(rma, 0, 0), now=now)


def _receive_everything(session: Session, rma: Return, now: datetime) -> None:
    from afterward.returns import service  # service -> label_jobs -> inbound
    from afterward.returns.schemas import ReceivedLineIn, ReceiveIn

    service.receive(session, rma=rma, now=now, data=ReceiveIn(lines=[
        ReceivedLineIn(sku=line.sku, quantity=line.quantity, condition="new", restock=False,
                       accept=True) for line in rma.lines]))
