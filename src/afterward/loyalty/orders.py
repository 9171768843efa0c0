"""Points from orders, exactly once however events arrive.

For each order, what it *should* have earned is computed from the goods the customer
still keeps (loyalty/earning.py) every time something about it happens (created,
updated, refunded, cancelled, delivered, returned); the difference from what it has
earned so far is posted as an `earn` or a `clawback` keyed by (order, revision). A
replayed or duplicate event finds no difference and writes nothing.

Earned points stay pending until `pending_until` (delivery + pending_days; never
delivered: the order date + pending_days + delivery_grace_days), then `release_due`
makes them spendable, once. Points taken back come from the order's pending points
first, then the balance; what the balance cannot cover is kept as debt on the
account and paid from the next points credited (the balance never goes below zero,
and nothing taken back is lost)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.commerce.models import Order
from afterward.commerce.validation import minor_units_exponent
from afterward.loyalty import earning, ledger, tiers
from afterward.loyalty.models import LoyaltyAccount, LoyaltyOrder
from afterward.loyalty.program import Program, boosted
from afterward.loyalty.returned import returned_units
from afterward.storage.types import utcnow
from afterward.tracking import service as tracking


def pending_until(program: Program, *, placed_at: datetime,
                  delivered_at: datetime | None) -> datetime:
    if delivered_at is not None:
        return delivered_at + timedelta(days=program.pending_days)
    return placed_at + timedelta(days=program.pending_days + program.delivery_grace_days)


def order_value(session: Session, order: Order) -> earning.OrderValue:
    returned = returned_units(session, store_id=order.store_id, order_id=order.id)
    return earning.OrderValue(
        subtotal_minor=order.subtotal_minor, discount_minor=order.discount_minor,
        refunded_minor=order.refunded_minor,
        cancelled=order.status == "cancelled" or order.cancelled_at is not None,
        lines=[earning.Line(line.total_minor, line.quantity,
                            max(line.refunded_quantity, returned.get(line.id, 0)))
               for line in order.lines])


def _first_order(session: Session, order: Order) -> bool:
    earlier = session.scalar(select(Order.id).where(
        Order.store_id == order.store_id, Order.customer_id == order.customer_id,
        Order.id != order.id, Order.placed_at <= order.placed_at).limit(1))
    return earlier is None


def recompute(session: Session, *, store_id: int, order_id: int, program: Program,
              open_new: bool, now: datetime | None = None) -> int:
    """Bring the order's points to what it should have earned; the points posted
    (+ earned, - taken back, 0 nothing changed). `open_new`: an order loyalty has not
    seen yet starts earning (its `order.created`); otherwise it is left alone."""
    now = now or utcnow()
    order = session.scalar(select(Order).where(Order.id == order_id,
                                               Order.store_id == store_id))
    if order is None or order.customer_id is None:
        return 0
    held = ledger.account(session, store_id=store_id, customer_id=order.customer_id)
    row = session.get(LoyaltyOrder, order_id, with_for_update=True, populate_existing=True)
    _, delivered = tracking.delivery_dates(session, store_id=store_id, order_id=order_id)
    due = pending_until(program, placed_at=order.placed_at, delivered_at=delivered)
    if row is None:
        if not open_new:
            return 0
        tier = program.tier(held.tier)
        row = LoyaltyOrder(
            order_id=order_id, store_id=store_id, account_id=held.id, revision=0,
            earned_points=0, pending_points=0, kept_minor=0,
            multiplier_percent=boosted(tier.multiplier_percent if tier else 100,
                                       program.campaign_at(order.placed_at)),
            bonus_points=program.bonuses.first_order if _first_order(session, order) else 0,
            placed_at=order.placed_at, pending_until=due, updated_at=now)
        session.add(row)
        session.flush()
    elif row.released_at is None:
        row.pending_until = due
    kept = earning.kept_minor(order_value(session, order))
    target = earning.points_for(kept, exponent=minor_units_exponent(order.currency),
                                per_unit=program.points_per_currency_unit,
                                multiplier_percent=row.multiplier_percent)
    target += row.bonus_points if kept > 0 else 0
    row.kept_minor, row.updated_at = kept, now
    difference = target - row.earned_points
    if difference:
        row.revision += 1
        key = f"order:{order_id}:{row.revision}"
        if difference > 0:
            _earn(session, held, row, difference, key, now)
        else:
            _take_back(session, held, row, -difference, key, now)
        row.earned_points = target
    session.flush()
    tiers.review(session, held, program, now)
    return difference


def _earn(session: Session, held: LoyaltyAccount, row: LoyaltyOrder, points: int,
          key: str, now: datetime) -> None:
    reason = "order"
    if row.released_at is None:
        entry = ledger.post(session, held, kind="earn", points=points, key=key,
                            source="order", source_id=row.order_id, pending=points,
                            lifetime=points, reason=reason, pending_until=row.pending_until,
                            now=now)
        row.pending_points += points
    else:  # the order grew after its points were released: spendable at once
        entry = ledger.credit(session, held, kind="earn", points=points, key=key,
                              source="order", source_id=row.order_id, lifetime=points,
                              reason=reason, now=now)
    if entry is not None:
        ledger.earned(session, held, entry)


def _take_back(session: Session, held: LoyaltyAccount, row: LoyaltyOrder, points: int,
               key: str, now: datetime) -> None:
    split = earning.take_back(points, order_pending=row.pending_points,
                              account_pending=held.points_pending,
                              balance=held.points_balance)
    ledger.post(session, held, kind="clawback", points=-points, key=key, source="order",
                source_id=row.order_id, pending=-split.pending, balance=-split.balance,
                debt=split.debt, lifetime=-min(points, held.lifetime_points),
                reason="refunded, returned or cancelled", now=now)
    row.pending_points -= split.pending


def release_due(session: Session, *, store_id: int, now: datetime | None = None,
                limit: int = 1000) -> int:
    """Make the points of orders whose pending time has passed spendable, each order
    once (`released_at`); the orders released."""
    now = now or utcnow()
    due = list(session.scalars(select(LoyaltyOrder.order_id).where(
        LoyaltyOrder.store_id == store_id, LoyaltyOrder.released_at.is_(None),
        LoyaltyOrder.pending_until <= now).order_by(LoyaltyOrder.pending_until).limit(limit)))
    released = 0
    for order_id in due:
        customer_id = session.scalar(select(LoyaltyAccount.customer_id).join(
            LoyaltyOrder, LoyaltyOrder.account_id == LoyaltyAccount.id)
            .where(LoyaltyOrder.order_id == order_id))
        assert customer_id is not None
        held = ledger.account(session, store_id=store_id, customer_id=customer_id)
        row = session.get(LoyaltyOrder, order_id, with_for_update=True,
                          populate_existing=True)
        if row is None or row.released_at is not None or row.pending_until > now:
            continue
        points = min(row.pending_points, held.points_pending)
        if points:
            ledger.credit(session, held, kind="release", points=points, pending=-points,
                          key=f"release:{order_id}", source="order", source_id=order_id,
                          reason="no longer returnable", now=now)
        row.pending_points, row.released_at, row.updated_at = 0, now, now
        released += 1
    session.flush()
    return released
