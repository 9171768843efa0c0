"""Bulk earning: the `order.created` events of a consumer batch whose orders loyalty
has not seen yet (an import of history, a busy hour), opened together.

The facts of the whole group are read in two queries, as rows of plain values: the
orders (each with its last delivery, whether it is its customer's first, whether a
line has units refunded, whether it has returns, whether its entry's key is taken)
and the accounts with their 12-month spend; lines and returned units only for the
few orders with units gone. Each order's points are computed in memory with the
same arithmetic as `orders.recompute` (earning.py, tiers.decide), one order after
another in the batch's order, and the result is written with multi-row inserts and
one UPDATE per existing account (the driver's executemany): the same
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
from typing import Any, NamedTuple, cast

from sqlalchemy import String, Table, bindparam, func, literal, not_, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from afterward.commerce.models import Order, OrderLine
from afterward.commerce.validation import minor_units_exponent
from afterward.events import NewEvent, record_many
from afterward.loyalty import earning, ledger, orders, tiers
from afterward.loyalty.models import LoyaltyAccount, LoyaltyEntry, LoyaltyOrder
from afterward.loyalty.program import Program, boosted
from afterward.loyalty.returned import HAS_RETURNS, returned_units_of
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


def open_orders(session: Session, *, store_id: int, order_ids: Sequence[int],
                program: Program, now: datetime | None = None) -> int:
    """Open these orders (not seen by loyalty, each once, in event order) as
    `orders.recompute(open_new=True)` would one after the other; the entries posted."""
    now = now or utcnow()
    session.flush()  # what the plain path changed through the ORM, before reading
    # Core statements on the session's connection: rows, not ORM objects.
    conn = bulk.connection_of(session)
    facts = _orders(conn, store_id, order_ids)
    if not facts:
        return 0
    customers = list(dict.fromkeys(f.customer_id for f in facts))
    accounts = _accounts(session, conn, store_id, customers, now)
    returned = returned_units_of(
        session, store_id=store_id, order_ids=[f.id for f in facts if f.has_returns])
    # Only orders with a unit gone (or a line without units) need their lines: the
    # others keep their whole goods, whatever the lines (earning.kept_minor).
    detailed = [f.id for f in facts if f.lines_gone or f.id in returned]
    lines: dict[int, list[earning.Line]] = {}
    for order_id, line_id, total, quantity, refunded in conn.execute(
            _LINES, {"ids": detailed}).all() if detailed else ():
        gone = max(refunded, returned.get(order_id, {}).get(line_id, 0))
        lines.setdefault(order_id, []).append(earning.Line(total, quantity, gone))

    rows: list[tuple[Any, ...]] = []
    entries: list[tuple[Any, ...]] = []
    events: list[NewEvent] = []
    window = now - tiers.WINDOW
    multipliers: dict[str | None, int] = {t.key: t.multiplier_percent for t in program.tiers}
    thresholds = [(t.key, t.min_spend_minor) for t in program.ranked_tiers()]
    exponents: dict[str, int] = {}
    decisions: dict[tuple[Any, ...], tuple[tiers.Decision, str]] = {}
    for fact in facts:
        order_id, held = fact.id, accounts[fact.customer_id]
        multiplier = multipliers.get(held.tier, 100)  # the tier's, as program.tier gives
        if program.campaigns:
            multiplier = boosted(multiplier, program.campaign_at(fact.placed_at))
        bonus = program.bonuses.first_order if fact.first else 0
        due = orders.pending_until(program, placed_at=fact.placed_at,
                                   delivered_at=fact.delivered_at)
        kept_lines = lines.get(order_id)
        kept = earning.kept_minor(earning.OrderValue(
            subtotal_minor=fact.subtotal_minor, discount_minor=fact.discount_minor,
            refunded_minor=fact.refunded_minor, cancelled=bool(fact.cancelled),
            lines=kept_lines)) if kept_lines else earning.kept_whole_minor(
            fact.subtotal_minor, fact.discount_minor, fact.refunded_minor, bool(fact.cancelled))
        exponent = exponents.get(fact.currency)
        if exponent is None:
            exponent = exponents[fact.currency] = minor_units_exponent(fact.currency)
        target = earning.points_for(kept, exponent=exponent,
                                    per_unit=program.points_per_currency_unit,
                                    multiplier_percent=multiplier)
        target += bonus if kept > 0 else 0
        revision = 1 if target else 0
        key = f"order:{order_id}:1"
        if target and not fact.key_taken:
            held.pending += target
            held.posted += target
            entries.append((store_id, held, "earn", target, 0, target, 0, "order", "order",
                            order_id, key, due, now))
            events.append(_earned(held, order_id, target, due, now))
        rows.append((order_id, store_id, held, revision, target, target, kept, multiplier,
                     bonus, fact.placed_at, due, now))
        if fact.placed_at > window:
            held.spend += kept
        if thresholds or held.tier is not None:
            _review(held, program, thresholds, decisions, now, events)

    _open_accounts(session, store_id, [a for a in accounts.values() if a.opened_at], now)
    _update_accounts(conn, [a for a in accounts.values()
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
# are bound, not compiled into each statement), as few as can be: each IN list costs
# SQLAlchemy a name per id every time. Read with fetchall (`.all()`): iterating a
# Core result fetches a row at a time.
# The orders by id alone, the store checked in Python: with `store_id = ?` beside the
# IN list, SQLite walks the store's orders by (store_id, placed_at) instead. With each
# its last outbound delivery (tracking.delivery_dates), whether a line has units
# refunded (or none at all), whether it has returns, and whether its first entry's
# key (`order:<id>:1`) was taken already.
_DELIVERED = select(func.max(Shipment.delivered_at)).where(
    Shipment.store_id == Order.store_id, Shipment.order_id == Order.id,
    Shipment.direction == "outbound").scalar_subquery()
# Whether the order is its customer's first in the store: no other order of theirs
# placed before it or at the same moment (orders._first_order). Written `NOT (a > b)`
# rather than `a <= b`: with a range on placed_at, SQLite walks the store's orders by
# (store_id, placed_at); so it looks up the customer's by (store_id, customer_id).
_EARLIER = aliased(Order)
_FIRST = ~select(_EARLIER.id).where(
    _EARLIER.store_id == Order.store_id, _EARLIER.customer_id == Order.customer_id,
    _EARLIER.id != Order.id, not_((_EARLIER.placed_at > Order.placed_at).self_group())
).exists()
_ORDERS = select(Order.id, Order.store_id, Order.customer_id, Order.placed_at,
                 Order.currency, Order.subtotal_minor, Order.discount_minor,
                 Order.refunded_minor,
                 or_(Order.status == "cancelled", Order.cancelled_at.is_not(None))
                 .label("cancelled"),
                 _DELIVERED.label("delivered_at"),
                 select(OrderLine.id).where(
                     OrderLine.order_id == Order.id,
                     or_(OrderLine.refunded_quantity > 0, OrderLine.quantity == 0))
                 .exists().label("lines_gone"),
                 HAS_RETURNS.label("has_returns"),
                 select(LoyaltyEntry.id).where(
                     LoyaltyEntry.store_id == Order.store_id,
                     LoyaltyEntry.idempotency_key
                     == literal("order:") + sql_cast(Order.id, String) + literal(":1"))
                 .exists().label("key_taken"),
                 _FIRST.label("first")) \
    .where(Order.id.in_(_ids()))
_LINES = select(OrderLine.order_id, OrderLine.id, OrderLine.total_minor, OrderLine.quantity,
                OrderLine.refunded_quantity).where(OrderLine.order_id.in_(_ids()))
# The accounts with their 12-month spend (tiers.spend_minor).
_SPEND = select(func.coalesce(func.sum(LoyaltyOrder.kept_minor), 0)).where(
    LoyaltyOrder.account_id == LoyaltyAccount.id,
    LoyaltyOrder.placed_at > bindparam("since")).scalar_subquery()
_ACCOUNTS = select(LoyaltyAccount.id, LoyaltyAccount.customer_id,
                   LoyaltyAccount.points_balance, LoyaltyAccount.points_pending,
                   LoyaltyAccount.lifetime_points, LoyaltyAccount.tier, LoyaltyAccount.tier_since,
                   LoyaltyAccount.tier_kept_until, _SPEND.label("spend")) \
    .where(LoyaltyAccount.store_id == bindparam("store_id"),
           LoyaltyAccount.customer_id.in_(_ids())).with_for_update()


class _Fact(NamedTuple):
    """An order as _ORDERS reads it (a tuple: a Row's attributes cost ~0.8 µs each)."""

    id: int
    store_id: int
    customer_id: int  # orders without a customer are left out (_orders)
    placed_at: datetime
    currency: str
    subtotal_minor: int
    discount_minor: int
    refunded_minor: int
    cancelled: bool
    delivered_at: datetime | None
    lines_gone: bool
    has_returns: bool
    key_taken: bool
    first: bool


def _orders(conn: Connection, store_id: int, order_ids: Sequence[int]) -> list[_Fact]:
    """The orders' facts in the given order (each once; without a customer: left out,
    as `recompute` leaves them)."""
    facts = map(_Fact._make, conn.execute(_ORDERS, {"ids": list(set(order_ids))}).all())
    found = {fact.id: fact for fact in facts
             if fact.store_id == store_id and fact.customer_id is not None}
    return [found[i] for i in dict.fromkeys(order_ids) if i in found]


def _accounts(session: Session, conn: Connection, store_id: int, customers: list[int],
              now: datetime) -> dict[int, _Account]:
    """The customers' accounts, held as ledger.account holds one, with their 12-month
    spend; a customer without one gets a new one, at zero (written at the end)."""
    locks.hold_all(session, [("loyalty", store_id, customer) for customer in customers])
    found = {row[1]: tuple(row) for row in conn.execute(_ACCOUNTS, {
        "store_id": store_id, "ids": customers, "since": now - tiers.WINDOW}).all()}
    opened_at = utcnow()
    held = {}
    for customer in customers:
        row = found.get(customer)
        if row is None:
            held[customer] = _Account(0, customer, 0, 0, None, None, None, 0,
                                      opened_at=opened_at)
        else:
            (account_id, _, balance, pending, lifetime, tier, tier_since, kept_until,
             spend) = row
            held[customer] = _Account(account_id, customer, balance, pending, tier,
                                      tier_since, kept_until, int(spend), lifetime)
    return held


def _earned(held: _Account, order_id: int, points: int, due: datetime,
            now: datetime) -> NewEvent:
    """What ledger.earned records for an order's points."""
    return NewEvent("loyalty.points_earned", "customer", held.customer_id, {
        "customer_id": held.customer_id, "points": points, "source": "order",
        "source_id": order_id, "order_id": order_id, "pending_until": due.isoformat(),
        "points_balance": held.balance, "points_pending": held.pending,
        "lifetime_points": held.lifetime + held.posted}, now)


def _review(held: _Account, program: Program, thresholds: list[tuple[str, int]],
            decisions: dict[tuple[Any, ...], tuple[tiers.Decision, str]], now: datetime,
            events: list[NewEvent]) -> None:
    """tiers.review on the account in memory. `tiers.decide` is pure and sees the spend
    only through the tier it reaches: decided (with the change's direction) once per
    (tier, grace, tier reached)."""
    reached = earning.tier_for(held.spend, thresholds)
    known = (held.tier, held.kept_until, reached)
    found = decisions.get(known)
    if found is None:
        decision = tiers.decide(program, tier=held.tier, kept_until=held.kept_until,
                                spend=held.spend, now=now)
        found = decisions[known] = (
            decision, tiers.direction(program, held.tier, decision.tier))
    decision, direction = found
    if decision.changed:
        events.append(NewEvent("loyalty.tier_changed", "customer", held.customer_id, {
            "customer_id": held.customer_id, "from": held.tier, "to": decision.tier,
            "spend_minor": held.spend, "direction": direction}, now))
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
          a.kept_until, code, a.opened_at, now if a.posted else a.opened_at)
         for a, code in zip(accounts, ledger.new_referral_codes(len(accounts)), strict=True)],
        returning_ids=True)
    for held, new_id in zip(accounts, ids, strict=True):
        held.id = new_id


