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
from afterward.loyalty import earning, ledger, orders, tiers
from afterward.loyalty.models import LoyaltyAccount, LoyaltyEntry, LoyaltyOrder
from afterward.loyalty.program import Program
from afterward.loyalty.returned import returned_units_of
from afterward.storage import bulk, locks
from afterward.storage.types import utcnow
from afterward.tracking.models import Shipment


@dataclass
class _Account:
    """An account followed in memory through the group."""

    id: int  # 0 until a new account is written, after the group is computed
    customer_id: int
    balance: int
    pending: int
    tier: str | None
    tier_since: datetime | None
    kept_until: datetime | None
    spend: int  # the 12-month spend (tiers.spend_minor)
    lifetime: int = 0  # lifetime_points before this group
    posted: int = 0  # points posted pending in this group (and to lifetime)
    reviewed: bool = False  # its tier fields may have moved
    opened_at: datetime | None = None  # new: opened by this group


_SEEN = select(LoyaltyOrder.order_id).where(LoyaltyOrder.order_id.in_(
    bindparam("ids", expanding=True)))


def seen(session: Session, order_ids: Sequence[int]) -> set[int]:
    """The orders among these that loyalty has opened already."""
    if not order_ids:
        return set()
    return set(session.scalars(_SEEN, {"ids": list(set(order_ids))}))


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
    ids = [f.id for f in facts]
    first = _first_orders(session, store_id, customers)
    taken = set(session.scalars(_TAKEN, {"store_id": store_id,
                                         "keys": [f"order:{i}:1" for i in ids]}))
    returned = returned_units_of(session, store_id=store_id, order_ids=ids)
    delivered = dict(session.execute(_DELIVERED, {"store_id": store_id, "ids": ids})
                     .tuples().all())
    lines: dict[int, list[earning.Line]] = {}
    for order_id, line_id, total, quantity, refunded in session.execute(_LINES, {"ids": ids}):
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
        bonus = program.bonuses.first_order if order_id in first else 0
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
            entries.append((store_id, held, "earn", target, 0, target, 0, "order", "order",
                            order_id, key, due, now))
            events.append(_earned(held, order_id, target, due, now))
        rows.append((order_id, store_id, held, revision, target, target, kept, multiplier,
                     bonus, fact.placed_at, due, now))
        if fact.placed_at > window:
            held.spend += kept
        if tiered or held.tier is not None:
            _review(held, program, now, events)

    _open_accounts(session, store_id, [a for a in accounts.values() if a.opened_at], now)
    _update_accounts(session, [a for a in accounts.values()
                               if not a.opened_at and (a.posted or a.reviewed)], now)
    # the rows name their account (an _Account) third: its id, now that all have one
    bulk.insert_values(session, LoyaltyOrder, _ORDER_COLUMNS,
                       [(o, s, a.id, *rest) for o, s, a, *rest in rows])
    bulk.insert_values(session, LoyaltyEntry, _ENTRY_COLUMNS,
                       [(s, a.id, *rest) for s, a, *rest in entries])
    if events:
        record_many(session, store_id=store_id, events=events, recorded_at=utcnow())
    return len(entries)


_ORDER_COLUMNS = ("order_id", "store_id", "account_id", "revision", "earned_points",
                  "pending_points", "kept_minor", "multiplier_percent", "bonus_points",
                  "placed_at", "pending_until", "updated_at")
_ENTRY_COLUMNS = ("store_id", "account_id", "kind", "points", "balance_delta",
                  "pending_delta", "debt_delta", "reason", "source", "source_id",
                  "idempotency_key", "pending_until", "created_at")


def _ids(name: str = "ids") -> Any:
    return bindparam(name, expanding=True)


# The reads, built once (their IN lists are expanding parameters: a batch's 500 ids
# are bound, not compiled into each statement).
_ORDERS = select(Order.id, Order.customer_id, Order.placed_at, Order.currency,
                 Order.subtotal_minor, Order.discount_minor, Order.refunded_minor,
                 Order.status, Order.cancelled_at) \
    .where(Order.store_id == bindparam("store_id"), Order.id.in_(_ids()))
_CUSTOMER_ORDERS = select(Order.customer_id, Order.id, Order.placed_at).where(
    Order.store_id == bindparam("store_id"), Order.customer_id.in_(_ids()))
_LINES = select(OrderLine.order_id, OrderLine.id, OrderLine.total_minor, OrderLine.quantity,
                OrderLine.refunded_quantity).where(OrderLine.order_id.in_(_ids()))
_DELIVERED = select(Shipment.order_id, func.max(Shipment.delivered_at)) \
    .where(Shipment.store_id == bindparam("store_id"), Shipment.order_id.in_(_ids()),
           Shipment.direction == "outbound").group_by(Shipment.order_id)
_TAKEN = select(LoyaltyEntry.idempotency_key).where(
    LoyaltyEntry.store_id == bindparam("store_id"),
    LoyaltyEntry.idempotency_key.in_(_ids("keys")))
