"""The `loyalty` part of a message's context (Module.message_parts), for the customer
the message is to (REF `customer_id`: messaging hands on the message's customer):
the facts the journeys see (journey_facts.py), the program's rewards with what the
balance buys now and what it buys next, the rewards that fit this customer first
(`suggested`, standing.fitting: what they buy ranks higher), the bonus points
campaign running or starting within two weeks (`campaign`: its name, multiplier,
moments and whether it runs now), the entry points of the member's tier
(`tier_entry_points`), the signed link to the member's loyalty page (`url`) and their
referral link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from afterward.commerce.models import Store
from afterward.loyalty import journey_facts, ledger, links, programs, referrals, standing
from afterward.loyalty.program import Campaign, Program
from afterward.storage.types import utcnow

NAME = "loyalty"
REF = "customer_id"
SUGGESTED = 3


def load(session: Session, *, store_id: int, id: int, public_url: str,
         secret_key: str) -> dict[str, Any] | None:
    now = utcnow()
    facts = journey_facts.load(session, store_id=store_id, customer_id=id, now=now)
    program = programs.active(session, store_id=store_id)
    if not facts or program is None:
        return None
    store = session.get(Store, store_id)
    held = ledger.find_account(session, store_id=store_id, customer_id=id)
    code = held.referral_code if held is not None else None
    bought = standing.purchases(session, store_id=store_id, customer_id=id,
                                program=program)
    fits = standing.fitting(program, facts["points_balance"], skus=bought.skus,
                            categories=bought.categories,
                            sku_categories=bought.sku_categories)
    return {**facts, **buys(program, facts["points_balance"]),
            "suggested": [{"name": f.reward.name, "points": f.reward.points,
                           "affordable": f.affordable, "short_by": f.short_by}
                          for f in fits if f.redeemable][:SUGGESTED],
            "url": links.member_url(public_url, secret_key, store_id, id)
            if held is not None and secret_key else None,
            "currency": store.currency if store is not None else None,
            "referral_url": referrals.link(public_url, code)
            if program.referral.enabled else None,
            "campaign": campaign(program.campaign_shown(now), now),
            "tier_entry_points": tier.entry_points
            if (tier := program.tier(facts.get("tier"))) is not None else 0}


def campaign(shown: Campaign | None, now: datetime) -> dict[str, Any] | None:
    if shown is None:
        return None
    return {"name": shown.name, "multiplier_percent": shown.multiplier_percent,
            "starts_at": shown.starts_at, "ends_at": shown.ends_at,
            "running": shown.running(now)}


def buys(program: Program, balance: int) -> dict[str, Any]:
    """The rewards, each with `affordable`; `best_reward` (the dearest the balance
    buys) and `next_reward` (the cheapest it does not, with `points_needed`)."""
    ranked = sorted(program.rewards, key=lambda r: (r.points, r.key))
    rewards: list[dict[str, Any]] = [
        {"key": r.key, "name": r.name, "points": r.points, "discount_minor": r.discount_minor,
         "percent_off": r.percent_off, "affordable": r.points <= balance} for r in ranked]
    affordable = [r for r in rewards if r["affordable"]]
    later = [(r, reward.points) for r, reward in zip(rewards, ranked, strict=True)
             if not r["affordable"]]
    return {"rewards": rewards, "best_reward": affordable[-1] if affordable else None,
            "next_reward": {**later[0][0], "points_needed": later[0][1] - balance}
            if later else None}


def sample(*, currency: str, public_url: str) -> dict[str, Any]:
    """Plausible values for previews and for checking a template before it is saved."""
    now = datetime.now(UTC).replace(microsecond=0)
    five = {"key": "five-off", "name": "5 off", "points": 500, "discount_minor": 500,
            "percent_off": None, "affordable": True}
    ten = {"key": "ten-off", "name": "10 off", "points": 1000, "discount_minor": 1000,
           "percent_off": None, "affordable": False}
    return {
        "member": True, "points_balance": 640, "points_pending": 120, "lifetime_points": 1480,
        "tier": "silver", "tier_name": "Silver", "points_expiring": 200,
        "points_expiring_at": now + timedelta(days=14), "next_tier": "gold",
        "next_tier_name": "Gold", "spend_12m_minor": 32000, "spend_to_next_tier_minor": 18000,
        "rewards": [five, ten], "best_reward": five,
        "suggested": [{"name": "5 off", "points": 500, "affordable": True, "short_by": 0},
                      {"name": "10 off", "points": 1000, "affordable": False,
                       "short_by": 360}],
        "url": f"{public_url.rstrip('/')}/loyalty/sample",
        "next_reward": {**ten, "points_needed": 360}, "currency": currency,
        "referral_url": f"{public_url.rstrip('/')}/r/sample",
        "campaign": {"name": "Double points weekend", "multiplier_percent": 200,
                     "starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=2),
                     "running": True},
        "tier_entry_points": 150,
    }
