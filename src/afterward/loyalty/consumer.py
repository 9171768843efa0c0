"""Loyalty's event consumer: reads a store's new events in order and brings each
order they are about to the points it should have earned (loyalty/orders.py). Its
cursor (event_consumers, named `loyalty:<store id>`) starts when the store first puts
a program and moves in the same transaction as that work, in the same (txid, id)
order as the journeys' consumer (afterward/event_cursors.py): nothing is lost, and
what is read twice changes nothing (the recomputation finds no difference). It reads
only the events it listens to; a batch's `order.created` of orders it has not seen yet
are opened together (loyalty/bulk.py: an import of history). Orders and codes used
are also matched to referrals (loyalty/referrals.py), whose referrers are paid when
the friend's order can no longer be returned; an account opened on the store
(`customer.account_opened`) earns the program's sign-up bonus (loyalty/bonuses.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple

from sqlalchemy import and_, case, null, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from afterward import event_cursors, outbound
from afterward.event_cursors import EventConsumer
from afterward.events import Event
from afterward.loyalty import bonuses, bulk, orders, programs, referrals, tiers
from afterward.loyalty.models import LoyaltyOrder
from afterward.loyalty.program import Program
from afterward.storage import locks
from afterward.storage.bulk import connection_of
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking.models import Shipment

log = logging.getLogger("afterward.loyalty")

BATCH = 500  # events through the one-at-a-time path (orders.recompute) per transaction
# Events read per transaction: new orders opened together (loyalty/bulk.py) cost about
# a twentieth of one through recompute, so a backlog of them (an import) goes in
# batches this big; a batch ends early once BATCH events took the slow path, so a
# transaction stays as short as one of BATCH events would be.
READ_BATCH = 2000
PREFIX = "loyalty:"
ORDER_EVENTS = ("order.created", "order.updated", "order.refunded", "order.cancelled")
RETURN_EVENTS = ("return.received", "return.resolved")
SHIPMENT_EVENTS = ("shipment.delivered",)
CODE_EVENTS = ("code.used",)  # a referred friend's code on an order
TIER_EVENTS = (tiers.TIER_EVENT,)  # its own: pushed to the store platform
ACCOUNT_EVENTS = ("customer.account_opened",)  # a sign-up: bonuses.signup
# The cursor reads only these (an import's customer events, loyalty's other events:
# skipped).
LISTENS = (Event.name.in_(ORDER_EVENTS + RETURN_EVENTS + SHIPMENT_EVENTS + CODE_EVENTS
                          + TIER_EVENTS + ACCOUNT_EVENTS),)


class Heard(NamedTuple):
    """What the consumer reads of an event: its columns, not an ORM object (a batch
    holds up to READ_BATCH)."""

    id: int
    txid: int | None
    store_id: int
    name: str
    subject_type: str
    subject_id: int
    payload: dict[str, Any] | None
    seen: bool  # an `order.created` whose order loyalty has opened already




def _heard(with_payload: tuple[str, ...]) -> tuple[Any, ...]:
    return (Event.id, Event.txid, Event.store_id, Event.name, Event.subject_type,
            Event.subject_id,
            case((Event.name.in_(with_payload), Event.payload), else_=null()),
            case((and_(Event.name == "order.created", Event.subject_type == "order"),
                  select(LoyaltyOrder.order_id)
                  .where(LoyaltyOrder.order_id == Event.subject_id).exists()), else_=False))


# The payload only of the events that need it (an import's `order.created` carries
# one that loyalty never reads: not decoded); the tier changes' only when the store
# has a webhook endpoint taking them (they are read to be pushed: tiers.push) or a
# tier gives points on entry (tiers.entry_rewards).
HEARD = _heard(RETURN_EVENTS + CODE_EVENTS + TIER_EVENTS)
HEARD_UNPUSHED = _heard(RETURN_EVENTS + CODE_EVENTS)


def cursor(session: Session, store_id: int) -> EventConsumer:
    """The store's cursor, locked; a new one starts after the latest event."""
    return event_cursors.open_cursor(session, f"{PREFIX}{store_id}", store_id)


