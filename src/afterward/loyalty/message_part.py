"""The `loyalty` part of a message's context (Module.message_parts): the customer's
points, tier, the spend to the next tier, the rewards that fit them first, and the
signed link to their loyalty page (`url`, links.member_url). A message about a
customer has `customer_id` in its refs; a store without a program or a customer
without an account gives None (one read by key for the program)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from afterward.commerce.models import Store
from afterward.loyalty import links, programs, standing

NAME = "loyalty"
REF = "customer_id"
SUGGESTED = 3


def load(session: Session, *, store_id: int, id: int, public_url: str,
         secret_key: str) -> dict[str, Any] | None:
    program = programs.active(session, store_id=store_id)
    if program is None:
        return None
    found = standing.standing(session, store_id=store_id, customer_id=id, program=program)
    held = found.account
    if held is None:
        return None
    tier = program.tier(held.tier)
    store = session.get(Store, store_id)
    return {
        "points_balance": held.points_balance, "points_pending": held.points_pending,
        "tier": held.tier, "tier_name": tier.name if tier else None,
        "currency": store.currency if store else None,
        "spend_12m_minor": found.spend_minor,
        "next_tier_name": found.next.tier.name if found.next else None,
        "next_tier_needed_minor": found.next.needed_minor if found.next else None,
        "rewards": [{"name": f.reward.name, "points": f.reward.points,
                     "affordable": f.affordable, "short_by": f.short_by}
                    for f in found.fits if f.redeemable][:SUGGESTED],
        "url": links.member_url(public_url, secret_key, store_id, id) if secret_key else None,
    }


def sample(*, currency: str, public_url: str) -> dict[str, Any]:
    """Plausible values for previews and for checking a template before it is saved."""
    return {
        "points_balance": 640, "points_pending": 120, "tier": "silver",
        "tier_name": "Silver", "currency": currency, "spend_12m_minor": 32000,
        "next_tier_name": "Gold", "next_tier_needed_minor": 18000,
        "rewards": [{"name": "5 off", "points": 500, "affordable": True, "short_by": 0},
                    {"name": "10 off", "points": 900, "affordable": False, "short_by": 260}],
        "url": f"{public_url.rstrip('/')}/loyalty/sample",
    }