def _update_accounts(conn: Connection, accounts: list[_Account], now: datetime) -> None:
    """One UPDATE per account: its counters moved by what was posted (as ledger.post
    moves them), its tier set to where the reviews left it."""
    _executemany(conn, _POSTED, [
        {"b_id": a.id, "b_posted": a.posted, "b_now": now, "b_tier": a.tier,
         "b_since": a.tier_since, "b_kept": a.kept_until} for a in accounts if a.posted])
    _executemany(conn, _REVIEWED, [
        {"b_id": a.id, "b_tier": a.tier, "b_since": a.tier_since, "b_kept": a.kept_until}
        for a in accounts if not a.posted])


_ACCOUNT = cast(Table, LoyaltyAccount.__table__)


def _typed(name: str, column: str) -> Any:
    return bindparam(name, type_=_ACCOUNT.c[column].type)


_TIER = {"tier": _typed("b_tier", "tier"), "tier_since": _typed("b_since", "tier_since"),
         "tier_kept_until": _typed("b_kept", "tier_kept_until")}
_POSTED = update(_ACCOUNT).where(_ACCOUNT.c.id == _typed("b_id", "id")).values(
    points_pending=_ACCOUNT.c.points_pending + _typed("b_posted", "points_pending"),
    lifetime_points=_ACCOUNT.c.lifetime_points + _typed("b_posted", "lifetime_points"),
    updated_at=_typed("b_now", "updated_at"), **_TIER)
