"""Customers, their consents and their purchase statistics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from afterward.commerce.errors import CommerceError
from afterward.commerce.models import Consent, Customer, Order
from afterward.commerce.paging import page
from afterward.commerce.schemas import CustomerIn
from afterward.commerce.validation import ACCOUNT_STATES
from afterward.events import Event, EventName, record
from afterward.storage import bulk, locks
from afterward.storage.lookups import Lookup
from afterward.storage.types import utcnow

_FIELDS = ("external_id", "email", "phone", "first_name", "last_name", "locale", "timezone",
           "birthday")
_CUSTOMERS = cast(Table, Customer.__table__)


def _lookup(column: str) -> Any:
    table = Customer.__table__
    return (select(*[table.c[name] for name in ("id", *_FIELDS)])
            .where(table.c.store_id == bindparam("store_id"), table.c[column] == bindparam("v"))
            .order_by(table.c.id).limit(1))


_LOOKUPS = {name: Lookup(_lookup(name)) for name in ("external_id", "email", "phone")}


def _find_row(session: Session, store_id: int, external_id: str | None, email: str | None,
              phone: str | None) -> Any:
    conn = bulk.connection_of(session)
    for column, value in (("external_id", external_id), ("email", email), ("phone", phone)):
        if value:
            rows = _LOOKUPS[column](conn, {"store_id": store_id, "v": value})
            if rows:
                return rows[0]
    return None


def find_customer(session: Session, *, store_id: int, external_id: str | None = None,
                  email: str | None = None, phone: str | None = None) -> Customer | None:
    row = _find_row(session, store_id, external_id, email, phone)
    return None if row is None else session.get(Customer, row.id)


def save_customer(session: Session, *, store_id: int, data: CustomerIn,
                  source: str = "api") -> tuple[int, bool]:
    """Create or update by external_id, email or phone; returns (id, created).
    Core statements only: this runs on every ingested order."""
    if not (data.external_id or data.email or data.phone):
        raise CommerceError("invalid", "a customer needs an email, a phone or an external_id",
                            "email")
    locks.hold_all(session, [("customer", store_id, column, value) for column, value in (
        ("external_id", data.external_id), ("email", data.email), ("phone", data.phone))
        if value])  # concurrent first orders of one new customer: one customer
    row = _find_row(session, store_id, data.external_id, data.email, data.phone)
    given = {f: getattr(data, f) for f in _FIELDS if getattr(data, f) is not None}
    if row is None:
        now = utcnow()
        [customer_id] = bulk.insert(session, _CUSTOMERS, [{
            **dict.fromkeys(_FIELDS), "store_id": store_id, "orders_count": 0,
            "total_spent_minor": 0, "created_at": now, "updated_at": now,
            "first_order_at": None, "last_order_at": None, **given}], returning_ids=True)
        record(session, store_id=store_id, name=EventName.customer_created,
               subject_type="customer", subject_id=customer_id, payload={"source": source})
    else:
        customer_id = row.id
        changed = {f: v for f, v in given.items() if getattr(row, f) != v}
        if changed:
            session.execute(update(Customer).where(Customer.id == customer_id)
                            .values(updated_at=utcnow(), **changed))
            record(session, store_id=store_id, name=EventName.customer_updated,
                   subject_type="customer", subject_id=customer_id,
                   payload={"fields": sorted(changed)})
    if data.accepts_marketing is not None:
        for channel in ("email", "sms"):
            granted = getattr(data.accepts_marketing, channel)
            if granted is not None:
                set_consent(session, store_id=store_id, customer_id=customer_id,
                            channel=channel, purpose="marketing", granted=granted, source=source)
    return customer_id, row is None


def account_seen(session: Session, *, store_id: int, customer_id: int, state: str,
                 opened_at: datetime, created_on_platform: bool, source: str) -> bool:
    """The platform says the customer's account is in `state`; whether that told an
    account opened (`customer.account_opened` `{source, opened_at}`, recorded here).
    An account is opened when the platform creates the customer with one
    (`created_on_platform`: Shopify's customers/create with state `enabled`, a sign-up;
    told once per customer, even when an update overtook the create), or when one
    Afterward knew without an account (invited, disabled, declined) gets one. A
    customer first seen with an account already (an old member edited) opened it at a
    time nobody can tell: nothing is recorded. Held under the customer's lock, so
    deliveries at once tell it once; an account closed and opened again is told again
    (loyalty's sign-up bonus is once per customer)."""
    if state not in ACCOUNT_STATES:
        raise CommerceError("invalid", f"an account state is one of "
                            f"{', '.join(ACCOUNT_STATES)}", "state")
    locks.hold(session, "customer-account", store_id, customer_id)
    before = session.scalar(select(Customer.account_state).where(
        Customer.store_id == store_id, Customer.id == customer_id))
    if before != state:
        session.execute(update(Customer).where(Customer.id == customer_id)
                        .values(account_state=state, updated_at=utcnow()))
    if state != "enabled":
        return False
    if created_on_platform:
        opened = session.scalar(select(Event.id).where(
            Event.store_id == store_id, Event.subject_type == "customer",
            Event.subject_id == customer_id,
            Event.name == EventName.customer_account_opened).limit(1)) is None
    else:
        opened = before is not None and before != "enabled"
    if opened:
        record(session, store_id=store_id, name=EventName.customer_account_opened,
               subject_type="customer", subject_id=customer_id, occurred_at=opened_at,
               payload={"source": source, "opened_at": opened_at.isoformat()})
    return opened


def upsert_customer(session: Session, *, store_id: int, data: CustomerIn,
                    source: str = "api") -> tuple[Customer, bool]:
    customer_id, created = save_customer(session, store_id=store_id, data=data, source=source)
    customer = session.execute(select(Customer).where(Customer.id == customer_id)
                               .execution_options(populate_existing=True)).scalar_one()
    return customer, created


def set_consent(session: Session, *, store_id: int, customer_id: int, channel: str,
                purpose: str, granted: bool, source: str) -> bool:
    """Returns True when the consent changed (and an event was recorded)."""
    current = session.execute(select(Consent.id, Consent.granted).where(
        Consent.customer_id == customer_id, Consent.channel == channel,
        Consent.purpose == purpose)).first()
    if current is not None and current.granted == granted:
        return False
    if current is None:
        session.execute(insert(Consent).values(
            store_id=store_id, customer_id=customer_id, channel=channel, purpose=purpose,
            granted=granted, source=source, updated_at=utcnow()))
    else:
        session.execute(update(Consent).where(Consent.id == current.id).values(
            granted=granted, source=source, updated_at=utcnow()))
    record(session, store_id=store_id, name=EventName.customer_consent_changed,
           subject_type="customer", subject_id=customer_id,
           payload={"channel": channel, "purpose": purpose, "granted": granted, "source": source})
    return True


def get_customer(session: Session, *, store_id: int, customer_id: int) -> Customer | None:
    return session.scalar(_CUSTOMER, {"store_id": store_id, "customer_id": customer_id})


def customer_exists(session: Session, *, store_id: int, customer_id: int) -> bool:
    """Whether the store has this customer, without loading it."""
    return bool(_CUSTOMER_ID(session, {"store_id": store_id, "customer_id": customer_id}))


_WHERE = (Customer.store_id == bindparam("store_id"), Customer.id == bindparam("customer_id"))
_CUSTOMER = select(Customer).where(*_WHERE)
_CUSTOMER_ID = Lookup(select(Customer.id).where(*_WHERE))


def list_customers(session: Session, *, store_id: int, email: str | None = None,
                   query: str | None = None, cursor: str | None = None,
                   limit: int = 50) -> tuple[list[Customer], str | None]:
    stmt = select(Customer).where(Customer.store_id == store_id)
    if email:
        stmt = stmt.where(Customer.email == email.strip())
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Customer.email).like(like),
                              func.lower(Customer.first_name).like(like),
                              func.lower(Customer.last_name).like(like),
                              Customer.phone.like(like)))
    return page(session, stmt, Customer.id, cursor=cursor, limit=limit)


