"""Loyalty's part of a customer's export and erasure (afterward/privacy.py): the
account's counters and tier, and every ledger entry. Erasure blanks the reasons
(words written about the customer); the points, the amounts of every entry and the
balance stay (what the store still owes the customer)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from afterward.commerce.privacy import plain
from afterward.loyalty.models import LoyaltyAccount, LoyaltyEntry
from afterward.privacy import changed, section

_ACCOUNT_FIELDS = ("points_balance", "points_pending", "points_debt", "lifetime_points",
                   "tier", "tier_since", "created_at")
_ENTRY_FIELDS = ("kind", "points", "reason", "source", "source_id", "pending_until",
                 "created_at")


def _account(session: Session, store_id: int, customer_id: int) -> LoyaltyAccount | None:
    return session.scalar(select(LoyaltyAccount).where(
        LoyaltyAccount.store_id == store_id, LoyaltyAccount.customer_id == customer_id))


@section("loyalty")
class LoyaltySection:
    @staticmethod
    def export(session: Session, store_id: int, customer_id: int) -> dict[str, Any] | None:
        found = _account(session, store_id, customer_id)
        if found is None:
            return None
        entries = session.scalars(select(LoyaltyEntry).where(
            LoyaltyEntry.account_id == found.id).order_by(LoyaltyEntry.id))
        return {**{name: plain(getattr(found, name)) for name in _ACCOUNT_FIELDS},
                "entries": [{name: plain(getattr(e, name)) for name in _ENTRY_FIELDS}
                            for e in entries]}

    @staticmethod
    def erase(session: Session, store_id: int, customer_id: int) -> dict[str, int]:
        found = _account(session, store_id, customer_id)
        if found is None:
            return {"loyalty_entries": 0}
        return {"loyalty_entries": changed(session.execute(update(LoyaltyEntry).where(
            LoyaltyEntry.store_id == store_id, LoyaltyEntry.account_id == found.id,
            LoyaltyEntry.reason.is_not(None)).values(reason=None)))}