_ACCOUNTS = select(LoyaltyAccount.id, LoyaltyAccount.customer_id,
                   LoyaltyAccount.points_balance, LoyaltyAccount.points_pending,
                   LoyaltyAccount.lifetime_points, LoyaltyAccount.tier, LoyaltyAccount.tier_since,
                   LoyaltyAccount.tier_kept_until) \
    .where(LoyaltyAccount.store_id == bindparam("store_id"),
           LoyaltyAccount.customer_id.in_(_ids())).with_for_update()
_SPEND = select(LoyaltyOrder.account_id, func.sum(LoyaltyOrder.kept_minor)) \
    .where(LoyaltyOrder.account_id.in_(_ids()), LoyaltyOrder.placed_at > bindparam("since")) \
    .group_by(LoyaltyOrder.account_id)


def _orders(session: Session, store_id: int, order_ids: Sequence[int]) -> list[Any]:
    """The orders' facts (rows) in the given order (each once; without a customer:
    left out, as `recompute` leaves them)."""
    found = {row.id: row for row in session.execute(
        _ORDERS, {"store_id": store_id, "ids": list(set(order_ids))})}
    return [found[i] for i in dict.fromkeys(order_ids)
            if i in found and found[i].customer_id is not None]


def _first_orders(session: Session, store_id: int, customers: list[int]) -> set[int]:
    """The customers' first orders in the store: each alone at its customer's earliest
    placed_at (orders._first_order: no other order placed before it or at the same
    moment; a tie, no first order)."""
    earliest: dict[int | None, tuple[datetime, list[int]]] = {}
    for customer_id, order_id, placed_at in session.execute(
            _CUSTOMER_ORDERS, {"store_id": store_id, "ids": customers}):
        known = earliest.get(customer_id)
        if known is None or placed_at < known[0]:
            earliest[customer_id] = (placed_at, [order_id])
        elif placed_at == known[0]:
            known[1].append(order_id)
    return {ids[0] for _, ids in earliest.values() if len(ids) == 1}


def _accounts(session: Session, store_id: int, customers: list[int],
              now: datetime) -> dict[int, _Account]:
    """The customers' accounts, held as ledger.account holds one, with their 12-month
    spend; a customer without one gets a new one, at zero (written at the end)."""
    locks.hold_all(session, [("loyalty", store_id, customer) for customer in customers])
    found = {row.customer_id: row for row in session.execute(
        _ACCOUNTS, {"store_id": store_id, "ids": customers})}
    opened_at = utcnow()
    spend = dict(session.execute(_SPEND, {
        "ids": [row.id for row in found.values()], "since": now - tiers.WINDOW}
    ).tuples().all()) if found else {}
    held = {}
    for customer in customers:
        row = found.get(customer)
        if row is None:
            held[customer] = _Account(0, customer, 0, 0, None, None, None, 0,
                                      opened_at=opened_at)
        else:
            held[customer] = _Account(row.id, customer, row.points_balance, row.points_pending,
                                      row.tier, row.tier_since, row.tier_kept_until,
                                      int(spend.get(row.id) or 0), row.lifetime_points)
    return held


def _earned(held: _Account, order_id: int, points: int, due: datetime,
            now: datetime) -> NewEvent:
    """What ledger.earned records for an order's points."""
    return NewEvent("loyalty.points_earned", "customer", held.customer_id, {
        "customer_id": held.customer_id, "points": points, "source": "order",
        "source_id": order_id, "order_id": order_id, "pending_until": due.isoformat(),
        "points_balance": held.balance, "points_pending": held.pending,
        "lifetime_points": held.lifetime + held.posted}, now)


def _review(held: _Account, program: Program, now: datetime, events: list[NewEvent]) -> None:
    """tiers.review on the account in memory."""
    decision = tiers.decide(program, tier=held.tier, kept_until=held.kept_until,
                            spend=held.spend, now=now)
    if decision.changed:
        events.append(NewEvent("loyalty.tier_changed", "customer", held.customer_id, {
            "customer_id": held.customer_id, "from": held.tier, "to": decision.tier,
            "spend_minor": held.spend,
            "direction": tiers.direction(program, held.tier, decision.tier)}, now))
        held.tier, held.tier_since = decision.tier, now
    held.kept_until = decision.kept_until
    held.reviewed = True


def _open_accounts(session: Session, store_id: int, accounts: list[_Account],
                   now: datetime) -> None:
    """The group's new accounts, written once as they end (ledger.account opens one at
    zero, then each post moves it: the same row), in the order their customers came."""
    ids = bulk.insert_values(
        session, LoyaltyAccount,
        ("store_id", "customer_id", "points_balance", "points_pending", "points_debt",
         "lifetime_points", "tier", "tier_since", "tier_kept_until", "referral_code",
         "created_at", "updated_at"),
        [(store_id, a.customer_id, a.balance, a.pending, 0, a.posted, a.tier, a.tier_since,
          a.kept_until, ledger.new_referral_code(), a.opened_at,
          now if a.posted else a.opened_at) for a in accounts],
        returning_ids=True)
    for held, new_id in zip(accounts, ids, strict=True):
        held.id = new_id


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
