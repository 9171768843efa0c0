"""The demo store's loyalty program: every order of the history earned through the
loyalty consumer, points became spendable when the orders could no longer be
returned, some members reached a tier and some redeemed a reward."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from afterward.commerce.code_models import DiscountCode
from afterward.commerce.models import Order
from afterward.demo.loyalty import DEMO_PROGRAM
from afterward.loyalty import programs, tiers
from afterward.loyalty.models import LoyaltyAccount, LoyaltyEntry, LoyaltyOrder
from tests.demo.conftest import BIG_BUILD, NOW, SWITCHED_ON

# The tests reading the one demo build run in one test process, which builds it once.
pytestmark = BIG_BUILD


def test_the_store_runs_the_demo_program_with_a_double_points_weekend_coming(built):
    db, summary = built
    with db.reading() as session:
        active = programs.active(session, store_id=summary.store_id)

    assert active is not None
    assert active.model_copy(update={"campaigns": []}) == DEMO_PROGRAM
    [weekend] = active.campaigns
    # NOW is Thursday 15 January 2026: from Friday 00:00 UTC to Monday
    assert (weekend.starts_at, weekend.ends_at, weekend.multiplier_percent) == (
        datetime(2026, 1, 16, tzinfo=UTC), datetime(2026, 1, 19, tzinfo=UTC), 200)
    assert active.campaign_shown(NOW) == weekend


def test_members_got_each_tier_s_entry_points_once(built):
    db, summary = built
    with db.reading() as session:
        rewarded = session.execute(
            select(LoyaltyEntry.idempotency_key, LoyaltyEntry.points)
            .where(LoyaltyEntry.store_id == summary.store_id,
                   LoyaltyEntry.source == "tier")).all()
    assert rewarded
    assert len({key for key, _ in rewarded}) == len(rewarded)
    assert {(key.split(":")[1], points) for key, points in rewarded} <= {
        ("silver", 150), ("gold", 500)}


def test_every_order_with_a_customer_earned_through_the_consumer(built):
    db, summary = built
    with db.reading() as session:
        orders = set(session.scalars(select(Order.id).where(
            Order.store_id == summary.store_id, Order.customer_id.is_not(None))))
        earning = set(session.scalars(select(LoyaltyOrder.order_id).where(
            LoyaltyOrder.store_id == summary.store_id)))
    assert earning == orders


def test_the_ledger_replays_exactly_to_every_account(built):
    db, summary = built
    with db.reading() as session:
        sums = {row.account_id: row for row in session.execute(
            select(LoyaltyEntry.account_id, func.sum(LoyaltyEntry.balance_delta).label("b"),
                   func.sum(LoyaltyEntry.pending_delta).label("p"),
                   func.sum(LoyaltyEntry.debt_delta).label("d"))
            .where(LoyaltyEntry.store_id == summary.store_id)
            .group_by(LoyaltyEntry.account_id))}
        accounts = session.scalars(select(LoyaltyAccount).where(
            LoyaltyAccount.store_id == summary.store_id)).all()
    assert len(sums) > 0
    for account in accounts:  # an account whose orders earned nothing has no entries
        row = sums.get(account.id)
        assert (account.points_balance, account.points_pending, account.points_debt) == (
            (row.b, row.p, row.d) if row else (0, 0, 0))


def test_history_before_the_switch_is_spendable_and_the_replayed_months_earn_as_they_go(
        built):
    db, summary = built
    with db.reading() as session:
        released = session.execute(select(LoyaltyOrder.placed_at, LoyaltyOrder.released_at)
                                   .where(LoyaltyOrder.store_id == summary.store_id)).all()
        kinds = Counter(session.scalars(select(LoyaltyEntry.kind).where(
            LoyaltyEntry.store_id == summary.store_id)))
    old = [done for placed, done in released if placed < SWITCHED_ON - timedelta(days=90)]
    assert old and all(done == SWITCHED_ON for done in old)
    recent = [done for placed, done in released if placed >= SWITCHED_ON]
    assert recent and all(done is None or SWITCHED_ON < done <= NOW for done in recent)
    assert kinds["earn"] > 0 and kinds["release"] > 0 and kinds["redeem"] > 0


def test_members_in_a_tier_spent_what_it_asks_over_the_last_year(built):
    db, summary = built
    ranked = {tier.key: tier.min_spend_minor for tier in DEMO_PROGRAM.tiers}
    with db.reading() as session:
        members = session.scalars(select(LoyaltyAccount).where(
            LoyaltyAccount.store_id == summary.store_id,
            LoyaltyAccount.tier.is_not(None))).all()
        assert members
        for member in members:
            assert member.tier_kept_until is not None or \
                tiers.spend_minor(session, member, NOW) >= ranked[member.tier]


def test_each_redemption_took_its_rewards_points_for_a_code_of_the_member(built):
    db, summary = built
    cost = {reward.key: reward.points for reward in DEMO_PROGRAM.rewards}
    with db.reading() as session:
        redeemed = session.execute(
            select(LoyaltyEntry.points, LoyaltyEntry.source_id, LoyaltyAccount.customer_id)
            .join(LoyaltyAccount, LoyaltyAccount.id == LoyaltyEntry.account_id)
            .where(LoyaltyEntry.store_id == summary.store_id,
                   LoyaltyEntry.kind == "redeem")).all()
        codes = {code.id: code for code in session.scalars(select(DiscountCode).where(
            DiscountCode.store_id == summary.store_id, DiscountCode.source == "loyalty"))}
    assert len(redeemed) == len(codes) > 0
    per_customer: dict[int, int] = defaultdict(int)
    for points, code_id, customer_id in redeemed:
        code = codes[code_id]
        assert (code.customer_id, points) == (customer_id, -cost[code.source_id])
        per_customer[customer_id] += 1
    assert sum(per_customer.values()) == len(codes)
