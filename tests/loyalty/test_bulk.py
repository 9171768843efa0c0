"""Bulk earning (loyalty/bulk.py) against the plain path: the same random history,
consumed one event at a time through orders.recompute and with the batch's new
orders opened together, leaves identical accounts, entries, loyalty_orders and
events."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from afterward.commerce.models import Customer, Order, OrderLine
from afterward.event_cursors import EventConsumer
from afterward.events import Event, NewEvent, record_many
from afterward.loyalty import bulk, consumer, programs
from afterward.loyalty.models import LoyaltyAccount, LoyaltyEntry, LoyaltyOrder
from afterward.loyalty.program import Program
from afterward.returns.models import Return, ReturnLine
from afterward.tracking.models import Shipment

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def program(grace_days: int) -> Program:
    return Program.model_validate({
        "points_per_currency_unit": 3, "pending_days": 30, "delivery_grace_days": 14,
        "tier_grace_days": grace_days, "bonuses": {"first_order": 25, "birthday": 0},
        "tiers": [{"key": "silver", "name": "Silver", "min_spend_minor": 6000,
                   "multiplier_percent": 125, "entry_points": 40},
                  {"key": "gold", "name": "Gold", "min_spend_minor": 20000,
                   "multiplier_percent": 150, "entry_points": 90}],
        # orders placed 2 days before NOW earn more; those a day before (its end) do not
        "campaigns": [{"key": "double", "name": "Double", "multiplier_percent": 200,
                       "starts_at": (NOW - timedelta(days=3)).isoformat(),
                       "ends_at": (NOW - timedelta(days=1)).isoformat()},
                      {"key": "more", "name": "More", "multiplier_percent": 130,
                       "starts_at": (NOW - timedelta(days=5)).isoformat(),
                       "ends_at": (NOW - timedelta(days=3)).isoformat()}]})


def build_history(db, store_id: int, seed: int, grace_days: int) -> None:
    """Customers with several orders each (ties in placed_at, old orders outside the
    12 months, refunds, returns, cancellations, delivered and not, guests), one customer
    with an earlier order, a gold tier its spend no longer reaches and a debt; then
    the program, then the events in shuffled order with other events between."""
    rng = random.Random(seed)
    with db.transaction() as session:
        customers = [Customer(store_id=store_id, email=f"c{n}@example.com")
                     for n in range(7)]
        session.add_all(customers)
        session.flush()
        days = [rng.choice([1, 2, 2, 5, 40, 200, 400]) for _ in range(40)]
        made: list[Order] = []
        for n, ago in enumerate(days):
            who = rng.choice([*customers, None])
            placed = NOW - timedelta(days=ago)
            lines = [(rng.randint(1, 3), rng.choice([450, 1200, 2999, 8000]))
                     for _ in range(rng.randint(1, 3))]
            subtotal = sum(q * p for q, p in lines)
            order = Order(store_id=store_id, number=f"H{n}", currency="EUR",
                          customer_id=who.id if who else None, placed_at=placed,
                          subtotal_minor=subtotal, discount_minor=rng.choice([0, 0, 500]),
                          total_minor=subtotal, status="open")
            if rng.random() < 0.15:
                order.status, order.cancelled_at = "cancelled", placed
            session.add(order)
            session.flush()
            added = []
            for position, (quantity, price) in enumerate(lines):
                refunded = rng.randint(0, quantity) if rng.random() < 0.2 else 0
                added.append(OrderLine(store_id=store_id, order_id=order.id,
                                       position=position, title="Tea", quantity=quantity,
                                       unit_price_minor=price, total_minor=quantity * price,
                                       refunded_quantity=refunded))
            session.add_all(added)
            if who is not None and rng.random() < 0.25:
                # A return: counted once received or resolved (accepted units; a `keep`,
                # every unit once resolved), not while requested.
                session.flush()
                rma = Return(store_id=store_id, number=f"R{n}", order_id=order.id,
                             customer_id=who.id, currency="EUR", value_minor=0,
                             status=rng.choice(["requested", "received", "resolved"]),
                             resolution=rng.choice(["refund", "refund", "keep"]),
                             window_basis="delivery", label_token=f"label-{seed}-{n}")
                session.add(rma)
                session.flush()
                for line in added[:rng.randint(1, len(added))]:
                    back = rng.randint(1, line.quantity)
                    session.add(ReturnLine(store_id=store_id, return_id=rma.id,
                                           order_line_id=line.id, sku="TEA", title="Tea",
                                           quantity=back, unit_paid_minor=line.unit_price_minor,
                                           reason="other", received_quantity=back,
                                           accepted=rng.choice([True, True, False, None])))
            if rng.random() < 0.2:
                order.refunded_minor = rng.choice([495, 1000])
            if rng.random() < 0.4:
                session.add(Shipment(store_id=store_id, order_id=order.id, token=f"t{n}",
                                     status="delivered",
                                     delivered_at=placed + timedelta(days=rng.randint(1, 4))))
            made.append(order)
        # An account from before: gold, its spend now below, owing 40 points.
        veteran = customers[0]
        earlier = Order(store_id=store_id, number="OLD", currency="EUR",
                        customer_id=veteran.id, placed_at=NOW - timedelta(days=300),
                        subtotal_minor=9000, total_minor=9000, status="open")
        session.add(earlier)
        session.flush()
        account = LoyaltyAccount(store_id=store_id, customer_id=veteran.id, points_balance=0,
                                 points_pending=0, points_debt=40, lifetime_points=500,
                                 tier="gold", tier_since=NOW - timedelta(days=200))
        session.add(account)
        session.flush()
        session.add(LoyaltyOrder(order_id=earlier.id, store_id=store_id, account_id=account.id,
                                 revision=1, earned_points=0, pending_points=0,
                                 kept_minor=9000, multiplier_percent=100, bonus_points=0,
                                 placed_at=earlier.placed_at, pending_until=NOW,
                                 released_at=NOW - timedelta(days=10)))
        programs.save(session, store_id=store_id, program=program(grace_days))
    with db.transaction() as session:
        order_events = [NewEvent("order.created", "order", o.id, {}, NOW) for o in made]
        order_events.append(NewEvent("order.created", "order", earlier.id, {}, NOW))
        rng.shuffle(order_events)
        stream: list[NewEvent] = []
        for event in order_events:
            stream.append(event)
            roll = rng.random()
            if roll < 0.1:
                stream.append(NewEvent("customer.created", "customer", 1, {}, NOW))
            elif roll < 0.2:
                stream.append(NewEvent("order.refunded", "order", event.subject_id, {}, NOW))
            elif roll < 0.25:
                stream.append(event)  # told twice
        record_many(session, store_id=store_id, events=stream)


def consumed(session, store_id: int, *, use_bulk: bool, limit: int = 7,
             slow_limit: int = consumer.BATCH, sizes: list[int] | None = None
             ) -> dict[str, Any]:
    for _ in range(1_000):  # far more batches than the history holds events
        handled, caught_up = consumer.consume(session, store_id=store_id, now=NOW,
                                              limit=limit, use_bulk=use_bulk,
                                              slow_limit=slow_limit)
        if sizes is not None:
            sizes.append(handled)
        if caught_up:
            break
    else:
        pytest.fail("the consumer never caught up")
    session.flush()
    customer_of = dict(session.execute(select(LoyaltyAccount.id, LoyaltyAccount.customer_id))
                       .tuples().all())
    accounts = sorted(
        (a.customer_id, a.points_balance, a.points_pending, a.points_debt, a.lifetime_points,
         a.tier, a.tier_since, a.tier_kept_until)
        for a in session.scalars(select(LoyaltyAccount).execution_options(
            populate_existing=True)))
    entries = [(customer_of[e.account_id], e.kind, e.points, e.balance_delta, e.pending_delta,
                e.debt_delta, e.reason, e.source, e.source_id, e.idempotency_key,
                e.pending_until, e.created_at)
               for e in session.scalars(select(LoyaltyEntry).order_by(LoyaltyEntry.id))]
    orders = [(o.order_id, customer_of[o.account_id], o.revision, o.earned_points,
               o.pending_points, o.kept_minor, o.multiplier_percent, o.bonus_points,
               o.placed_at, o.pending_until, o.released_at, o.updated_at)
              for o in session.scalars(select(LoyaltyOrder).order_by(LoyaltyOrder.order_id)
                                       .execution_options(populate_existing=True))]
    events = [(e.name, e.subject_type, e.subject_id, e.payload, e.occurred_at)
              for e in session.scalars(select(Event).where(Event.name.like("loyalty.%"))
                                       .order_by(Event.id))]
    cursor = session.scalar(select(EventConsumer).where(EventConsumer.name.like("loyalty:%")))
    return {"accounts": accounts, "entries": entries, "orders": orders, "events": events,
            "failures": cursor.failures}


@pytest.mark.parametrize("seed,grace_days", [(1, 30), (2, 0), (3, 30), (4, 0)])
def test_opening_a_batch_s_orders_at_once_leaves_what_one_at_a_time_leaves(
        db, store, monkeypatch, seed, grace_days):
    build_history(db, store.id, seed, grace_days)
    groups: list[int] = []
    real = bulk.open_orders

    def counted(session, **kwargs):
        groups.append(len(kwargs["order_ids"]))
        return real(session, **kwargs)

    monkeypatch.setattr(bulk, "open_orders", counted)
    with db.transaction() as session:
        plain_run = session.begin_nested()
        plain = consumed(session, store.id, use_bulk=False)
        plain_run.rollback()
        assert groups == []
        at_once = consumed(session, store.id, use_bulk=True)

    assert sum(groups) > len(groups) > 1  # groups of several orders, in several batches
    assert at_once == plain
    assert plain["failures"] == 0
    assert len(plain["entries"]) > 10
    kinds = {name for name, *_ in plain["events"]}
    assert kinds == {"loyalty.points_earned", "loyalty.tier_changed"}
    assert any(bonus == 25 for *_, bonus, _p, _d, _r, _u in plain["orders"])
    # each tier reached gives its entry points once: (customer, tier, points)
    rewarded = [(who, key.split(":")[1], points)
                for who, _k, points, *_, key, _due, _at in plain["entries"]
                if key.startswith("tier:")]
    reached = {(payload["customer_id"], payload["to"]) for name, _t, _s, payload, _o
               in plain["events"] if name == "loyalty.tier_changed"
               and payload["direction"] == "up"}
    assert sorted(rewarded) == sorted(
        (who, tier, {"silver": 40, "gold": 90}[tier]) for who, tier in reached)
    assert rewarded
    multipliers = {m for *_, m, _b, _p, _d, _r, _u in plain["orders"]}
    assert 100 in multipliers
    assert multipliers & {125, 150, 162, 195, 250, 300}  # a tier's (and a campaign's)
    assert multipliers & {130, 200, 162, 195, 250, 300}  # a campaign's (and a tier's)


def settled(events: list[Any]) -> list[Any]:
    """The events, without the balances in the tier entry points' `points_earned`."""
    return [(*event[:3], {k: v for k, v in event[3].items()
                          if k not in ("points_balance", "points_pending")}, event[4])
            if event[3].get("source") == "tier" else event for event in events]


