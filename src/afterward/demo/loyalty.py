"""The demo store's loyalty program and what its members do with it. The program is
put when the store opens, so every order of the history earns: the history before the
journeys are switched on is earned in one pass (as an import of a store's past would
be), the replayed months as they happen, through the same consumer and periodic pass
as a live store. At each scan some members with enough points redeem a reward. Once
the history is written, a double points weekend is announced."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.loyalty import consumer, programs, redemptions, tick
from afterward.loyalty.models import LoyaltyAccount
from afterward.loyalty.program import Bonuses, Campaign, Program, Reward, Tier

DEMO_PROGRAM = Program(
    points_per_currency_unit=1, pending_days=30, delivery_grace_days=14, expiry_days=365,
    expiry_reminder_days=14, tier_grace_days=30,
    tiers=[Tier(key="silver", name="Silver", min_spend_minor=15000, multiplier_percent=125,
                entry_points=150),
           Tier(key="gold", name="Gold", min_spend_minor=40000, multiplier_percent=150,
                free_shipping=True, early_access=True, entry_points=500)],
    rewards=[Reward(key="five-off", name="5 EUR off", points=500, discount_minor=500),
             Reward(key="ten-off", name="10 EUR off", points=900, discount_minor=1000),
             Reward(key="fifteen-percent", name="15% off", points=1500, percent_off=15)],
    bonuses=Bonuses(first_order=100, birthday=200))
# Of the members who can afford a reward at a scan (twice a simulated day), this share
# redeems the dearest one they can afford.
REDEEM_SHARE = 0.02


def open_program(session: Session, *, store_id: int) -> None:
    programs.save(session, store_id=store_id, program=DEMO_PROGRAM)


def coming_campaign(now: datetime) -> Campaign:
    """A double points weekend from the next Friday after `now` (00:00 UTC) to Monday:
    what the merchant announces once the history is written, so the member and tracking
    pages show it coming."""
    friday = (now + timedelta(days=(4 - now.weekday()) % 7 or 7)).replace(
        hour=0, minute=0, second=0, microsecond=0)
    return Campaign(key="double-weekend", name="Double points weekend", starts_at=friday,
                    ends_at=friday + timedelta(days=3), multiplier_percent=200)


def announce_campaign(session: Session, *, store_id: int, now: datetime) -> None:
    programs.save(session, store_id=store_id, program=DEMO_PROGRAM.model_copy(
        update={"campaigns": [coming_campaign(now)]}))


def catch_up(session: Session, *, store_id: int, now: datetime) -> int:
    """Loyalty's consumer until it has read every committed event; the events read."""
    read, done = 0, False
    while not done:
        batch, done = consumer.consume(session, store_id=store_id, now=now)
        read += batch
    return read


def daily(session: Session, *, store_id: int, now: datetime,
          rng: np.random.Generator) -> int:
    """The periodic pass (release, expiry, tiers, birthdays), then some members
    redeem; the rewards redeemed."""
    tick.run_store(session, store_id=store_id, program=DEMO_PROGRAM, now=now)
    cheapest = min(reward.points for reward in DEMO_PROGRAM.rewards)
    members = session.execute(select(LoyaltyAccount.customer_id, LoyaltyAccount.points_balance)
                              .where(LoyaltyAccount.store_id == store_id,
                                     LoyaltyAccount.points_balance >= cheapest)
                              .order_by(LoyaltyAccount.customer_id)).all()
    redeemed = 0
    for customer_id, balance in members:
        if rng.random() >= REDEEM_SHARE:
            continue
        reward = max((r for r in DEMO_PROGRAM.rewards if r.points <= balance),
                     key=lambda r: r.points)
        redemptions.redeem(session, store_id=store_id, customer_id=customer_id,
                           program=DEMO_PROGRAM, reward_key=reward.key,
                           idempotency_key=f"demo:{customer_id}:{now.date().isoformat()}",
                           now=now)
        redeemed += 1
    return redeemed