def order_of(session: Session, event: Heard | Event) -> int | None:
    """The order an event is about, for the events loyalty listens to."""
    if event.name in ORDER_EVENTS and event.subject_type == "order":
        return event.subject_id
    if event.name in RETURN_EVENTS:
        value = (event.payload or {}).get("order_id")
        return value if isinstance(value, int) else None
    if event.name in SHIPMENT_EVENTS:
        return session.scalar(select(Shipment.order_id).where(
            Shipment.id == event.subject_id, Shipment.store_id == event.store_id))
    return None


def consume(session: Session, *, store_id: int, now: datetime | None = None,
            limit: int = READ_BATCH, use_bulk: bool = True,
            slow_limit: int = BATCH) -> tuple[int, bool]:
    """One batch of the store's events, at most `limit`, ending after the one that
    made `slow_limit` go through `orders.recompute`; (events handled, caught up).
    `use_bulk=False`: every event through `orders.recompute` (what the bulk path is
    checked against)."""
    now = now or utcnow()
    horizon = event_cursors.oldest_running_txid(session)
    row = cursor(session, store_id)
    locks.hold(session, "loyalty-store", store_id)
    program = programs.active(session, store_id=store_id)
    pushing = program is not None and outbound.listened(session, store_id=store_id,
                                                        event_type=tiers.TIER_EVENT)
    rewarding = program is not None and program.rewards_tier_entry()
    session.flush()  # the events are read on the connection, past the session
    batch = [Heard(*told) for told in connection_of(session).execute(
        event_cursors.after(row, store_id, horizon, *LISTENS)
        .with_only_columns(*(HEARD if pushing or rewarding else HEARD_UNPUSHED))
        .limit(limit)).all()]
    # `order.created` of orders not seen yet are gathered and opened together
    # (loyalty/bulk.py), as long as no other event about an order comes between.
    opened = {e.subject_id for e in batch if e.seen} \
        if program is not None and use_bulk else None
    group: list[Heard] = []
    changed_tiers: list[Heard] = []
    slow = handled = 0
    for event in batch:
        handled += 1
        if event.name in TIER_EVENTS:
            changed_tiers.append(event)
            continue
        if event.name in ACCOUNT_EVENTS:
            if program is not None and program.bonuses.signup:
                _sign_up(session, event, now, row)
            continue
        order_id = order_of(session, event) if program is not None else None
        if opened is not None and order_id is not None and _opens(event) \
                and order_id not in opened:
            group.append(event)
            opened.add(order_id)
        elif program is not None:
            _open_group(session, group, program, now, row)
            _one(session, event, order_id, program, now, row)
            slow += 1
            if slow >= slow_limit:
                break
    more = handled < len(batch) or len(batch) == limit
    batch = batch[:handled]
    _open_group(session, group, program, now, row)
    if changed_tiers and pushing and program is not None:
        _push_tiers(session, changed_tiers, program, row)
    if changed_tiers and rewarding and program is not None:
        _reward_tiers(session, changed_tiers, program, now, row)
    if batch:
        row.last_event_id = batch[-1].id
        if horizon is not None:
            row.last_txid = int(batch[-1].txid or 0)
        row.processed += len(batch)
    if program is not None:
        orders.release_due(session, store_id=store_id, now=now)
        referrals.pay_due(session, store_id=store_id, program=program, now=now)
    session.flush()
    # Behind also when this batch recorded events it listens to (its tier changes):
    # they come after everything it read.
    return len(batch), not more and not event_cursors.behind(session, row, store_id,
                                                             *LISTENS)


def _push_tiers(session: Session, events: list[Heard], program: Program,
                row: EventConsumer) -> None:
    _guarded(session, events[0], row, lambda: tiers.push(
        session, store_id=events[0].store_id, program=program,
        changes=[(e.id, e.payload or {}) for e in events]))


def _reward_tiers(session: Session, events: list[Heard], program: Program, now: datetime,
                  row: EventConsumer) -> None:
    _guarded(session, events[0], row, lambda: tiers.entry_rewards(
        session, store_id=events[0].store_id, program=program, now=now,
        changes=[(e.id, e.payload or {}) for e in events]))


