"""Use cases for customers, products and orders. Takes a session, never commits."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from afterward import jobs
from afterward.commerce.models import Consent, Customer, Order, OrderLine, Product, Variant
from afterward.commerce.schemas import CustomerIn, OrderIn, ProductIn
from afterward.events import EventName, record
from afterward.storage.types import utcnow


class CommerceError(ValueError):
    """A refused change; `code` is machine-readable, `field` names the culprit."""

    def __init__(self, code: str, message: str, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.code, self.message, self.field, self.status = code, message, field, status


# ---------------------------------------------------------------- cursors

def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
        kind, _, value = text.partition(":")
        if kind != "id":
            raise ValueError
        return int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CommerceError("invalid_cursor", "the cursor is not one this API gave out",
                            "cursor", 400) from exc


def page(session: Session, stmt: Select[Any], id_col: Any, *, cursor: str | None,
            limit: int) -> tuple[list[Any], str | None]:
    """Newest first; the cursor is the last id seen."""
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(id_col < after)
    rows = list(session.scalars(stmt.order_by(id_col.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1].id) if more and rows else None)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- customers

def find_customer(session: Session, *, store_id: int, external_id: str | None = None,
                  email: str | None = None, phone: str | None = None) -> Customer | None:
    if external_id:
        found = session.scalar(select(Customer).where(
            Customer.store_id == store_id, Customer.external_id == external_id))
        if found:
            return found
    if email:
        found = session.scalar(select(Customer).where(
            Customer.store_id == store_id, Customer.email == email).order_by(Customer.id).limit(1))
        if found:
            return found
    if phone:
        return session.scalar(select(Customer).where(
            Customer.store_id == store_id, Customer.phone == phone).order_by(Customer.id).limit(1))
    return None


_CUSTOMER_FIELDS = ("external_id", "email", "phone", "first_name", "last_name", "locale",
                    "timezone", "birthday")


def upsert_customer(session: Session, *, store_id: int, data: CustomerIn,
                    source: str = "api") -> tuple[Customer, bool]:
    if not (data.external_id or data.email or data.phone):
        raise CommerceError("invalid", "a customer needs an email, a phone or an external_id",
                            "email")
    customer = find_customer(session, store_id=store_id, external_id=data.external_id,
                             email=data.email, phone=data.phone)
    created = customer is None
    if customer is None:
        customer = Customer(store_id=store_id, orders_count=0, total_spent_minor=0)
        session.add(customer)
    changed = [f for f in _CUSTOMER_FIELDS
               if getattr(data, f) is not None and getattr(customer, f) != getattr(data, f)]
    for field in changed:
        setattr(customer, field, getattr(data, field))
    session.flush()
    if data.accepts_marketing is not None:
        for channel in ("email", "sms"):
            granted = getattr(data.accepts_marketing, channel)
            if granted is not None:
                set_consent(session, customer=customer, channel=channel, purpose="marketing",
                            granted=granted, source=source)
    if created:
        record(session, store_id=store_id, name=EventName.customer_created,
               subject_type="customer", subject_id=customer.id, payload={"source": source})
    elif changed:
        record(session, store_id=store_id, name=EventName.customer_updated,
               subject_type="customer", subject_id=customer.id, payload={"fields": changed})
    return customer, created


def set_consent(session: Session, *, customer: Customer, channel: str, purpose: str,
                granted: bool, source: str) -> bool:
    """Returns True when the consent changed (and an event was recorded)."""
    row = next((c for c in customer.consents
                if c.channel == channel and c.purpose == purpose), None)
    if row is not None and row.granted == granted:
        return False
    if row is None:
        row = Consent(store_id=customer.store_id, channel=channel, purpose=purpose,
                      granted=granted, source=source)
        customer.consents.append(row)
    else:
        row.granted, row.source, row.updated_at = granted, source, utcnow()
    session.flush()
    record(session, store_id=customer.store_id, name=EventName.customer_consent_changed,
           subject_type="customer", subject_id=customer.id,
           payload={"channel": channel, "purpose": purpose, "granted": granted, "source": source})
    return True


def get_customer(session: Session, *, store_id: int, customer_id: int) -> Customer | None:
    return session.scalar(select(Customer).where(
        Customer.store_id == store_id, Customer.id == customer_id))


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
    customer = get_customer(session, store_id=store_id, customer_id=customer_id)
    if customer is None:
        return
    count, spent, first, last = session.execute(
        select(func.count(Order.id),
               func.coalesce(func.sum(Order.total_minor - Order.refunded_minor), 0),
               func.min(Order.placed_at), func.max(Order.placed_at))
        .where(Order.store_id == store_id, Order.customer_id == customer_id,
               Order.status != "cancelled")
    ).one()
    customer.orders_count = int(count)
    customer.total_spent_minor = int(spent)
    customer.first_order_at = _aware(first)
    customer.last_order_at = _aware(last)


def _aware(value: datetime | str | None) -> datetime | None:
    # Aggregates bypass the column type on SQLite and come back naive (or as text).
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ---------------------------------------------------------------- products

def upsert_product(session: Session, *, store_id: int, data: ProductIn) -> tuple[Product, bool]:
    product = None
    if data.external_id:
        product = session.scalar(select(Product).where(
            Product.store_id == store_id, Product.external_id == data.external_id))
    skus = [variant.sku for variant in data.variants]
    if len(set(skus)) != len(skus):
        raise CommerceError("duplicate_sku", "two variants share a SKU", "variants")
    existing = {vr.sku: vr for vr in session.scalars(select(Variant).where(
        Variant.store_id == store_id, Variant.sku.in_(skus)))}
    if product is None and existing:
        product = next(iter(existing.values())).product
    for sku, variant in existing.items():
        if product is not None and variant.product_id != product.id:
            raise CommerceError("duplicate_sku",
                                f"SKU {sku!r} already belongs to another product", "variants")
    created = product is None
    if product is None:
        product = Product(store_id=store_id)
        session.add(product)
    for field in ("external_id", "title", "category", "image_url", "care_content",
                  "howto_content", "replenishment_days"):
        value = getattr(data, field)
        if value is not None or created:
            setattr(product, field, value)
    for item in data.variants:
        variant = existing.get(item.sku)
        if variant is None:
            variant = Variant(store_id=store_id, sku=item.sku)
            product.variants.append(variant)
        variant.external_id = item.external_id
        variant.title = item.title
        variant.price_minor = item.price_minor
        variant.currency = item.currency
        variant.image_url = item.image_url
    session.flush()
    record(session, store_id=store_id,
           name=EventName.product_created if created else EventName.product_updated,
           subject_type="product", subject_id=product.id, payload={"title": product.title})
    return product, created


def get_product(session: Session, *, store_id: int, product_id: int) -> Product | None:
    return session.scalar(select(Product).where(
        Product.store_id == store_id, Product.id == product_id))


def list_products(session: Session, *, store_id: int, category: str | None = None,
                  cursor: str | None = None, limit: int = 50) -> tuple[list[Product], str | None]:
    stmt = select(Product).where(Product.store_id == store_id)
    if category:
        stmt = stmt.where(Product.category == category)
    return page(session, stmt, Product.id, cursor=cursor, limit=limit)


# ---------------------------------------------------------------- orders

@dataclass(frozen=True)
class OrderMeta:
    """What a platform adds beyond OrderIn: where it came from and its lifecycle."""

    source: str = "api"
    source_updated_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    fulfillment_status: str | None = None


def get_order(session: Session, *, store_id: int, order_id: int) -> Order | None:
    return session.scalar(select(Order).where(Order.store_id == store_id, Order.id == order_id))


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


def save_order(session: Session, *, store_id: int, data: OrderIn,
               meta: OrderMeta | None = None, upsert: bool = False) -> tuple[Order, bool]:
    """Create an order, or with `upsert` update the one with the same number
    (or platform id). An older platform version never overwrites a newer one."""
    meta = meta or OrderMeta()
    order = None
    if data.external_id and meta.source != "api":
        order = order_by_external_id(session, store_id=store_id, source=meta.source,
                                     external_id=data.external_id)
    if order is None:
        order = order_by_number(session, store_id=store_id, number=data.number)
        if order is not None and order.source != meta.source and meta.source != "api":
            raise CommerceError("duplicate_order_number",
                                f"order {data.number} already exists from {order.source}",
                                "number", 409)
    if order is not None and not upsert:
        raise CommerceError("duplicate_order_number", f"order {data.number} already exists",
                            "number", 409)
    if order is not None and _is_stale(order, meta):
        return order, False
    customer = _customer_for_order(session, store_id=store_id, data=data, source=meta.source)
    subtotal = sum(line.quantity * line.unit_price_minor for line in data.lines)
    total = data.total_minor if data.total_minor is not None else max(
        0, subtotal + data.shipping_minor + data.tax_minor - data.discount_minor)
    created = order is None
    previous_customer = None if order is None else order.customer_id
    if order is None:
        order = Order(store_id=store_id, refunded_minor=0, status="open")
        session.add(order)
    else:
        order.lines.clear()
        session.flush()
    order.number = data.number
    order.source = meta.source
    order.external_id = data.external_id
    order.customer_id = customer.id if customer else None
    order.email = data.email or (customer.email if customer else None)
    order.phone = data.phone or (customer.phone if customer else None)
    order.currency = data.currency
    order.subtotal_minor = subtotal
    order.shipping_minor = data.shipping_minor
    order.tax_minor = data.tax_minor
    order.discount_minor = data.discount_minor
    order.total_minor = total
    order.financial_status = data.financial_status
    order.fulfillment_status = meta.fulfillment_status
    order.placed_at = data.placed_at
    order.source_updated_at = meta.source_updated_at
    address = data.shipping_address
    if address is not None:
        order.ship_name, order.ship_address1 = address.name, address.address1
        order.ship_city, order.ship_region = address.city, address.region
        order.ship_postal_code = address.postal_code
        order.ship_country = address.country.upper() if address.country else None
    variants = _variants_by_sku(session, store_id, [ln.sku for ln in data.lines if ln.sku])
    for position, line in enumerate(data.lines):
        variant = variants.get(line.sku) if line.sku else None
        order.lines.append(OrderLine(
            store_id=store_id, position=position, external_id=line.external_id, sku=line.sku,
            title=line.title, quantity=line.quantity, unit_price_minor=line.unit_price_minor,
            total_minor=line.quantity * line.unit_price_minor, refunded_quantity=0,
            variant_id=variant.id if variant else None,
            product_id=variant.product_id if variant else None))
    session.flush()
    payload = {"number": order.number, "total_minor": order.total_minor,
               "currency": order.currency, "customer_id": order.customer_id,
               "source": meta.source}
    record(session, store_id=store_id,
           name=EventName.order_created if created else EventName.order_updated,
           subject_type="order", subject_id=order.id, payload=payload,
           occurred_at=data.placed_at if created else None)
    if meta.cancelled_at is not None and order.status != "cancelled":
        cancel_order(session, order=order, at=meta.cancelled_at, reason=meta.cancel_reason)
    for customer_id in {order.customer_id, previous_customer} - {None}:
        jobs.enqueue(session, "customers.refresh_stats", {"customer_id": customer_id},
                     store_id=store_id)
    return order, created


def _is_stale(order: Order, meta: OrderMeta) -> bool:
    return (meta.source_updated_at is not None and order.source_updated_at is not None
            and meta.source_updated_at <= order.source_updated_at)


def _customer_for_order(session: Session, *, store_id: int, data: OrderIn,
                        source: str) -> Customer | None:
    info = data.customer
    if info is None and (data.email or data.phone):
        info = CustomerIn(email=data.email, phone=data.phone)
    if info is None:
        return None
    if info.email is None and data.email:
        info = info.model_copy(update={"email": data.email})
    if not (info.external_id or info.email or info.phone):
        return None
    customer, _ = upsert_customer(session, store_id=store_id, data=info, source=source)
    return customer


def _variants_by_sku(session: Session, store_id: int, skus: list[str | None]) -> dict[str, Variant]:
    wanted = {s for s in skus if s}
    if not wanted:
        return {}
    return {vr.sku: vr for vr in session.scalars(select(Variant).where(
        Variant.store_id == store_id, Variant.sku.in_(wanted)))}


def cancel_order(session: Session, *, order: Order, at: datetime | None = None,
                 reason: str | None = None) -> bool:
    if order.status == "cancelled":
        return False
    order.status = "cancelled"
    order.cancelled_at = at or utcnow()
    order.cancel_reason = reason
    session.flush()
    record(session, store_id=order.store_id, name=EventName.order_cancelled,
           subject_type="order", subject_id=order.id,
           payload={"number": order.number, "reason": reason}, occurred_at=order.cancelled_at)
    if order.customer_id:
        jobs.enqueue(session, "customers.refresh_stats", {"customer_id": order.customer_id},
                     store_id=order.store_id)
    return True


@dataclass(frozen=True)
class RefundLine:
    line_external_id: str | None
    sku: str | None
    quantity: int


def apply_refund(session: Session, *, order: Order, refund_key: str, amount_minor: int,
                 lines: list[RefundLine], at: datetime | None = None) -> bool:
    """Apply a refund once (refund_key dedupes). Returns False when already applied."""
    already = session.scalar(select(func.count()).select_from(
        select(1).where(_refund_event_filter(order, refund_key)).subquery()))
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


def _refund_event_filter(order: Order, refund_key: str) -> Any:
    from afterward.events import Event
    return (Event.store_id == order.store_id) & (Event.subject_type == "order") & (
        Event.subject_id == order.id) & (Event.name == EventName.order_refunded.value) & (
        Event.payload["refund_key"].as_string() == refund_key)
