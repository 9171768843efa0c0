"""Shipments and their events. A status change appends a domain event.

A shipment's state is derived from all its events, ordered by when they happened,
so events that arrive late, twice or out of order leave the same state as in order.
Carrier deliveries for a tracking number not yet known are held and applied when a
shipment with that number appears."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from afterward.events import EventName, record
from afterward.inbound.models import HeldDelivery
from afterward.storage.types import utcnow
from afterward.tracking import carriers, eta, eta_cache, eta_store, lateness, parcel_rows
from afterward.tracking import timeline as timeline_rules
from afterward.tracking.carriers import detect
from afterward.tracking.carriers.base import UNKNOWN_PREFIX, CarrierEvent, PayloadError, Update
from afterward.tracking.models import Shipment, ShipmentLine, TrackingEvent, UnknownCarrierStatus
from afterward.tracking.statuses import Status
from afterward.tracking.timeline import EventView, Parcel

__all__ = [  # CarrierEvent lives in carriers.base; callers keep importing it from here
    "Applied", "CarrierEvent", "ShipmentDraft", "add_event", "add_events", "apply_update",
    "by_external_id", "by_token", "event_key", "get_shipment", "list_shipments",
    "mark_delayed", "new_token", "normalize_tracking_number", "refresh_eta", "release_held",
    "shipments_for_tracking", "timeline", "tracking_path", "unknown_statuses",
    "upsert_shipment"]

# Derivation lives in timeline.py; these names stay importable from here.
PLATFORM, PROBLEMS, NO_WINDOW = timeline_rules.PLATFORM, timeline_rules.PROBLEMS, \
    timeline_rules.NO_WINDOW


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


class _Tokened(Protocol):
    @property
    def token(self) -> str: ...


def tracking_path(shipment: _Tokened) -> str:
    return f"/t/{shipment.token}"


def get_shipment(session: Session, *, store_id: int, shipment_id: int) -> Shipment | None:
    return session.scalar(select(Shipment).where(
        Shipment.store_id == store_id, Shipment.id == shipment_id))


def by_external_id(session: Session, *, store_id: int, external_id: str) -> Shipment | None:
    return session.scalar(select(Shipment).where(
        Shipment.store_id == store_id, Shipment.external_id == external_id))


def by_token(session: Session, token: str) -> Shipment | None:
    return session.scalar(select(Shipment).where(Shipment.token == token))


def normalize_tracking_number(number: str) -> str:
    """As stored and matched: upper case, without the spaces labels print."""
    return re.sub(r"\s+", "", number).upper()


def shipments_for_tracking(session: Session, *, store_id: int,
                           tracking_number: str) -> list[Shipment]:
    return list(session.scalars(select(Shipment).where(
        Shipment.store_id == store_id,
        Shipment.tracking_number == normalize_tracking_number(tracking_number),
    ).order_by(Shipment.id)))


def list_shipments(session: Session, *, store_id: int, tracking_number: str | None = None,
                   order_id: int | None = None, status: str | None = None,
                   limit: int = 50, before_id: int | None = None) -> list[Shipment]:
    stmt = select(Shipment).where(Shipment.store_id == store_id)
    if tracking_number:
        stmt = stmt.where(Shipment.tracking_number == normalize_tracking_number(tracking_number))
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
    elif order_id is not None and draft.tracking_number:
        shipment = _on_order(session, store_id, order_id, draft.tracking_number)
    created = shipment is None
    if shipment is None:
        shipment = Shipment(store_id=store_id, order_id=order_id, token=new_token(),
                            status=Status.pending.value, direction=draft.direction)
        session.add(shipment)
    shipment.external_id = draft.external_id
    shipment.service = draft.service or shipment.service
    if draft.tracking_number:
        shipment.tracking_number = normalize_tracking_number(draft.tracking_number)
    shipment.carrier = draft.carrier or shipment.carrier or _detected(shipment.tracking_number)
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
            provider=PLATFORM, provider_status=draft.status.value,
            message=None, location=None))
    release_held(session, shipment=shipment)
    return shipment, created


def _on_order(session: Session, store_id: int, order_id: int,
              tracking_number: str) -> Shipment | None:
    """The order's parcel with this tracking number: the same parcel told twice."""
    return session.scalar(select(Shipment).where(
        Shipment.store_id == store_id, Shipment.order_id == order_id,
        Shipment.tracking_number == normalize_tracking_number(tracking_number),
    ).order_by(Shipment.id).limit(1))


def _detected(number: str | None) -> str | None:
    guess = detect.best_guess(number) if number else None
    return guess.carrier if guess else None


def event_key(event: CarrierEvent) -> str:
    basis = "|".join([event.occurred_at.astimezone(UTC).isoformat(), event.status.value,
                      event.provider_status or "", event.message or "", event.location or ""])
    return hashlib.sha256(basis.encode()).hexdigest()[:64]


def add_event(session: Session, *, shipment: Shipment, event: CarrierEvent,
              now: datetime | None = None) -> bool:
    """Append a carrier event once; False when it was already there."""
    return add_events(session, shipment=shipment, events=[event], now=now) == 1


