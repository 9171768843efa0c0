"""Orders: create, update from a platform, cancel, refund.

Ingest is the hottest path in the service, so writes are Core statements (no
ORM unit of work): a new order is about eight small statements in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from afterward import jobs
from afterward.commerce import payments
from afterward.commerce.customers import save_customer
from afterward.commerce.errors import CommerceError
from afterward.commerce.models import Order, OrderLine, Variant
from afterward.commerce.paging import page
from afterward.commerce.schemas import CustomerIn, OrderIn, OrderLineIn
from afterward.events import Event, EventName, record
from afterward.storage import bulk, locks
from afterward.storage.lookups import Lookup
from afterward.storage.types import utcnow


@dataclass(frozen=True)
class OrderMeta:
    """What a platform adds beyond OrderIn: where it came from and its lifecycle."""

    source: str = "api"
    source_updated_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    fulfillment_status: str | None = None


def get_order(session: Session, *, store_id: int, order_id: int,
              lock: bool = False) -> Order | None:
    """The order; with `lock`, its row is held until the transaction ends (PostgreSQL),
    so changes to the order and its parcels run one at a time."""
    query = select(Order).where(Order.store_id == store_id, Order.id == order_id)
    return session.scalar(query.with_for_update() if lock else query)


def order_by_number(session: Session, *, store_id: int, number: str) -> Order | None:
    return session.scalar(select(Order).where(Order.store_id == store_id, Order.number == number))


def order_by_external_id(session: Session, *, store_id: int, source: str,
                         external_id: str) -> Order | None:
    return session.scalar(select(Order).where(
        Order.store_id == store_id, Order.source == source, Order.external_id == external_id))


def list_orders(session: Session, *, store_id: int, number: str | None = None,
                customer_id: int | None = None, email: str | None = None,
                query: str | None = None, status: str | None = None,
                cursor: str | None = None, limit: int = 50) -> tuple[list[Order], str | None]:
    stmt = select(Order).where(Order.store_id == store_id)
    if number:
        stmt = stmt.where(Order.number == number)
    if customer_id is not None:
        stmt = stmt.where(Order.customer_id == customer_id)
    if email:
        stmt = stmt.where(Order.email == email)
    if status:
        stmt = stmt.where(Order.status == status)
    if query:
        q = query.strip().lstrip("#")
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(Order.number == q, Order.number == f"#{q}",
                              func.lower(Order.email).like(like),
                              func.lower(Order.ship_name).like(like)))
    return page(session, stmt, Order.id, cursor=cursor, limit=limit)


def load_order(session: Session, order_id: int) -> Order:
    """The order as it is now in the database, even if an older copy is in the session."""
    return session.execute(select(Order).where(Order.id == order_id)
                           .execution_options(populate_existing=True)).scalar_one()


# The most a stored amount holds (BIGINT, migration 0013).
MAX_AMOUNT = 2**63 - 1
# Built once: constant statements hit SQLAlchemy's compiled cache without re-building.
_ORDERS = cast(Table, Order.__table__)
_LINES = cast(Table, OrderLine.__table__)
_NO_ADDRESS = dict.fromkeys(("ship_name", "ship_address1", "ship_city", "ship_region",
                             "ship_postal_code", "ship_country"))
_VARIANT = Variant.__table__
_VARIANTS_BY_SKU = select(_VARIANT.c.sku, _VARIANT.c.id, _VARIANT.c.product_id).where(
    _VARIANT.c.store_id == bindparam("store_id"),
    _VARIANT.c.sku.in_(bindparam("skus", expanding=True)))


_VARIANTS_BY_FEW_SKUS: dict[int, Lookup] = {}  # one statement per number of SKUs


def _variants(session: Session, store_id: int, skus: list[str]) -> dict[str, Any]:
    if not skus:
        return {}
    conn = bulk.connection_of(session)
    if len(skus) > 32:
        return {row.sku: row for row in conn.execute(
            _VARIANTS_BY_SKU, {"store_id": store_id, "skus": skus})}
    lookup = _VARIANTS_BY_FEW_SKUS.get(len(skus))
    if lookup is None:
        lookup = _VARIANTS_BY_FEW_SKUS[len(skus)] = Lookup(
            select(_VARIANT.c.sku, _VARIANT.c.id, _VARIANT.c.product_id).where(
                _VARIANT.c.store_id == bindparam("store_id"),
                _VARIANT.c.sku.in_([bindparam(f"sku{i}") for i in range(len(skus))])))
    params = {"store_id": store_id, **{f"sku{i}": sku for i, sku in enumerate(skus)}}
    return {row.sku: row for row in lookup(conn, params)}


_KNOWN = (Order.id, Order.source, Order.source_updated_at, Order.customer_id, Order.status)


def _existing(session: Session, store_id: int, data: OrderIn, meta: OrderMeta) -> Any:
    """The stored order this one is, its row held until the transaction ends, so
    concurrent updates of one order apply one after the other, each whole. Its
    number's lock is taken first: two first deliveries of one order, one insert."""
    locks.hold(session, "order", store_id, data.number)
    if data.external_id and meta.source != "api":
        row = session.execute(select(*_KNOWN).where(
            Order.store_id == store_id, Order.source == meta.source,
            Order.external_id == data.external_id).with_for_update()).first()
        if row is not None:
            return row
    row = session.execute(select(*_KNOWN).where(
        Order.store_id == store_id, Order.number == data.number).with_for_update()).first()
    if row is not None and row.source != meta.source and meta.source != "api":
        raise CommerceError("duplicate_order_number",
                            f"order {data.number} already exists from {row.source}", "number", 409)
    return row


