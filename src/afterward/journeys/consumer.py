"""The journeys' event consumer: reads a store's new events in id order and turns
them into enrolments, exits and resumed waits. Its cursor (event_consumers) moves
in the same transaction as that work, so a failed batch changes nothing and the
next run starts from the same event: nothing is lost, nothing is done twice.

On PostgreSQL, ids are handed out before commit, so a later id can become
visible before an earlier one. Each event records the id of the transaction that
wrote it (events.txid); the consumer reads only events of transactions older than
every transaction still running (the snapshot's xmin), in (txid, id) order, and
keeps its place as that pair. A transaction that commits later has a txid at or
above that xmin, so it can never land behind the cursor, and nothing waits for a
time margin. SQLite has one writer at a time, so commit order is id order."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, exists, func, or_, select, text, tuple_
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from afterward.events import Event
from afterward.journeys import conditions, enrolments, facts
from afterward.journeys import definition as spec
from afterward.journeys.models import (
    Enrolment,
    EnrolmentStatus,
    EventConsumer,
    Journey,
    JourneyVersion,
)
from afterward.storage.db import Database
from afterward.storage.types import utcnow

log = logging.getLogger("afterward.journeys")

BATCH = 500


def consumer_name(store_id: int) -> str:
    return f"journeys:{store_id}"


def latest_event_id(session: Session, store_id: int) -> int:
    return int(session.scalar(select(func.max(Event.id)).where(Event.store_id == store_id)) or 0)


def _latest_txid(session: Session, store_id: int) -> int:
    return int(session.scalar(select(func.max(Event.txid)).where(Event.store_id == store_id))
               or 0)


def cursor(session: Session, store_id: int) -> EventConsumer:
    """The store's cursor, locked; a new one starts after the latest event (journeys
    never replay history from before they existed)."""
    name = consumer_name(store_id)
    row = session.get(EventConsumer, name, with_for_update=True)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = EventConsumer(name=name, last_event_id=latest_event_id(session, store_id),
                                last_txid=_latest_txid(session, store_id),
                                processed=0, failures=0)
            session.add(row)
            session.flush()
    except IntegrityError:
        row = session.get(EventConsumer, name, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


_RUNNING = text(
    "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint, "
    "(SELECT array_agg(backend_xid::text::bigint) FROM pg_stat_activity "
    " WHERE datname = current_database() AND backend_xid IS NOT NULL "
    " AND pid <> pg_backend_pid())")


def oldest_running_txid(session: Session) -> int | None:
    """PostgreSQL: every transaction of this database with a smaller id has ended,
    so its events are final. Other databases of the cluster do not count (unlike the
    snapshot's own xmin). Taken before the cursor lock gives this transaction an id."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    row = session.execute(_RUNNING).one()
    upcoming, running = int(row[0]), row[1] or []
    return min((widen_xid(int(xid), upcoming) for xid in running), default=upcoming)


def widen_xid(xid32: int, upcoming: int) -> int:
    """pg_stat_activity shows 32-bit transaction ids; events store 64-bit ones (epoch
    in the high half). A running id is below the next one to be handed out."""
    full = (upcoming & ~0xFFFFFFFF) | xid32
    return full - (1 << 32) if full > upcoming else full


def _after(row: EventConsumer, store_id: int, horizon: int | None) -> Select[Event]:
    """The store's events past the cursor, in the order the cursor moves."""
    stmt = select(Event).where(Event.store_id == store_id)
    if horizon is None:
        return stmt.where(Event.id > row.last_event_id).order_by(Event.id)
    return stmt.where(tuple_(Event.txid, Event.id) > tuple_(row.last_txid, row.last_event_id),
                      Event.txid < horizon).order_by(Event.txid, Event.id)


def behind(session: Session, row: EventConsumer, store_id: int) -> bool:
    """Whether any event of the store lies past the cursor, visible or held back."""
    if session.get_bind().dialect.name != "postgresql":
        past = Event.id > row.last_event_id
    else:
        past = tuple_(Event.txid, Event.id) > tuple_(row.last_txid, row.last_event_id)
    return bool(session.scalar(select(exists().where(Event.store_id == store_id, past))))


@dataclass
class Consumed:
    events: int = 0
    enrolled: int = 0
    exited: int = 0
    resumed: int = 0
    failed: int = 0
    last_event_id: int = 0
    last_txid: int = 0
    more: bool = False  # the batch was full: run again soon
    held: bool = False  # PostgreSQL: newer events wait for older transactions to end


@dataclass
class _Plan:
    """What this store's journeys listen to, built once per batch."""

    triggers: dict[str, list[tuple[Journey, JourneyVersion, spec.Journey]]] = field(
        default_factory=lambda: defaultdict(list))
    watched: set[str] = field(default_factory=set)


def _plan(session: Session, store_id: int) -> _Plan:
    plan = _Plan()
    live = session.execute(
        select(Journey, JourneyVersion)
        .join(JourneyVersion, (JourneyVersion.journey_id == Journey.id)
              & (JourneyVersion.version == Journey.version))
        .where(Journey.store_id == store_id, Journey.enabled.is_(True))
        .order_by(Journey.id)).all()
    for journey, version in live:
        definition, _ = enrolments.compiled(version)
        for name in definition.trigger.events:
            plan.triggers[name].append((journey, version, definition))
    in_progress = session.scalars(
        select(JourneyVersion).where(JourneyVersion.id.in_(
            select(Enrolment.version_id).where(
                Enrolment.store_id == store_id,
                Enrolment.status == EnrolmentStatus.active.value).distinct())))
    for version in in_progress:
        plan.watched |= enrolments.compiled(version)[0].events_of_interest()
    for _, version in live:
        plan.watched |= enrolments.compiled(version)[0].events_of_interest()
    return plan


def consume(session: Session, *, store_id: int, now: datetime | None = None,
            limit: int | None = None) -> Consumed:
    now, limit = now or utcnow(), limit or BATCH
    horizon = oldest_running_txid(session)
    row = cursor(session, store_id)
    batch = list(session.scalars(_after(row, store_id, horizon).limit(limit)))
    result = Consumed(last_event_id=row.last_event_id, last_txid=row.last_txid)
    if batch:
        plan = _plan(session, store_id)
        for event in batch:
            if event.name in plan.triggers or event.name in plan.watched:
                _one(session, event, plan, now, result, row)
            row.last_event_id = result.last_event_id = event.id
            if horizon is not None:
                row.last_txid = result.last_txid = int(event.txid or 0)
        row.processed += len(batch)
        result.events, result.more = len(batch), len(batch) == limit
        session.flush()
    if horizon is not None and not result.more:
        result.held = behind(session, row, store_id)
    return result


def _one(session: Session, event: Event, plan: _Plan, now: datetime, result: Consumed,
         row: EventConsumer) -> None:
    try:
        with session.begin_nested():
            _handle(session, event, plan, now, result)
    except OperationalError:
        raise  # the database, not the event: retry the whole batch
    except Exception as exc:
        # A bug or bad data in one event must not stop the store's journeys: it is
        # skipped, counted and kept on the cursor row for the admin to see.
        log.exception("journeys: event %s (%s) failed", event.id, event.name)
        result.failed += 1
        row.failures += 1
        row.last_error = f"event {event.id} ({event.name}): {exc!r}"[:2000]


def _handle(session: Session, event: Event, plan: _Plan, now: datetime,
            result: Consumed) -> None:
    refs = facts.refs_of(session, event)
    if event.name in plan.watched:
        for enrolment in _touched(session, event, refs):
            outcome = enrolments.react(session, enrolment, event, refs, now)
            if outcome == "exited":
                result.exited += 1
            elif outcome == "resumed":
                result.resumed += 1
    event_facts: facts.Facts | None = None  # read once, for every journey's filter
    for journey, version, definition in plan.triggers.get(event.name, []):
        if journey.enabled_after_event_id is not None \
                and event.id <= journey.enabled_after_event_id:
            continue
        if event.occurred_at < now - definition.trigger.max_age:
            continue
        if definition.trigger.filter is not None:
            if event_facts is None:
                event_facts = facts.gather(session, store_id=event.store_id, refs=refs,
                                           event=event, now=now)
            if not conditions.truthy(
                    conditions.evaluate(definition.trigger.filter, event_facts, now)):
                continue
        if enrolments.enrol(session, journey=journey, version=version, event=event, refs=refs,
                            now=now) is not None:
            result.enrolled += 1


def _touched(session: Session, event: Event, refs: facts.Refs) -> list[Enrolment]:
    links = [column == value for column, value in (
        (Enrolment.customer_id, refs.customer_id), (Enrolment.order_id, refs.order_id),
        (Enrolment.shipment_id, refs.shipment_id)) if value is not None]
    if not links:
        return []
    return list(session.scalars(
        select(Enrolment).where(Enrolment.store_id == event.store_id,
                                Enrolment.status == EnrolmentStatus.active.value,
                                Enrolment.trigger_event_id < event.id, or_(*links))
        .order_by(Enrolment.id).with_for_update()))


def consume_behind(db: Database) -> tuple[int, bool]:
    """For the worker's nudge (Module.consumers): consume every store whose cursor
    is behind, each in a transaction of its own; (events consumed, all caught up)."""
    with db.reading() as session:
        cursors = session.scalars(
            select(EventConsumer).where(EventConsumer.name.like("journeys:%"))).all()
        stores = [store_id for row in cursors
                  if behind(session, row, store_id := int(row.name.rpartition(":")[2]))]
    consumed, caught_up = 0, True
    for store_id in stores:
        with db.transaction() as session:
            result = consume(session, store_id=store_id)
        consumed += result.events
        caught_up = caught_up and not (result.more or result.held)
    return consumed, caught_up
