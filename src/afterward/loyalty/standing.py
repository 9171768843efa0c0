"""Where a customer stands, as the shopper's page, the tracking page and messages
show it: the tier reached and how far the next one is, the points still pending and
the day each becomes spendable, the rewards that fit this customer first, their codes.
Read only; `fitting` and `next_tier` are pure."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.commerce.code_models import DiscountCode
from afterward.commerce.models import Order, OrderLine, Product, Variant
from afterward.loyalty import ledger, programs, redemptions, tiers
from afterward.loyalty.models import LoyaltyAccount, LoyaltyOrder
from afterward.loyalty.program import Program, Reward, Tier
from afterward.storage.types import utcnow

MAX_PENDING = 50
MAX_CODES = 20


@dataclass(frozen=True)
class NextTier:
    tier: Tier
    needed_minor: int  # spend still needed over the rolling 12 months
    progress: float  # 0..1 of the way from the current tier's spend to this one's


def next_tier(program: Program, spend_minor: int) -> NextTier | None:
    """The lowest tier the spend does not reach yet, or None (the highest reached,
    or no tiers)."""
    ranked = program.ranked_tiers()
    below = [t.min_spend_minor for t in ranked if t.min_spend_minor <= spend_minor]
    floor = max(below, default=0)
    for tier in ranked:
        if tier.min_spend_minor > spend_minor:
            span = tier.min_spend_minor - floor
            return NextTier(tier, tier.min_spend_minor - spend_minor,
                            (spend_minor - floor) / span if span else 0.0)
    return None


def redeemable(reward: Reward) -> bool:
    """Whether the reward can be redeemed into a code: every kind can (an amount, a
    percentage, free shipping, a free product: commerce/codes.py)."""
    return True


@dataclass(frozen=True)
class Fit:
    reward: Reward
    affordable: bool
    short_by: int  # points still missing (0 when affordable)
    fits_purchases: bool  # for a product, or a product's category, the customer buys
    redeemable: bool


def fitting(program: Program, balance: int, *, skus: Collection[str] = (),
            categories: Collection[str] = (),
            sku_categories: dict[str, str | None] | None = None) -> list[Fit]:
    """The program's rewards, those that fit this customer first: redeemable and
    affordable now (for what they buy first, then the most valuable: the most points),
    then the closest to affordable (for what they buy first), then the rest (those not
    redeemable online)."""
    kinds = sku_categories or {}
    fits = []
    for reward in program.rewards:
        sku = reward.product_sku
        category = kinds.get(sku) if sku else None
        bought = sku is not None and (sku in skus or (category is not None
                                                      and category in categories))
        fits.append(Fit(reward, balance >= reward.points, max(0, reward.points - balance),
                        bought, redeemable(reward)))

    def rank(fit: Fit) -> tuple[int, int, int, int]:
        group = 0 if fit.redeemable and fit.affordable else 1 if fit.redeemable else 2
        near = -fit.reward.points if fit.affordable else fit.short_by
        return group, 0 if fit.fits_purchases else 1, near, program.rewards.index(fit.reward)

    return sorted(fits, key=rank)


@dataclass(frozen=True)
class Pending:
    order_id: int
    order_number: str
    points: int
    spendable_on: datetime


def pending(session: Session, held: LoyaltyAccount) -> list[Pending]:
    """The orders whose points are still pending, the soonest spendable first."""
    rows = session.execute(
        select(LoyaltyOrder.order_id, Order.number, LoyaltyOrder.pending_points,
               LoyaltyOrder.pending_until)
        .join(Order, Order.id == LoyaltyOrder.order_id)
        .where(LoyaltyOrder.account_id == held.id, LoyaltyOrder.released_at.is_(None),
               LoyaltyOrder.pending_points > 0)
        .order_by(LoyaltyOrder.pending_until, LoyaltyOrder.order_id).limit(MAX_PENDING))
    return [Pending(order_id, number, points, until) for order_id, number, points, until in rows]


@dataclass(frozen=True)
class Purchases:
    skus: frozenset[str]
    categories: frozenset[str]
    sku_categories: dict[str, str | None]  # the category of each reward's product


def purchases(session: Session, *, store_id: int, customer_id: int,
              program: Program) -> Purchases:
    """What the customer has bought (SKUs, categories), read only when a reward is
    for a product."""
    wanted = {r.product_sku for r in program.rewards if r.product_sku}
    if not wanted:
        return Purchases(frozenset(), frozenset(), {})
    bought = session.execute(
        select(OrderLine.sku, Product.category)
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(Product, Product.id == OrderLine.product_id)
        .where(Order.store_id == store_id, Order.customer_id == customer_id).distinct()
        .limit(5000)).all()
    kinds = dict(session.execute(
        select(Variant.sku, Product.category).join(Product, Product.id == Variant.product_id)
        .where(Variant.store_id == store_id, Variant.sku.in_(wanted))).all())
    return Purchases(frozenset(sku for sku, _ in bought if sku),
                     frozenset(category for _, category in bought if category),
                     {sku: kinds.get(sku) for sku in wanted})


def codes(session: Session, *, store_id: int, customer_id: int) -> list[DiscountCode]:
    """The customer's reward codes, newest first."""
    return list(session.scalars(
        select(DiscountCode).where(DiscountCode.store_id == store_id,
                                   DiscountCode.customer_id == customer_id,
                                   DiscountCode.source == redemptions.SOURCE)
        .order_by(DiscountCode.id.desc()).limit(MAX_CODES)))


def order_numbers(session: Session, *, store_id: int, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Order.id, Order.number).where(
        Order.store_id == store_id, Order.id.in_(set(ids)))).all())


@dataclass(frozen=True)
class Standing:
    """What a member's page shows, read in one session."""

    program: Program
    account: LoyaltyAccount | None
    spend_minor: int
    next: NextTier | None
    pending: list[Pending]
    fits: list[Fit]


def standing(session: Session, *, store_id: int, customer_id: int, program: Program,
             now: datetime | None = None, with_purchases: bool = True) -> Standing:
    held = ledger.find_account(session, store_id=store_id, customer_id=customer_id)
    spend = tiers.spend_minor(session, held, now or utcnow()) if held else 0
    bought = purchases(session, store_id=store_id, customer_id=customer_id,
                       program=program) if with_purchases else Purchases(
        frozenset(), frozenset(), {})
    balance = held.points_balance if held else 0
    return Standing(program, held, spend, next_tier(program, spend),
                    pending(session, held) if held else [],
                    fitting(program, balance, skus=bought.skus, categories=bought.categories,
                            sku_categories=bought.sku_categories))


def summary(session: Session, *, store_id: int, customer_id: int
            ) -> tuple[Program, LoyaltyAccount] | None:
    """The program and the account, when the store has a program and the customer an
    account (what the tracking page's small block needs): two reads by key."""
    program = programs.active(session, store_id=store_id)
    if program is None:
        return None
    held = ledger.find_account(session, store_id=store_id, customer_id=customer_id)
    return None if held is None else (program, held)