def save_order(session: Session, *, store_id: int, data: OrderIn,
               meta: OrderMeta | None = None, upsert: bool = False) -> tuple[Order, bool]:
    """Create an order, or with `upsert` update the one with the same number (or
    platform id). An older platform version never overwrites a newer one."""
    order_id, created = write_order(session, store_id=store_id, data=data, meta=meta,
                                    upsert=upsert)
    return load_order(session, order_id), created


def write_order(session: Session, *, store_id: int, data: OrderIn,
                meta: OrderMeta | None = None, upsert: bool = False) -> tuple[int, bool]:
    """save_order without loading the result back: returns (order id, created)."""
    written = _write(session, store_id=store_id, data=data, meta=meta or OrderMeta(),
                     upsert=upsert)
    return written.order_id, written.created


def create_order_document(session: Session, *, store_id: int, data: OrderIn) -> dict[str, Any]:
    """Create an order from the API and return it as the API shows it, built from what
    was written (line ids come back from the INSERT) rather than read back."""
    written = _write(session, store_id=store_id, data=data, meta=OrderMeta(), upsert=False)
    assert written.document is not None
    return written.document


@dataclass(frozen=True)
class _Written:
    order_id: int
    created: bool
    document: dict[str, Any] | None = None


def _write(session: Session, *, store_id: int, data: OrderIn, meta: OrderMeta,
           upsert: bool) -> _Written:
    # A plain API create needs no look-up first: the unique (store, number) index refuses
    # a duplicate, and the refusal rolls the whole request back.
    plain_create = meta.source == "api" and not upsert
    existing = None if plain_create else _existing(session, store_id, data, meta)
    if existing is not None and not upsert:
        raise CommerceError("duplicate_order_number", f"order {data.number} already exists",
                            "number", 409)
    if existing is not None and _is_stale(existing.source_updated_at, meta):
        return _Written(existing.id, False)
    customer_id = _customer_for_order(session, store_id=store_id, data=data, source=meta.source)
    subtotal = sum(line.quantity * line.unit_price_minor for line in data.lines)
    total = data.total_minor if data.total_minor is not None else max(
        0, subtotal + data.shipping_minor + data.tax_minor - data.discount_minor)
    if max(subtotal, total) > MAX_AMOUNT:  # each line fits; hundreds of the largest do not
        raise CommerceError("amount_too_large", "the order's amounts add up to more than "
                            f"{MAX_AMOUNT} minor units", "lines")
    now = utcnow()
    values: dict[str, Any] = dict(
        number=data.number, source=meta.source, external_id=data.external_id,
        customer_id=customer_id, email=data.email, phone=data.phone, currency=data.currency,
        subtotal_minor=subtotal, shipping_minor=data.shipping_minor, tax_minor=data.tax_minor,
        discount_minor=data.discount_minor, total_minor=total,
        financial_status=data.financial_status, fulfillment_status=meta.fulfillment_status,
        placed_at=data.placed_at, source_updated_at=meta.source_updated_at, updated_at=now,
        **_address(data), **_payment(data))
    if existing is None:
        row = {**_NO_ADDRESS, "payment_fingerprint": None, "store_id": store_id,
               "status": "open", "refunded_minor": 0, "created_at": now,
               "cancelled_at": None, "cancel_reason": None, **values}
        try:
            [order_id] = bulk.insert(session, _ORDERS, [row], returning_ids=True)
        except IntegrityError as exc:
            if "number" not in str(exc.orig) or upsert:
                raise  # an upsert that lost the race runs again and updates (Database.run)
            raise CommerceError("duplicate_order_number",
                                f"order {data.number} already exists", "number", 409) from exc
    else:
        order_id = existing.id
        session.execute(update(Order).where(Order.id == order_id).values(**values))
    inserted = _write_lines(session, store_id, order_id, data.lines,
                            replace=existing is not None)
    record(session, store_id=store_id,
           name=EventName.order_created if existing is None else EventName.order_updated,
           subject_type="order", subject_id=order_id,
           occurred_at=data.placed_at if existing is None else now,
           payload={"number": data.number, "total_minor": total, "currency": data.currency,
                    "customer_id": customer_id, "source": meta.source})
    if meta.cancelled_at is not None and (existing is None or existing.status != "cancelled"):
        _cancel(session, store_id, order_id, data.number, meta.cancelled_at, meta.cancel_reason)
    previous = existing.customer_id if existing is not None else None
    for touched in {customer_id, previous} - {None}:
        jobs.enqueue(session, "customers.refresh_stats", {"customer_id": touched},
                     store_id=store_id)
    if existing is not None or meta.cancelled_at is not None:
        return _Written(order_id, existing is None)
    return _Written(order_id, True, {**row, "id": order_id, "lines": inserted})