_REVIEWED = update(_ACCOUNT).where(_ACCOUNT.c.id == _typed("b_id", "id")).values(**_TIER)
_COMPILED: dict[tuple[Any, str], tuple[str, list[str], list[Any], bool]] = {}


def _executemany(conn: Connection, stmt: Any, rows: list[dict[str, Any]]) -> None:
    """Core's executemany of `stmt` through the driver's own: the statement compiled
    once per dialect, each value through its bind processor (as Core would pass it),
    without Core's ~20 µs of parameter handling a row."""
    if not rows:
        return
    dialect = conn.dialect
    known = _COMPILED.get((stmt, dialect.name))
    if known is None:
        compiled = stmt.compile(dialect=dialect)
        names = list(compiled.positiontup or []) if compiled.positional \
            else list(compiled.binds)
        known = _COMPILED[(stmt, dialect.name)] = (
            compiled.string, names,
            [compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect)
             for n in names], compiled.positional)
    sql, names, processors, positional = known
    columns = [[row[name] for row in rows] for name in names]
    for i, process in enumerate(processors):
        if process is not None:  # a batch's `now` in every row: processed once
            columns[i] = bulk.processed(process, columns[i])
    processed = list(zip(*columns, strict=True))
    conn.exec_driver_sql(sql, processed if positional
                         else [dict(zip(names, values, strict=True)) for values in processed])
