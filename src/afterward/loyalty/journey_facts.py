"""The `loyalty` root of the journeys' conditions and of messages' context
(Module.facts, Module.message_parts): the customer's points, tier, what expires next
and how far the next tier is. Imported with the journeys' conditions, so only the
standard library at the top; `load` imports the rest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

NAME = "loyalty"
FIELDS = frozenset({
    "member", "points_balance", "points_pending", "lifetime_points", "tier", "tier_name",
    "points_expiring", "points_expiring_at", "next_tier", "next_tier_name",
    "spend_12m_minor", "spend_to_next_tier_minor"})


def load(session: Any, *, store_id: int, customer_id: int, now: datetime) -> dict[str, Any]:
    """The customer's loyalty facts; a customer without an account has zeros (and
    `member` false). A store without a program: {}."""
    from afterward.loyalty import expiry, ledger, programs, tiers

    program = programs.active(session, store_id=store_id)
    if program is None:
        return {}
    held = ledger.find_account(session, store_id=store_id, customer_id=customer_id)
    spend = tiers.spend_minor(session, held, now) if held is not None else 0
    current = program.tier(held.tier if held is not None else None)
    floor = current.min_spend_minor if current is not None else -1
    upper = next((t for t in program.ranked_tiers() if t.min_spend_minor > floor), None)
    points, at = expiry.expiring(session, held, program, now) if held is not None \
        else (0, None)
    return {
        "member": held is not None,
        "points_balance": held.points_balance if held is not None else 0,
        "points_pending": held.points_pending if held is not None else 0,
        "lifetime_points": held.lifetime_points if held is not None else 0,
        "tier": current.key if current is not None else None,
        "tier_name": current.name if current is not None else None,
        "points_expiring": points, "points_expiring_at": at,
        "next_tier": upper.key if upper is not None else None,
        "next_tier_name": upper.name if upper is not None else None,
        "spend_12m_minor": spend,
        "spend_to_next_tier_minor": max(0, upper.min_spend_minor - spend)
        if upper is not None else None,
    }