def add_events(session: Session, *, shipment: Shipment, events: Iterable[CarrierEvent],
               now: datetime | None = None) -> int:
    """Append the events not seen before and re-derive the shipment's state from the
    whole timeline; one domain event `shipment.<status>` when the status changed.
    Then the delivery window is re-estimated (refresh_eta) as of `now`."""
    fresh = _unseen(events, {e.dedupe_key for e in shipment.events})
    if not fresh:
        return 0
    for key, event in fresh:
        shipment.events.append(TrackingEvent(
            store_id=shipment.store_id, occurred_at=event.occurred_at,
            status=event.status.value, substatus=event.substatus, provider=event.provider,
            provider_status=event.provider_status, message=event.message,
            location=event.location, signed_by=event.signed_by, dedupe_key=key, raw=event.raw))
    session.flush()
    _settle(session, shipment, shipment.events, [e for _, e in fresh], now or utcnow())
    return len(fresh)


def _unseen(events: Iterable[CarrierEvent], seen: set[str]) -> list[tuple[str, CarrierEvent]]:
    """(dedupe key, event) for each event not seen before, each once."""
    fresh = []
    for event in events:
        key = event_key(event)
        if key not in seen:
            seen.add(key)
            fresh.append((key, event))
    return fresh


def _settle(session: Session, parcel: Parcel, events: Sequence[EventView],
            added: list[CarrierEvent], now: datetime) -> None:
    """After new events: the state from the whole timeline, the domain event for a new
    status, the stalled/delayed verdicts a scan or delivery clears, the window."""
    previous = parcel.status
    timeline_rules.derive_state(parcel, timeline_rules.ordered(events))
    for event in added:
        if event.substatus and event.substatus.startswith(UNKNOWN_PREFIX):
            _count_unknown(session, store_id=parcel.store_id, event=event)
    if parcel.status != previous:
        record(session, store_id=parcel.store_id, name=f"shipment.{parcel.status}",
               subject_type="shipment", subject_id=parcel.id,
               occurred_at=parcel.last_event_at,
               payload={"order_id": parcel.order_id, "from": previous, "to": parcel.status,
                        "substatus": parcel.substatus, "carrier": parcel.carrier,
                        "direction": parcel.direction})
    if any(event.provider != PLATFORM for event in added):
        parcel.stalled_at = None  # a scan: it moves again
    if parcel.status == Status.delivered:
        parcel.delayed_at = None
        if previous != parcel.status and parcel.direction == "outbound":
            eta_cache.CACHE.note_delivery(session, parcel.store_id)
    refresh_eta(session, shipment=parcel, now=now)


def refresh_eta(session: Session, *, shipment: Parcel, now: datetime,
                cache: eta_cache.EtaCache | None = None) -> eta.Window | None:
    """Re-estimate an outbound parcel's window with the store's cached model and store
    it; promise the first window's last day (the promise never moves later on its own);
    record `shipment.delayed` once, the first time the window ends after the promised
    day (lateness.py decides). Return parcels and parcels that arrived or will not
    arrive keep what they have."""
    if shipment.direction != "outbound" or shipment.status in NO_WINDOW:
        return None
    fitted = (cache or eta_cache.CACHE).get(session, shipment.store_id, now)
    window = eta_store.estimate_for_shipment(shipment, model=fitted.model, now=now)
    if window is None:
        return None
    shipment.eta_earliest, shipment.eta_likely, shipment.eta_latest = (
        window.earliest, window.likely, window.latest)
    shipment.eta_level = window.level[:32]
    if shipment.promised_at is None:
        shipment.promised_at = eta.promise_for(window, fitted.clock)
    verdict = lateness.of_parcel(shipment, zone=fitted.clock.tz, now=now)
    if shipment.delayed_at is None and verdict.late:
        mark_delayed(session, shipment=shipment, window=window, verdict=verdict, now=now)
    return window


def mark_delayed(session: Session, *, shipment: Parcel, window: eta.Window,
                 verdict: lateness.Lateness, now: datetime) -> None:
    """Set the delayed verdict and append `shipment.delayed` with the promised day and
    the new window (once: callers check delayed_at first)."""
    assert shipment.promised_at is not None
    assert verdict.promised_day is not None and verdict.window is not None
    shipment.delayed_at = now
    record(session, store_id=shipment.store_id, name=EventName.shipment_delayed,
           subject_type="shipment", subject_id=shipment.id, occurred_at=now,
           payload={"order_id": shipment.order_id, "likely": window.likely.isoformat(),
                    "promised_at": shipment.promised_at.isoformat(), "level": window.level,
                    "n": window.n, "carrier": shipment.carrier,
                    "promised_day": verdict.promised_day.isoformat(),
                    "window_first": verdict.window.first.isoformat(),
                    "window_last": verdict.window.last.isoformat()})


def timeline(shipment: Shipment) -> list[TrackingEvent]:
    """Events oldest first; ties broken by how far along they are, then by content,
    never by arrival."""
    return timeline_rules.ordered(shipment.events)


