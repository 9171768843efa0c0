"""Bulk earning: the `order.created` events of a consumer batch whose orders loyalty
has not seen yet (an import of history, a busy hour), opened together.

The facts of the whole group are read in a few queries (orders, lines, returned
units, deliveries, first orders, accounts and their 12-month spend), each order's
points are computed in memory with the same arithmetic as `orders.recompute`
(earning.py, tiers.decide), one order after another in the batch's order, and the
result is written with multi-row inserts and one UPDATE per account: the same
entries (keys `order:<id>:1`), `loyalty_orders` rows, counters, tiers and events
(`loyalty.points_earned`, `loyalty.tier_changed`) as opening the orders one event at
a time (tests/loyalty/test_bulk.py replays random histories both ways). Everything
else (updates, refunds, returns, deliveries) goes through `orders.recompute`.

The caller holds the store's consumer lock; the group's accounts are held as
`ledger.account` holds one (its named lock, in sorted order, and FOR UPDATE)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from afterward.commerce.models import Order, OrderLine
from afterward.commerce.validation import minor_units_exponent
from afterward.events import NewEvent, record_many
from afterward.loyalty import earning, orders, tiers
from afterward.loyalty.models import LoyaltyAccount, LoyaltyEntry, LoyaltyOrder
from afterward.loyalty.program import Program
from afterward.loyalty.returned import returned_units_of
from afterward.storage import bulk, locks
from afterward.storage.types import utcnow
from afterward.tracking.models import Shipment


@dataclass
class _Account:
    """An account followed in memory through the group."""

    id: int
    customer_id: int
    balance: int
    pending: int
    tier: str | None
    tier_since: datetime | None
    kept_until: datetime | None
    spend: int  # the 12-month spend (tiers.spend_minor)
    posted: int = 0  # points posted pending in this group (and to lifetime)
    reviewed: bool = False  # its tier fields may have moved


def seen(session: Session, order_ids: Sequence[int]) -> set[int]:
    """The orders among these that loyalty has opened already."""
    if not order_ids:
        return set()
    return set(session.scalars(select(LoyaltyOrder.order_id)
                               .where(LoyaltyOrder.order_id.in_(set(order_ids)))))


def open_orders(session: Session, *, store_id: int, order_ids: Sequence[int],
                program: Program, now: datetime | None = None) -> int:
    """Open these orders (not seen by loyalty, each once, in event order) as
    `orders.recompute(open_new=True)` would one after the other; the entries posted."""
    now = now or utcnow()
    session.flush()  # what the plain path changed through the ORM, before reading
    facts = _orders(session, store_id, order_ids)
    if not facts:
        return 0
    customers = list(dict.fromkeys(int(f.customer_id) for f in facts))
    accounts = _accounts(session, store_id, customers, now)
    first = _first_orders(session, store_id, customers)
    keys = {f"order:{f.id}:1" for f in facts}
    taken = set(session.scalars(select(LoyaltyEntry.idempotency_key).where(
        LoyaltyEntry.store_id == store_id, LoyaltyEntry.idempotency_key.in_(keys))))
    returned = returned_units_of(session, store_id=store_id, order_ids=[f.id for f in facts])
    delivered = dict(session.execute(
        select(Shipment.order_id, func.max(Shipment.delivered_at))
        .where(Shipment.store_id == store_id, Shipment.order_id.in_([f.id for f in facts]),
               Shipment.direction == "outbound")
        .group_by(Shipment.order_id)).tuples().all())
    lines: dict[int, list[earning.Line]] = {}
    for order_id, line_id, total, quantity, refunded in session.execute(
            select(OrderLine.order_id, OrderLine.id, OrderLine.total_minor,
                   OrderLine.quantity, OrderLine.refunded_quantity)
            .where(OrderLine.order_id.in_([f.id for f in facts]))):
        gone = max(refunded, returned.get(order_id, {}).get(line_id, 0))
        lines.setdefault(order_id, []).append(earning.Line(total, quantity, gone))

    rows: list[tuple[Any, ...]] = []
    entries: list[tuple[Any, ...]] = []
    events: list[NewEvent] = []
    window = now - tiers.WINDOW
    tiered = bool(program.ranked_tiers())
    for fact in facts:
        order_id, held = fact.id, accounts[int(fact.customer_id)]
        tier = program.tier(held.tier)
        multiplier = tier.multiplier_percent if tier else 100
        bonus = program.bonuses.first_order if first.get(held.customer_id) == order_id else 0
        due = orders.pending_until(program, placed_at=fact.placed_at,
                                   delivered_at=delivered.get(order_id))
        kept = earning.kept_minor(earning.OrderValue(
            subtotal_minor=fact.subtotal_minor, discount_minor=fact.discount_minor,
            refunded_minor=fact.refunded_minor,
            cancelled=fact.status == "cancelled" or fact.cancelled_at is not None,
            lines=lines.get(order_id, [])))
        target = earning.points_for(kept, exponent=minor_units_exponent(fact.currency),
                                    per_unit=program.points_per_currency_unit,
                                    multiplier_percent=multiplier)
        target += bonus if kept > 0 else 0
        revision = 1 if target else 0
        key = f"order:{order_id}:1"
        if target and key not in taken:
            held.pending += target
            held.posted += target
            entries.append((store_id, held.id, "earn", target, 0, target, 0, "order", "order",
                            order_id, key, due, now))
            events.append(_earned(held, order_id, target, due, now))
        rows.append((order_id, store_id, held.id, revision, target, target, kept, multiplier,
                     bonus, fact.placed_at, due, now))
        if fact.placed_at > window:
            held.spend += kept
        if tiered or held.tier is not None:
            _review(held, program, now, events)

    bulk.insert_values(session, LoyaltyOrder, _ORDER_COLUMNS, rows)
    bulk.insert_values(session, LoyaltyEntry, _ENTRY_COLUMNS, entries)
    _update_accounts(session, [a for a in accounts.values() if a.posted or a.reviewed], now)
    if events:
        record_many(session, store_id=store_id, events=events, recorded_at=utcnow())
    return len(entries)


_ORDER_COLUMNS = ("order_id", "store_id", "account_id", "revision", "earned_points",
                  "pending_points", "kept_minor", "multiplier_percent", "bonus_points",
                  "placed_at", "pending_until", "updated_at")
_ENTRY_COLUMNS = ("store_id", "account_id", "kind", "points", "balance_delta",
                  "pending_delta", "debt_delta", "reason", "source", "source_id",
                  "idempotency_key", "pending_until", "created_at")


def _orders(session: Session, store_id: int, order_ids: Sequence[int]) -> list[Any]:
    """The orders' facts (rows) in the given order (each once; without a customer:
    left out, as `recompute` leaves them)."""
    found = {row.id: row for row in session.execute(
        select(Order.id, Order.customer_id, Order.placed_at, Order.currency,
               Order.subtotal_minor, Order.discount_minor, Order.refunded_minor,
               Order.status, Order.cancelled_at)
        .where(Order.store_id == store_id, Order.id.in_(set(order_ids))))}
    return [found[i] for i in dict.fromkeys(order_ids)
            if i in found and found[i].customer_id is not None]


def _first_orders(session: Session, store_id: int, customers: list[int]) -> dict[int, int]:
    """customer -> their first order in the store, when one order alone has the
    earliest placed_at (ties: none is first, as orders._first_order decides)."""
    earliest = (select(Order.customer_id, func.min(Order.placed_at).label("first"))
                .where(Order.store_id == store_id, Order.customer_id.in_(customers))
                .group_by(Order.customer_id).subquery())
    at_first: dict[int | None, list[int]] = {}
    for customer_id, order_id in session.execute(
            select(Order.customer_id, Order.id).join(
                earliest, (Order.customer_id == earliest.c.customer_id)
                & (Order.placed_at == earliest.c.first))
            .where(Order.store_id == store_id, Order.customer_id.in_(customers))):
        at_first.setdefault(customer_id, []).append(order_id)
    return {customer: ids[0] for customer, ids in at_first.items()
            if customer is not None and len(ids) == 1}


def _accounts(session: Session, store_id: int, customers: list[int],
              now: datetime) -> dict[int, _Account]:
    """The customers' accounts, held as ledger.account holds one (opened at zero the
    first time, in the order the customers come), with their 12-month spend."""
    locks.hold_all(session, [("loyalty", store_id, customer) for customer in customers])
    account = LoyaltyAccount
    found = {row.customer_id: row for row in session.execute(
        select(account.id, account.customer_id, account.points_balance,
               account.points_pending, account.tier, account.tier_since,
               account.tier_kept_until)
        .where(account.store_id == store_id, account.customer_id.in_(customers))
        .with_for_update())}
    missing = [c for c in customers if c not in found]
    opened_at = utcnow()
    new_ids = dict(zip(missing, bulk.insert_values(
        session, LoyaltyAccount,
        ("store_id", "customer_id", "points_balance", "points_pending", "points_debt",
         "lifetime_points", "created_at", "updated_at"),
        [(store_id, c, 0, 0, 0, 0, opened_at, opened_at) for c in missing],
        returning_ids=True), strict=True))
    spend = dict(session.execute(
        select(LoyaltyOrder.account_id, func.sum(LoyaltyOrder.kept_minor))
        .where(LoyaltyOrder.account_id.in_([row.id for row in found.values()]),
               LoyaltyOrder.placed_at > now - tiers.WINDOW)
        .group_by(LoyaltyOrder.account_id)).tuples().all()) if found else {}
    held = {}
    for customer in customers:
        row = found.get(customer)
        if row is None:
            held[customer] = _Account(new_ids[customer], customer, 0, 0, None, None, None, 0)
        else:
            held[customer] = _Account(row.id, customer, row.points_balance, row.points_pending,
                                      row.tier, row.tier_since, row.tier_kept_until,
                                      int(spend.get(row.id) or 0))
    return held


def _earned(held: _Account, order_id: int, points: int, due: datetime,
            now: datetime) -> NewEvent:
    """What ledger.earned records for an order's points."""
    return NewEvent("loyalty.points_earned", "customer", held.customer_id, {
        "customer_id": held.customer_id, "points": points, "source": "order",
        "source_id": order_id, "order_id": order_id, "pending_until": due.isoformat(),
        "points_balance": held.balance, "points_pending": held.pending}, now)


