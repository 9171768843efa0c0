"""Customer scans that emit the events date-driven journeys start from: a birthday
or a first-purchase anniversary that is today in the customer's time zone, and a
customer at churn risk (a recency rule until the insights module has a model).
Each event is emitted once per occasion; the scan runs hourly, so "today" comes
soon after local midnight wherever the customer lives."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, extract, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from afterward.commerce.models import Customer, Store
from afterward.events import Event, record
from afterward.messaging.facts import customer_timezone

BIRTHDAY = "customer.birthday"
ANNIVERSARY = "customer.purchase_anniversary"
AT_RISK = "customer.at_risk"
SCANNED = (BIRTHDAY, ANNIVERSARY, AT_RISK)
ONCE_A_YEAR = timedelta(days=300)  # an occasion is emitted again no sooner than this
ONE_TIME_BUYER_LAPSE = timedelta(days=120)
MIN_LAPSE = timedelta(days=30)
# Flag a customer in the month after they cross their threshold, not years later: a
# store switching win-back on does not mail everyone who ever lapsed.
FRESH_LAPSE = timedelta(days=30)
OLDEST_LAPSE = timedelta(days=730)
SCAN_LIMIT = 5000


def occasion(day: date, year: int) -> date:
    """A yearly date in `year`; 29 February falls on the 28th in other years."""
    try:
        return day.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def at_risk_after(orders_count: int, first: datetime | None, last: datetime) -> timedelta:
    """Lapse after which a customer counts as at risk: twice their typical gap between
    orders, or 120 days for a one-time buyer; never less than 30 days."""
    if orders_count >= 2 and first is not None and last > first:
        return max(2 * (last - first) / (orders_count - 1), MIN_LAPSE)
    return ONE_TIME_BUYER_LAPSE


def _near_today(column: Any, now: datetime, span: int = 1) -> ColumnElement[bool]:
    """A coarse SQL filter on month and day (time zones move "today" by a day either
    way; a timestamp's date moves too); the exact check is done per customer."""
    days = [(now + timedelta(days=d)).date() for d in range(-span, span + 1)]
    pairs = {(d.month, d.day) for d in days}
    if (2, 28) in pairs or (3, 1) in pairs:
        pairs.add((2, 29))
    return or_(*[and_(extract("month", column) == m, extract("day", column) == d)
                 for m, d in sorted(pairs)])


def _not_emitted(name: str, since: Any) -> ColumnElement[bool]:
    return ~exists().where(Event.store_id == Customer.store_id, Event.name == name,
                           Event.subject_type == "customer", Event.subject_id == Customer.id,
                           Event.occurred_at > since)


def _emit(session: Session, store_id: int, name: str, customer_id: int, now: datetime,
          **payload: object) -> None:
    record(session, store_id=store_id, name=name, subject_type="customer",
           subject_id=customer_id, occurred_at=now,
           payload={"customer_id": customer_id, **payload})


def _local_today(customer: Customer, store: Store, now: datetime) -> date:
    return now.astimezone(ZoneInfo(customer_timezone(customer, store))).date()


def birthdays(session: Session, store: Store, now: datetime) -> int:
    found = 0
    for customer in session.scalars(select(Customer).where(
            Customer.store_id == store.id, Customer.birthday.is_not(None),
            _near_today(Customer.birthday, now), _not_emitted(BIRTHDAY, now - ONCE_A_YEAR),
    ).order_by(Customer.id).limit(SCAN_LIMIT)):
        assert customer.birthday is not None
        today = _local_today(customer, store, now)
        if occasion(customer.birthday, today.year) == today:
            _emit(session, store.id, BIRTHDAY, customer.id, now, date=today.isoformat())
            found += 1
    return found


def anniversaries(session: Session, store: Store, now: datetime) -> int:
    found = 0
    for customer in session.scalars(select(Customer).where(
            Customer.store_id == store.id, Customer.first_order_at.is_not(None),
            Customer.first_order_at < now - ONCE_A_YEAR,
            _near_today(Customer.first_order_at, now, span=3),
            _not_emitted(ANNIVERSARY, now - ONCE_A_YEAR),
    ).order_by(Customer.id).limit(SCAN_LIMIT)):
        assert customer.first_order_at is not None
        zone = ZoneInfo(customer_timezone(customer, store))
        first = customer.first_order_at.astimezone(zone).date()
        today = now.astimezone(zone).date()
        if today.year > first.year and occasion(first, today.year) == today:
            _emit(session, store.id, ANNIVERSARY, customer.id, now,
                  years=today.year - first.year, date=today.isoformat())
            found += 1
    return found


def at_risk(session: Session, store: Store, now: datetime) -> int:
    """A one-time buyer's line is ONE_TIME_BUYER_LAPSE: only those who crossed it in
    the last FRESH_LAPSE are read, and of the others only their figures (most of a
    store's customers bought once, long ago, and are read at every scan otherwise)."""
    found = 0
    crossed_lately = Customer.last_order_at > now - ONE_TIME_BUYER_LAPSE - FRESH_LAPSE
    for customer_id, orders_count, first, last in session.execute(select(
            Customer.id, Customer.orders_count, Customer.first_order_at,
            Customer.last_order_at).where(
            Customer.store_id == store.id, Customer.orders_count >= 1,
            or_(Customer.orders_count >= 2, crossed_lately),
            Customer.last_order_at < now - MIN_LAPSE,
            Customer.last_order_at > now - OLDEST_LAPSE,
            _not_emitted(AT_RISK, Customer.last_order_at),
    ).order_by(Customer.last_order_at.desc(), Customer.id).limit(SCAN_LIMIT)):
        assert last is not None
        lapse = at_risk_after(orders_count, first, last)
        if lapse <= now - last < lapse + FRESH_LAPSE:
            _emit(session, store.id, AT_RISK, customer_id, now,
                  days_since_last_order=(now - last).days, threshold_days=lapse.days)
            found += 1
    return found


def scan(session: Session, *, store_id: int, now: datetime,
         names: frozenset[str] | set[str] = frozenset(SCANNED)) -> dict[str, int]:
    """Run the scans whose events some journey listens to; returns events emitted."""
    store = session.get(Store, store_id)
    if store is None:
        return {}
    out: dict[str, int] = {}
    if BIRTHDAY in names:
        out[BIRTHDAY] = birthdays(session, store, now)
    if ANNIVERSARY in names:
        out[ANNIVERSARY] = anniversaries(session, store, now)
    if AT_RISK in names:
        out[AT_RISK] = at_risk(session, store, now)
    return out
