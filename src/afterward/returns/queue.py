"""The merchant's returns queue: returns filtered by status, reason, age, resolution and
review flags, a page at a time (newest first, keyset paging on the id); one return's
steps as its events; and the customer's history shown beside a request. Read only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from afterward.commerce.models import Order
from afterward.events import Event
from afterward.returns.models import STATUSES, Return, ReturnLine


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = None
    reason: str | None = None
    resolution: str | None = None
    older_than_days: int | None = None  # asked for at least this many days ago
    flagged: bool = False  # held for review: has review reasons


@dataclass(frozen=True)
class QueueRow:
    id: int
    number: str
    order_id: int
    order_number: str
    customer_id: int | None
    units: int
    items: str  # "Mug (2), Cup (1)"
    currency: str
    value_minor: int
    resolution: str
    status: str
    created_at: datetime
    review_reasons: tuple[str, ...]


def list_queue(session: Session, *, store_id: int, filters: QueueFilter, now: datetime,
               before_id: int | None = None, limit: int = 25) -> list[QueueRow]:
    """Up to `limit` returns matching every filter given, newest first; `before_id`
    is the last id of the page before."""
    query = (select(Return, Order.number).join(Order, Order.id == Return.order_id)
             .where(Return.store_id == store_id))
    if filters.status:
        query = query.where(Return.status == filters.status)
    if filters.resolution:
        query = query.where(Return.resolution == filters.resolution)
    if filters.reason:
        query = query.where(Return.id.in_(select(ReturnLine.return_id).where(
            ReturnLine.store_id == store_id, ReturnLine.reason == filters.reason)))
    if filters.older_than_days is not None:
        query = query.where(Return.created_at <= now - timedelta(days=filters.older_than_days))
    if filters.flagged:
        query = query.where(cast(Return.review_reasons, Text) != "[]")
    if before_id is not None:
        query = query.where(Return.id < before_id)
    rows = session.execute(query.order_by(Return.id.desc()).limit(limit)).all()
    return [_row(rma, number) for rma, number in rows]


def _row(rma: Return, order_number: str) -> QueueRow:
    return QueueRow(
        id=rma.id, number=rma.number, order_id=rma.order_id, order_number=order_number,
        customer_id=rma.customer_id, units=sum(line.quantity for line in rma.lines),
        items=", ".join(f"{line.title} ({line.quantity})" for line in rma.lines),
        currency=rma.currency, value_minor=rma.value_minor, resolution=rma.resolution,
        status=rma.status, created_at=rma.created_at,
        review_reasons=tuple(rma.review_reasons or ()))


def counts_by_status(session: Session, *, store_id: int) -> list[tuple[str, int]]:
    """How many returns the store has in each status, in lifecycle order (a status
    with none left out)."""
    counts = dict(session.execute(select(Return.status, func.count(Return.id)).where(
        Return.store_id == store_id).group_by(Return.status)).tuples().all())
    known = [status for status in STATUSES if status in counts]
    return [(status, int(counts[status])) for status in
            known + sorted(set(counts) - set(known))]


def reasons_in_use(session: Session, *, store_id: int) -> list[str]:
    """The reasons the store's returns were given, for the queue's filter."""
    return list(session.scalars(select(ReturnLine.reason).where(
        ReturnLine.store_id == store_id).distinct().order_by(ReturnLine.reason)))


@dataclass(frozen=True)
class Step:
    name: str  # the event's name: return.requested, return.approved, ...
    at: datetime
    detail: str | None  # a reject reason, a resolution


def timeline(session: Session, *, store_id: int, return_id: int) -> list[Step]:
    """The return's events, oldest first."""
    events = session.scalars(select(Event).where(
        Event.store_id == store_id, Event.subject_type == "return",
        Event.subject_id == return_id).order_by(Event.occurred_at, Event.id))
    return [Step(event.name, event.occurred_at, _detail(event.payload or {}))
            for event in events]


def _detail(payload: dict[str, object]) -> str | None:
    if payload.get("reason"):
        return str(payload["reason"])
    if payload.get("review"):
        return "held for review: " + ", ".join(str(r) for r in payload["review"])  # type: ignore[attr-defined]
    return None


@dataclass(frozen=True)
class EarlierReturn:
    id: int
    number: str
    status: str
    resolution: str
    currency: str
    value_minor: int
    created_at: datetime


@dataclass(frozen=True)
class CustomerHistory:
    orders: int  # not cancelled
    returns: tuple[EarlierReturn, ...]  # every other return of the customer, newest first
    returned_orders: int  # orders with at least one return not rejected
    return_rate: float | None  # returned_orders / orders; None without orders


def customer_history(session: Session, *, store_id: int, customer_id: int | None,
                     but_return_id: int | None = None, limit: int = 20) -> CustomerHistory:
    """What the customer did before: their orders, their other returns (up to
    `limit`), and the share of their orders that had a return (rejected ones not
    counted). No customer (a guest order): nothing."""
    if customer_id is None:
        return CustomerHistory(0, (), 0, None)
    mine = (Order.store_id == store_id) & (Order.customer_id == customer_id)
    orders = int(session.scalar(select(func.count(Order.id)).where(
        mine, Order.status != "cancelled")) or 0)
    theirs = (Return.store_id == store_id) & (Return.customer_id == customer_id)
    returned = int(session.scalar(select(func.count(func.distinct(Return.order_id))).where(
        theirs, Return.status != "rejected")) or 0)
    query = select(Return).where(theirs)
    if but_return_id is not None:
        query = query.where(Return.id != but_return_id)
    earlier = session.scalars(query.order_by(Return.id.desc()).limit(limit))
    return CustomerHistory(
        orders=orders,
        returns=tuple(EarlierReturn(r.id, r.number, r.status, r.resolution, r.currency,
                                    r.value_minor, r.created_at) for r in earlier),
        returned_orders=returned,
        return_rate=returned / orders if orders else None)