def _sign_up(session: Session, event: Heard, now: datetime, row: EventConsumer) -> None:
    """The sign-up bonus of a customer who opened an account: once per customer."""
    _guarded(session, event, row, lambda: bonuses.award(
        session, store_id=event.store_id, customer_id=event.subject_id, kind="signup",
        source_id=event.subject_id, now=now))


def _opens(event: Heard) -> bool:
    return event.name == "order.created" and event.subject_type == "order"


def _open_group(session: Session, group: list[Heard], program: Program | None,
                now: datetime, row: EventConsumer) -> None:
    """Open the gathered orders at once; should that fail on bad data, one event at
    a time instead, so only the bad one is skipped. Empties the group."""
    if not group:
        return
    assert program is not None
    events, group[:] = list(group), []
    try:
        with session.begin_nested():
            bulk.open_orders(session, store_id=events[0].store_id, program=program, now=now,
                             order_ids=[event.subject_id for event in events])
    except OperationalError:
        raise
    except Exception:
        log.exception("loyalty: opening %d orders at once failed; one at a time",
                      len(events))
        for event in events:
            _one(session, event, event.subject_id, program, now, row)
        return
    if referrals.any_open(session, store_id=events[0].store_id):
        for event in events:
            _refer(session, event, program, now, row)


def referred_order(event: Heard) -> tuple[int, int | None] | None:
    """(order, code) that may be a referred friend's first order: one placed (matched
    by its email), or one that used a friend's code (commerce's `code.used`)."""
    if event.name == "order.created" and event.subject_type == "order":
        return event.subject_id, None
    payload = event.payload if isinstance(event.payload, dict) else {}
    if event.name == "code.used" and payload.get("source") == referrals.SOURCE:
        order_id, code_id = payload.get("order_id"), payload.get("code_id")
        if isinstance(order_id, int) and isinstance(code_id, int):
            return order_id, code_id
    return None


def _one(session: Session, event: Heard, order_id: int | None, program: Program | None,
         now: datetime, row: EventConsumer) -> None:
    """The order's points brought up to date, then the event matched to a referral."""
    assert program is not None
    if order_id is not None:
        _guarded(session, event, row, lambda: orders.recompute(
            session, store_id=event.store_id, order_id=order_id, program=program,
            open_new=event.name == "order.created", now=now))
    _refer(session, event, program, now, row)


def _refer(session: Session, event: Heard, program: Program, now: datetime,
           row: EventConsumer) -> None:
    referred = referred_order(event)
    if referred is not None:
        _guarded(session, event, row, lambda: referrals.link_order(
            session, store_id=event.store_id, order_id=referred[0], program=program,
            code_id=referred[1], now=now))


def _guarded(session: Session, event: Heard, row: EventConsumer,
             work: Callable[[], object]) -> None:
    try:
        with session.begin_nested():
            work()
    except OperationalError:
        raise  # the database, not the event: the whole batch again
    except Exception as exc:
        # Bad data in one event must not stop the store's points: skipped, counted,
        # and kept on the cursor row for the admin to see.
        log.exception("loyalty: event %s (%s) failed", event.id, event.name)
        row.failures += 1
        row.last_error = f"event {event.id} ({event.name}): {exc!r}"[:2000]


def _consume_store(session: Session, *, store_id: int) -> tuple[int, bool]:
    return consume(session, store_id=store_id)


def consume_behind(db: Database) -> tuple[int, bool]:
    """For the worker's nudge (Module.consumers): every store whose cursor is behind,
    each in a transaction of its own; (events consumed, all caught up)."""
    with db.reading() as session:
        cursors = session.scalars(
            select(EventConsumer).where(EventConsumer.name.like(f"{PREFIX}%"))).all()
        stores = [store_id for row in cursors if event_cursors.behind(
            session, row, store_id := int(row.name.removeprefix(PREFIX)), *LISTENS)]
    consumed, caught_up = 0, True
    for store_id in stores:
        events, done = db.run(partial(_consume_store, store_id=store_id))
        consumed, caught_up = consumed + events, caught_up and done
    return consumed, caught_up
