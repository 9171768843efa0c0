"""The `subscriptions` step of a recompute (recompute.STEPS): every customer's
subscriptions (insights/subscriptions.py) with their next renewal and its risk,
written as the run's `customer_subscriptions` rows. Reads each customer's purchases
per SKU and, for the latest order of each subscription, whether it was returned, got
a detractor's survey answer or was delivered late (one query each)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from afterward.commerce.models import Order, OrderLine, Product
from afterward.insights import subscriptions
from afterward.insights.customer_models import CustomerSubscription
from afterward.storage import bulk

if TYPE_CHECKING:
    from afterward.insights.recompute import Context

CHUNK = 500  # order ids per IN (...)


@dataclass
class Bought:
    title: str
    declared: int | None = None
    days: dict[date, int] = field(default_factory=dict)  # day -> its latest order id
    flagged: set[date] = field(default_factory=set)


def subscriptions_step(ctx: Context) -> None:
    bought = _purchases(ctx.session, ctx.store_id, ctx.now)
    found: dict[tuple[int, str], tuple[Bought, subscriptions.Found]] = {}
    for key, item in bought.items():
        made = subscriptions.detect(list(item.days), sorted(item.flagged), item.declared)
        if made is not None:
            found[key] = (item, made)
    last_orders = {item.days[made.last] for item, made in found.values()}
    returned, unhappy, late = _troubles(ctx.session, ctx.store_id, last_orders)
    today, rows = ctx.today, []
    for (customer_id, sku), (item, made) in sorted(found.items()):
        order_id = item.days[made.last]
        figures = ctx.figures.get(customer_id)
        risk, reasons = subscriptions.renewal_risk(made, today, subscriptions.Signals(
            p_alive=figures.p_alive if figures is not None else None,
            returned=order_id in returned, low_survey=order_id in unhappy,
            late=order_id in late))
        rows.append({"run_id": ctx.run.id, "customer_id": customer_id, "sku": sku,
                     "store_id": ctx.store_id, "title": item.title[:300],
                     "source": made.source, "status": subscriptions.status(made, today),
                     "orders": made.orders, "interval_days": round(made.interval_days, 4),
                     "last_order_on": made.last, "next_renewal_on": made.next_renewal,
                     "renewal_risk": risk, "reasons": reasons})
    for start in range(0, len(rows), 2000):
        bulk.insert(ctx.session, CustomerSubscription, rows[start:start + 2000])
    ctx.notes["subscriptions"] = len(rows)


def _purchases(session: Session, store_id: int, now: datetime
               ) -> dict[tuple[int, str], Bought]:
    found: dict[tuple[int, str], Bought] = {}
    for sku, title, flagged, order_id, customer_id, placed_at, product_title, declared in \
            session.execute(select(
                OrderLine.sku, OrderLine.title, OrderLine.subscription, Order.id,
                Order.customer_id, Order.placed_at, Product.title,
                Product.replenishment_days)
                .join(Order, Order.id == OrderLine.order_id)
                .outerjoin(Product, Product.id == OrderLine.product_id)
                .where(OrderLine.store_id == store_id, Order.store_id == store_id,
                       Order.customer_id.is_not(None), Order.status != "cancelled",
                       OrderLine.sku.is_not(None), Order.placed_at <= now)
                .order_by(Order.placed_at, Order.id)):
        if customer_id is None or not sku:
            continue
        item = found.get((customer_id, sku))
        if item is None:
            item = found[(customer_id, sku)] = Bought(product_title or title)
        day = (placed_at if placed_at.tzinfo else placed_at.replace(tzinfo=UTC)
               ).astimezone(UTC).date()
        item.days[day] = order_id
        if flagged:
            item.flagged.add(day)
        if declared:
            item.declared = int(declared)
    return found


def _troubles(session: Session, store_id: int, order_ids: Iterable[int]
              ) -> tuple[set[int], set[int], set[int]]:
    """Of these orders: those with a return (not rejected), with a detractor's survey
    answer, with an outbound parcel recorded late (a delay, or delivered after the
    promised moment)."""
    from afterward.feedback.models import SurveyResponse
    from afterward.returns.models import Return
    from afterward.tracking.models import Shipment

    returned: set[int] = set()
    unhappy: set[int] = set()
    late: set[int] = set()
    ids = sorted(order_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        returned.update(session.scalars(select(Return.order_id).where(
            Return.store_id == store_id, Return.order_id.in_(chunk),
            Return.status != "rejected")))
        unhappy.update(session.scalars(select(SurveyResponse.order_id).where(
            SurveyResponse.store_id == store_id, SurveyResponse.order_id.in_(chunk),
            SurveyResponse.detractor.is_(True))))
        late.update(oid for oid in session.scalars(select(Shipment.order_id).where(
            Shipment.store_id == store_id, Shipment.order_id.in_(chunk),
            Shipment.direction == "outbound",
            or_(Shipment.delayed_at.is_not(None), Shipment.delivered_at > Shipment.promised_at)))
            if oid is not None)
    return returned, unhappy, late