def _count_unknown(session: Session, *, store_id: int, event: CarrierEvent) -> None:
    """One more event with this unmapped status: an atomic upsert, safe under concurrency."""
    assert event.substatus is not None
    raw = event.substatus.removeprefix(UNKNOWN_PREFIX)[:100]
    now = utcnow()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(UnknownCarrierStatus).values(
        store_id=store_id, provider=event.provider, provider_status=raw,
        closest_status=event.status.value, occurrences=1, first_seen_at=now, last_seen_at=now)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["store_id", "provider", "provider_status"],
        set_={"occurrences": UnknownCarrierStatus.occurrences + 1, "last_seen_at": now,
              "closest_status": event.status.value}))


def unknown_statuses(session: Session, *, store_id: int) -> list[UnknownCarrierStatus]:
    """Provider statuses without a mapping, the most frequent first."""
    return list(session.scalars(select(UnknownCarrierStatus).where(
        UnknownCarrierStatus.store_id == store_id).order_by(
        UnknownCarrierStatus.occurrences.desc(), UnknownCarrierStatus.id)))


@dataclass(frozen=True)
class Applied:
    outcome: str  # "applied", or "held" until a shipment with the number exists
    shipment_ids: tuple[int, ...]
    events_added: int


def held_key(tracking_number: str) -> str:
    return f"tracking:{normalize_tracking_number(tracking_number)}"


def apply_update(session: Session, *, store_id: int, provider: str, update: Update,
                 delivery_key: str, payload: dict) -> Applied:
    """A provider's delivery: its events onto every shipment of the store with that
    tracking number, or held (the raw payload, re-parsed on release) if there is none.
    Plain rows and Core statements (parcel_rows): this runs on every carrier webhook."""
    conn = session.connection()
    parcels = parcel_rows.by_number(conn, store_id=store_id,
                                    number=normalize_tracking_number(update.tracking_number))
    if not parcels:
        session.add(HeldDelivery(store_id=store_id, provider=provider, topic=update.topic[:64],
                                 waiting_for=held_key(update.tracking_number),
                                 delivery_key=delivery_key, body=payload))
        session.flush()
        return Applied("held", (), 0)
    stored = parcel_rows.events_of(conn, [parcel.id for parcel in parcels])
    added = 0
    for parcel in parcels:
        before = parcel.values()
        added += _onto(parcel, update, partial(_add_rows, session, parcel, stored[parcel.id],
                                               update.events))
        parcel_rows.save(conn, parcel, before)
    return Applied("applied", tuple(parcel.id for parcel in parcels), added)


def _add_rows(session: Session, parcel: parcel_rows.ParcelRow,
              stored: list[parcel_rows.StoredEvent], events: Iterable[CarrierEvent]) -> int:
    """add_events for a plain parcel row: Core inserts, the same rules."""
    fresh = _unseen(events, {e.dedupe_key for e in stored})
    if not fresh:
        return 0
    stored.extend(parcel_rows.insert_events(session.connection(), parcel, fresh))
    _settle(session, parcel, stored, [e for _, e in fresh], utcnow())
    return len(fresh)


def _apply_to(session: Session, shipment: Shipment, update: Update) -> int:
    return _onto(shipment, update,
                 lambda: add_events(session, shipment=shipment, events=update.events))


def _onto(parcel: Parcel, update: Update, add_events_of_update: Callable[[], int]) -> int:
    """An update's carrier and events onto a parcel; the carrier's estimate is kept
    when the update carries the parcel's latest event."""
    if update.carrier and not parcel.carrier:
        parcel.carrier = update.carrier
    added = add_events_of_update()
    newest = max((e.occurred_at for e in update.events), default=None)
    if update.estimated_delivery_at and newest is not None and parcel.last_event_at \
            and newest >= parcel.last_event_at:
        parcel.carrier_estimated_at = update.estimated_delivery_at
    return added


def release_held(session: Session, *, shipment: Shipment) -> int:
    """Apply the carrier deliveries that were waiting for this shipment's number."""
    if not shipment.tracking_number:
        return 0
    rows = session.scalars(select(HeldDelivery).where(
        HeldDelivery.store_id == shipment.store_id,
        HeldDelivery.waiting_for == held_key(shipment.tracking_number),
    ).order_by(HeldDelivery.id)).all()
    released = 0
    for row in rows:
        provider = carriers.provider(row.provider)
        try:
            update = provider.parse(row.body) if provider else None
        except PayloadError:
            continue  # stays held, visible, rather than lost
        if update is not None:
            _apply_to(session, shipment, update)
        session.delete(row)
        released += 1
    if released:
        session.flush()
    return released




def delivery_dates(session: Session, *, store_id: int,
                   order_id: int) -> tuple[datetime | None, datetime | None]:
    """(first shipped, last delivered) over an order's outbound parcels: when its
    goods left, and when the last of them arrived (None when none has)."""
    row = session.execute(select(func.min(Shipment.shipped_at), func.max(Shipment.delivered_at))
                          .where(Shipment.store_id == store_id, Shipment.order_id == order_id,
                                 Shipment.direction == "outbound")).one()
    return row[0], row[1]