_ORDER_COLUMNS = [c for c in _ORDERS.c]
_LINE_COLUMNS = [_LINES.c[name] for name in (
    "id", "sku", "title", "quantity", "unit_price_minor", "total_minor", "refunded_quantity",
    "product_id", "variant_id", "subscription")]
_SELECT_ORDER = select(*_ORDER_COLUMNS).where(_ORDERS.c.id == bindparam("order_id"))
_SELECT_LINES = (select(*_LINE_COLUMNS).where(_LINES.c.order_id == bindparam("order_id"))
                 .order_by(_LINES.c.position))


def order_document(session: Session, order_id: int) -> dict[str, Any]:
    """The order and its lines as plain dicts, read with two Core selects (the API
    answer to an ingest, cheaper than loading ORM objects)."""
    conn = session.connection()
    order = dict(conn.execute(_SELECT_ORDER, {"order_id": order_id}).mappings().one())
    order["lines"] = [dict(r) for r in conn.execute(_SELECT_LINES, {"order_id": order_id})
                      .mappings()]
    return order


def _is_stale(known: datetime | None, meta: OrderMeta) -> bool:
    return (meta.source_updated_at is not None and known is not None
            and meta.source_updated_at <= known)


def _address(data: OrderIn) -> dict[str, Any]:
    a = data.shipping_address
    if a is None:
        return {}
    return dict(ship_name=a.name, ship_address1=a.address1, ship_city=a.city,
                ship_region=a.region, ship_postal_code=a.postal_code,
                ship_country=a.country.upper() if a.country else None)


def _payment(data: OrderIn) -> dict[str, Any]:
    """An update that does not name the payment keeps the one stored."""
    if data.payment_fingerprint is None:
        return {}
    return {"payment_fingerprint": payments.fingerprint(data.payment_fingerprint)}


def _customer_for_order(session: Session, *, store_id: int, data: OrderIn,
                        source: str) -> int | None:
    info = data.customer
    if info is None and (data.email or data.phone):
        info = CustomerIn(email=data.email, phone=data.phone)
    if info is None:
        return None
    if info.email is None and data.email:
        info = info.model_copy(update={"email": data.email})
    if not (info.external_id or info.email or info.phone):
        return None
    customer_id, _ = save_customer(session, store_id=store_id, data=info, source=source)
    return customer_id


