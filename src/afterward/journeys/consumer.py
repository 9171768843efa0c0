"""The journeys' event consumer: reads a store's new events in id order and turns
them into enrolments, exits and resumed waits. Its cursor (event_consumers) moves
in the same transaction as that work, so a failed batch changes nothing and the
next run starts from the same event: nothing is lost, nothing is done twice.

How a cursor reads events in commit order on PostgreSQL (by transaction id, up to
the oldest transaction still running) is afterward/event_cursors.py's, shared with
the other modules' consumers."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from afterward import event_cursors
from afterward.event_cursors import EventConsumer
from afterward.events import Event
from afterward.journeys import conditions, enrolments, facts
from afterward.journeys import definition as spec
from afterward.journeys.models import (
    Enrolment,
    EnrolmentStatus,
    Journey,
    JourneyVersion,
)
from afterward.storage.db import Database
from afterward.storage.types import utcnow

log = logging.getLogger("afterward.journeys")

BATCH = 500


def consumer_name(store_id: int) -> str:
    return f"journeys:{store_id}"


def cursor(session: Session, store_id: int) -> EventConsumer:
    """The store's cursor, locked; a new one starts after the latest event (journeys
    never replay history from before they existed)."""
    return event_cursors.open_cursor(session, consumer_name(store_id), store_id)


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
    horizon = event_cursors.oldest_running_txid(session)
    row = cursor(session, store_id)
    batch = list(session.scalars(event_cursors.after(row, store_id, horizon).limit(limit)))
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
        result.held = event_cursors.behind(session, row, store_id)
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
        stores = [store_id for row in cursors if event_cursors.behind(
            session, row, store_id := int(row.name.rpartition(":")[2]))]
    consumed, caught_up = 0, True
    for store_id in stores:
        with db.transaction() as session:
            result = consume(session, store_id=store_id)
        consumed += result.events
        caught_up = caught_up and not (result.more or result.held)
    return consumed, caught_up