def test_a_batch_ends_once_its_slow_events_reach_the_limit_and_the_next_goes_on_from_there(
        db, store):
    """Batches read many events but stop after `slow_limit` went one at a time: the
    cursor stands after the last one handled, and the result is the plain path's."""
    build_history(db, store.id, 7, 30)
    sizes: list[int] = []
    with db.transaction() as session:
        plain_run = session.begin_nested()
        plain = consumed(session, store.id, use_bulk=False)
        plain_run.rollback()
        short = consumed(session, store.id, use_bulk=True, limit=1000, slow_limit=2,
                         sizes=sizes)
        at = session.scalar(select(EventConsumer.last_event_id).where(
            EventConsumer.name == f"{consumer.PREFIX}{store.id}"))
        listened = session.scalar(select(func.count()).select_from(Event).where(
            Event.store_id == store.id, Event.id <= at, *consumer.LISTENS))

    # The same rows; only where the batches end differs, and with it where each
    # batch's releases of due points fall among the entries, and the balances the tier
    # entry points' events saw (read in a later batch than their tier change).
    assert {**short, "entries": sorted(short["entries"]), "events": settled(short["events"])} \
        == {**plain, "entries": sorted(plain["entries"]), "events": settled(plain["events"])}
    assert len(sizes) > 2 and sizes[-1] < 1000
    assert sum(sizes) == listened  # every event up to the cursor handled once