def refresh_customer_stats(session: Session, *, store_id: int, customer_id: int) -> None:
    """Recompute from orders, so running it twice gives the same row."""
    refresh_customers_stats(session, store_id=store_id, customer_ids=[customer_id])


def refresh_customers_stats(session: Session, *, store_id: int,
                            customer_ids: list[int]) -> None:
    """refresh_customer_stats for many customers: one grouped query, one executemany
    (a customer without orders, or only cancelled ones, gets zeros)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return
    stats = {cast(int, row[0]): row[1:] for row in session.execute(
        select(Order.customer_id, func.count(Order.id),
               func.coalesce(func.sum(Order.total_minor - Order.refunded_minor), 0),
               func.min(Order.placed_at), func.max(Order.placed_at))
        .where(Order.store_id == store_id, Order.customer_id.in_(ids),
               Order.status != "cancelled")
        .group_by(Order.customer_id))}
    rows = []
    for customer_id in ids:
        count, spent, first, last = stats.get(customer_id, (0, 0, None, None))
        rows.append({"b_id": customer_id, "b_count": int(count), "b_spent": int(spent),
                     "b_first": _aware(first), "b_last": _aware(last)})
    session.connection().execute(_REFRESH.where(Customer.store_id == store_id), rows)


_REFRESH = update(Customer).where(Customer.id == bindparam("b_id")).values(
    orders_count=bindparam("b_count"), total_spent_minor=bindparam("b_spent"),
    first_order_at=bindparam("b_first"), last_order_at=bindparam("b_last"))


def _aware(value: datetime | str | None) -> datetime | None:
    # Aggregates bypass the column type on SQLite and come back naive (or as text).
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