def _review(held: _Account, program: Program, now: datetime, events: list[NewEvent]) -> None:
    """tiers.review on the account in memory."""
    decision = tiers.decide(program, tier=held.tier, kept_until=held.kept_until,
                            spend=held.spend, now=now)
    if decision.changed:
        events.append(NewEvent("loyalty.tier_changed", "customer", held.customer_id, {
            "customer_id": held.customer_id, "from": held.tier, "to": decision.tier,
            "spend_minor": held.spend}, now))
        held.tier, held.tier_since = decision.tier, now
    held.kept_until = decision.kept_until
    held.reviewed = True


def _update_accounts(session: Session, accounts: list[_Account], now: datetime) -> None:
    """One UPDATE per account: its counters moved by what was posted (as ledger.post
    moves them), its tier set to where the reviews left it."""
    account = cast(Table, LoyaltyAccount.__table__)
    posted = [{"b_id": a.id, "b_posted": a.posted, "b_now": now, "b_tier": a.tier,
               "b_since": a.tier_since, "b_kept": a.kept_until}
              for a in accounts if a.posted]
    if posted:
        session.execute(
            update(account).where(account.c.id == bindparam("b_id"))
            .values(points_pending=account.c.points_pending + bindparam("b_posted"),
                    lifetime_points=account.c.lifetime_points + bindparam("b_posted"),
                    updated_at=bindparam("b_now"), tier=bindparam("b_tier"),
                    tier_since=bindparam("b_since"), tier_kept_until=bindparam("b_kept")),
            posted)
    reviewed = [{"b_id": a.id, "b_tier": a.tier, "b_since": a.tier_since,
                 "b_kept": a.kept_until} for a in accounts if not a.posted]
    if reviewed:
        session.execute(
            update(account).where(account.c.id == bindparam("b_id"))
            .values(tier=bindparam("b_tier"), tier_since=bindparam("b_since"),
                    tier_kept_until=bindparam("b_kept")), reviewed)
