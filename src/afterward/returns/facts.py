"""What the policy decides on, read from the store: the order and its delivery, each
line's price paid and what earlier returns claimed, the customer's return history,
the store's policy document; and the claims themselves (atomic, bounded by a CHECK)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, false, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload

from afterward.commerce.models import Customer, Order, OrderLine, Product, Variant
from afterward.returns import policy as rules
from afterward.returns.errors import ReturnError
from afterward.returns.models import ClaimedQuantity, Return, ReturnPolicyRow
from afterward.storage.types import utcnow
from afterward.tracking import service as tracking


def load_policy(session: Session, *, store_id: int) -> rules.Policy:
    document = session.scalar(select(ReturnPolicyRow.document).where(
        ReturnPolicyRow.store_id == store_id))
    return rules.DEFAULT if document is None else rules.Policy.model_validate(document)


def save_policy(session: Session, *, store_id: int, policy: rules.Policy) -> rules.Policy:
    document = policy.model_dump(mode="json")
    row = session.get(ReturnPolicyRow, store_id)
    if row is None:
        session.add(ReturnPolicyRow(store_id=store_id, document=document))
    else:
        row.document, row.updated_at = document, utcnow()
    session.flush()
    return policy


def order_with_lines(session: Session, *, store_id: int, number: str) -> Order | None:
    """The order and its lines in one query (a return reads every line)."""
    return session.scalars(select(Order).options(joinedload(Order.lines)).where(
        Order.store_id == store_id, Order.number == number)).unique().first()


def order_facts(session: Session, order: Order) -> rules.OrderFacts:
    shipped, delivered = tracking.delivery_dates(session, store_id=order.store_id,
                                                 order_id=order.id)
    return rules.OrderFacts(placed_at=order.placed_at, shipped_at=shipped,
                            delivered_at=delivered, value_minor=order.total_minor,
                            country=order.ship_country, email=order.email,
                            postal_code=order.ship_postal_code)


def unit_paid(order: Order, line: OrderLine) -> int:
    """One unit's price less its share of the order's discount, rounded down."""
    if not order.discount_minor or not order.subtotal_minor:
        return line.unit_price_minor
    kept = max(0, order.subtotal_minor - order.discount_minor)
    return line.unit_price_minor * kept // order.subtotal_minor


def claimed(session: Session, order: Order) -> dict[int, int]:
    ids = [line.id for line in order.lines]
    return dict(session.execute(select(ClaimedQuantity.order_line_id, ClaimedQuantity.claimed)
                                .where(ClaimedQuantity.order_line_id.in_(ids))).tuples().all())


def line_facts(session: Session, order: Order) -> dict[int, rules.LineFacts]:
    """Per order line id: what the policy needs to know about it."""
    skus = [line.sku for line in order.lines if line.sku]
    # (category, list price) per SKU, as plain rows: no Variant or Product to build
    listed = {sku: (category, price) for sku, category, price in session.execute(
        select(Variant.sku, Product.category, Variant.price_minor)
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.store_id == order.store_id, Variant.sku.in_(skus)))} if skus else {}
    taken = claimed(session, order)
    out = {}
    for line in order.lines:
        category, price = listed.get(line.sku or "", (None, None))
        used = max(taken.get(line.id, 0), line.refunded_quantity)
        out[line.id] = rules.LineFacts(
            sku=line.sku, category=category,
            returnable=max(0, line.quantity - used), claimed=taken.get(line.id, 0),
            paid_minor=unit_paid(order, line), list_price_minor=price)
    return out


def history(session: Session, *, store_id: int, customer_id: int | None,
            high_value_minor: int, now: datetime) -> rules.History:
    """The customer's orders and returns (rejected ones not counted), in one query."""
    if customer_id is None:
        return rules.History()
    recent = Return.created_at >= now - timedelta(days=90)
    high = recent & (Return.value_minor >= high_value_minor) if high_value_minor else false()
    orders = select(Customer.orders_count).where(
        Customer.id == customer_id, Customer.store_id == store_id).scalar_subquery()
    row = session.execute(select(
        func.count(), func.count(case((recent, 1))), func.count(case((high, 1))), orders)
        .where(Return.store_id == store_id, Return.customer_id == customer_id,
               Return.status != "rejected")).one()
    return rules.History(orders=row[3] or 0, returns=row[0], returns_90d=row[1],
                         high_value_returns_90d=row[2])


def claim(session: Session, *, store_id: int, line: OrderLine, quantity: int) -> None:
    """Claim units of an order line for a return in one atomic statement: the line's
    first claim inserts its row, a later one adds to it only while claimed + n <=
    bought (the CHECK behind it refuses the rest, however requests interleave)."""
    if quantity > line.quantity:
        raise ReturnError("quantity_exceeds_returnable",
                          f"at most what was bought of {line.sku} can be returned", "lines")
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" \
        else sqlite.insert
    table = ClaimedQuantity.__table__
    claimed = table.c.claimed
    done = session.execute(insert(ClaimedQuantity).values(
        order_line_id=line.id, store_id=store_id, bought=line.quantity, claimed=quantity)
        .on_conflict_do_update(index_elements=["order_line_id"],
                               set_={"claimed": claimed + quantity},
                               where=claimed + quantity <= table.c.bought)
        .execution_options(synchronize_session=False))
    if not getattr(done, "rowcount", 0):
        raise ReturnError("quantity_exceeds_returnable",
                          f"at most what was bought of {line.sku} can be returned", "lines")


def release(session: Session, *, order_line_id: int, quantity: int) -> None:
    session.execute(update(ClaimedQuantity).where(ClaimedQuantity.order_line_id == order_line_id)
                    .values(claimed=ClaimedQuantity.claimed - quantity)
                    .execution_options(synchronize_session=False))
