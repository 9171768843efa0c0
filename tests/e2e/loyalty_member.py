"""A member of a loyalty program with long names, for the browser tests: rewards,
tiers and a campaign running now named at length, bonuses to list among the ways to
earn, points given by hand for a long reason, and the member's signed page
(loyalty/links.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from afterward.commerce.models import Customer
from afterward.loyalty import ledger, links, programs
from afterward.loyalty.models import LoyaltyReferral
from afterward.loyalty.program import Program
from afterward.storage.db import Database
from afterward.storage.types import utcnow

REWARDS = [
    {"key": "zehn", "name": "Gutschein über zehn Euro für den nächsten Einkauf im Feinkostladen",
     "points": 500, "discount_minor": 1000},
    {"key": "prozent", "name": "Fünfzehn Prozent Rabatt auf das gesamte Sortiment an Olivenöl",
     "points": 100000, "percent_off": 15},
    {"key": "versand", "name": "Kostenloser Versand für die nächste Bestellung nach Österreich",
     "points": 200, "free_shipping": True},
]
TIERS = [{"key": "gold", "name": "Goldmitgliedschaft mit besonders langem Namen",
          "min_spend_minor": 10**9, "entry_points": 25000}]
CAMPAIGN = "Doppelte Punkte am verlängerten Adventswochenende für alle Mitglieder"
BONUSES = {"birthday": 200, "review": 50, "review_photo": 25}
REASON = "Entschuldigung für die verspätete Lieferung der Weihnachtsbestellung " * 3


def loyalty_member(db: Database, settings: Any, customer_id: int, points: int = 1200) -> str:
    """The member's page path."""
    with db.transaction() as session:
        store_id = session.scalar(select(Customer.store_id).where(Customer.id == customer_id))
        assert store_id is not None
        now = utcnow()
        programs.save(session, store_id=store_id, program=Program.model_validate(
            {"tiers": TIERS, "rewards": REWARDS, "bonuses": BONUSES, "campaigns": [
                {"key": "advent", "name": CAMPAIGN, "multiplier_percent": 200,
                 "starts_at": (now - timedelta(days=1)).isoformat(),
                 "ends_at": (now + timedelta(days=3)).isoformat()}]}))
        ledger.adjust(session, store_id=store_id, customer_id=customer_id, points=points,
                      reason=REASON[:300], key="long-welcome")
        # a referral in review, its friend's address long
        friend = "friedrich.wilhelm.von.hohenzollern-sigmaringen+empfehlung@example.com"
        session.add(LoyaltyReferral(
            store_id=store_id, referrer_customer_id=customer_id, friend_email=friend,
            friend_mailbox=friend, status="review", signals=["same_device", "velocity"],
            cleared=[], channel="link", points=0, created_at=now, updated_at=now))
    return links.member_path(settings.secret_key, store_id, customer_id)