def test_a_batch_whose_opening_fails_is_opened_one_event_at_a_time(db, store, monkeypatch):
    build_history(db, store.id, 5, 30)

    def broken(session, **kwargs):
        raise ValueError("bad data")

    with db.transaction() as session:
        plain_run = session.begin_nested()
        plain = consumed(session, store.id, use_bulk=False)
        plain_run.rollback()
        monkeypatch.setattr(bulk, "open_orders", broken)
        fallen_back = consumed(session, store.id, use_bulk=True)

    assert fallen_back == plain


def test_orders_opened_at_once_beside_concurrent_adjustments_keep_every_account_exact(
        db, store):
    """Adjustments for the batch's customers (some without an account yet) while the
    consumer opens their orders: each waits for the account's lock, none is lost, and
    every account is what its entries add up to (the veteran: plus its debt from
    before)."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func

    from afterward.loyalty import ledger

    build_history(db, store.id, 6, 30)
    with db.reading() as session:
        customers = list(session.scalars(select(Customer.id).where(
            Customer.store_id == store.id).order_by(Customer.id)))

    def catch_up() -> None:
        while not db.run(lambda session: consumer.consume(
                session, store_id=store.id, now=NOW, limit=7))[1]:
            pass

    def adjust(n: int) -> None:
        db.run(lambda session: ledger.adjust(
            session, store_id=store.id, customer_id=customers[n % len(customers)],
            points=5, reason="goodwill", key=f"goodwill-{n}", now=NOW))

    with ThreadPoolExecutor(max_workers=4) as pool:
        consuming = pool.submit(catch_up)
        adjusted = list(pool.map(adjust, range(24)))
        consuming.result()

    assert len(adjusted) == 24
    with db.reading() as session:
        sums = {row.account_id: row for row in session.execute(
            select(LoyaltyEntry.account_id, func.sum(LoyaltyEntry.balance_delta).label("b"),
                   func.sum(LoyaltyEntry.pending_delta).label("p"),
                   func.sum(LoyaltyEntry.debt_delta).label("d"),
                   func.count().filter(LoyaltyEntry.kind == "adjust").label("adjusted"))
            .group_by(LoyaltyEntry.account_id))}
        accounts = list(session.scalars(select(LoyaltyAccount)))
    assert sum(row.adjusted for row in sums.values()) == 24
    assert len(accounts) == len(customers)
    for account in accounts:
        moved = sums[account.id]
        debt_before = 40 if account.customer_id == customers[0] else 0
        assert (account.points_balance, account.points_pending, account.points_debt) == (
            moved.b, moved.p, debt_before + moved.d)


def test_an_order_whose_entry_key_is_taken_earns_no_entry_either_way(db, store, caplog):
    """The key `order:<id>:1` already in the ledger (here an adjustment by hand that
    used it): neither path writes the order's entry again; both record the order, and
    the batch is opened at once (not one event at a time after a failure)."""
    from afterward.loyalty import ledger

    build_history(db, store.id, 7, 30)
    with db.reading() as session:
        order = session.scalars(select(Order).where(
            Order.store_id == store.id, Order.customer_id.is_not(None),
            Order.status == "open").order_by(Order.id)).first()
        assert order is not None
        order_id, customer_id = order.id, order.customer_id
    with db.transaction() as session:
        ledger.adjust(session, store_id=store.id, customer_id=customer_id, points=7,
                      reason="by hand", key=f"order:{order_id}:1", now=NOW)

    with db.transaction() as session:
        plain_run = session.begin_nested()
        plain = consumed(session, store.id, use_bulk=False)
        plain_run.rollback()
        at_once = consumed(session, store.id, use_bulk=True)

    assert at_once == plain
    assert "one at a time" not in caplog.text
    keyed = [e for e in plain["entries"] if e[9] == f"order:{order_id}:1"]
    assert [(kind, points) for _, kind, points, *_ in keyed] == [("adjust", 7)]
    assert any(o[0] == order_id for o in plain["orders"])