def _write_lines(session: Session, store_id: int, order_id: int, lines: list[OrderLineIn],
                 *, replace: bool) -> list[dict[str, Any]]:
    """Insert the lines; on an update keep the ids (and refunded quantities) of lines
    that are still there, matched by platform id or position, so shipments and
    refunds that point at them stay attached."""
    variants = _variants(session, store_id, sorted({line.sku for line in lines if line.sku}))
    current: dict[Any, int] = {}
    if replace:
        for row in session.execute(select(OrderLine.id, OrderLine.external_id, OrderLine.position)
                                   .where(OrderLine.order_id == order_id)):
            current[row.external_id or f"#{row.position}"] = row.id
    fresh = []
    for position, line in enumerate(lines):
        variant = variants.get(line.sku) if line.sku else None
        values = dict(position=position, external_id=line.external_id, sku=line.sku,
                      title=line.title, quantity=line.quantity,
                      unit_price_minor=line.unit_price_minor,
                      total_minor=line.quantity * line.unit_price_minor,
                      variant_id=variant.id if variant else None,
                      product_id=variant.product_id if variant else None,
                      subscription=line.subscription)
        kept = current.pop(line.external_id or f"#{position}", None)
        if kept is None:
            fresh.append({"store_id": store_id, "order_id": order_id, "refunded_quantity": 0,
                          **values})
        else:
            session.execute(update(OrderLine).where(OrderLine.id == kept).values(
                **values, refunded_quantity=func.min(OrderLine.refunded_quantity, line.quantity)
                if session.get_bind().dialect.name == "sqlite"
                else func.least(OrderLine.refunded_quantity, line.quantity)))
    if current:
        session.execute(delete(OrderLine).where(OrderLine.id.in_(current.values())))
    if not fresh:
        return []
    ids = bulk.insert(session, _LINES, fresh, returning_ids=True)
    return [{**line, "id": line_id} for line, line_id in zip(fresh, ids, strict=True)]


def cancel_order(session: Session, *, order: Order, at: datetime | None = None,
                 reason: str | None = None) -> bool:
    if order.status == "cancelled":
        return False
    _cancel(session, order.store_id, order.id, order.number, at or utcnow(), reason)
    session.refresh(order)
    return True


def _cancel(session: Session, store_id: int, order_id: int, number: str, at: datetime,
            reason: str | None) -> None:
    session.execute(update(Order).where(Order.id == order_id).values(
        status="cancelled", cancelled_at=at, cancel_reason=reason, updated_at=utcnow()))
    record(session, store_id=store_id, name=EventName.order_cancelled, subject_type="order",
           subject_id=order_id, payload={"number": number, "reason": reason}, occurred_at=at)
    customer_id = session.scalar(select(Order.customer_id).where(Order.id == order_id))
    if customer_id:
        jobs.enqueue(session, "customers.refresh_stats", {"customer_id": customer_id},
                     store_id=store_id)


@dataclass(frozen=True)
class RefundLine:
    line_external_id: str | None
    sku: str | None
    quantity: int


def apply_refund(session: Session, *, order: Order, refund_key: str, amount_minor: int,
                 lines: list[RefundLine], at: datetime | None = None) -> bool:
    """Apply a refund once (refund_key dedupes). Returns False when already applied."""
    already = session.scalar(select(func.count()).select_from(Event).where(
        Event.store_id == order.store_id, Event.subject_type == "order",
        Event.subject_id == order.id, Event.name == EventName.order_refunded.value,
        Event.payload["refund_key"].as_string() == refund_key))
    if already:
        return False
    if amount_minor < 0:
        raise CommerceError("invalid", "a refund amount cannot be negative", "amount")
    if order.refunded_minor + amount_minor > order.total_minor:
        raise CommerceError("refund_exceeds_total",
                            f"refund would exceed the order total of {order.total_minor}",
                            "amount")
    for item in lines:
        line = next((ln for ln in order.lines
                     if (item.line_external_id and ln.external_id == item.line_external_id)
                     or (item.sku and ln.sku == item.sku)), None)
        if line is None:
            raise CommerceError("unknown_line", "refund names a line the order does not have",
                                "refund_line_items")
        if line.refunded_quantity + item.quantity > line.quantity:
            raise CommerceError("refund_exceeds_quantity",
                                f"refund of {item.quantity} exceeds what is left on the line",
                                "refund_line_items")
        line.refunded_quantity += item.quantity
    order.refunded_minor += amount_minor
    session.flush()
    record(session, store_id=order.store_id, name=EventName.order_refunded, subject_type="order",
           subject_id=order.id, occurred_at=at,
           payload={"refund_key": refund_key, "amount_minor": amount_minor,
                    "lines": [{"sku": ln.sku, "quantity": ln.quantity} for ln in lines]})
    if order.customer_id:
        jobs.enqueue(session, "customers.refresh_stats", {"customer_id": order.customer_id},
                     store_id=order.store_id)
    return True
