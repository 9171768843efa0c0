"""Loyalty's part of a customer's export and erasure (afterward/privacy.py): the
account's counters and tier, every ledger entry, and the referrals the customer made
or was referred by. Erasure blanks the reasons (words written about the customer);
the points, the amounts of every entry and the balance stay (what the store still
owes the customer). As a referred friend, the customer's email on the referral is
blanked and its mailbox kept only as a hash (one referral per mailbox still holds),
and the device hash dropped."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from afterward.commerce.models import Customer
from afterward.commerce.privacy import plain
from afterward.loyalty.models import LoyaltyAccount, LoyaltyEntry, LoyaltyReferral
from afterward.loyalty.referral_checks import mailbox
from afterward.privacy import changed, section

_ACCOUNT_FIELDS = ("points_balance", "points_pending", "points_debt", "lifetime_points",
                   "tier", "tier_since", "created_at")
_ENTRY_FIELDS = ("kind", "points", "reason", "source", "source_id", "pending_until",
                 "created_at")
_REFERRAL_FIELDS = ("id", "status", "signals", "order_id", "points", "created_at",
                    "rewarded_at")


def _as_friend(session: Session, customer_id: int) -> ColumnElement[bool]:
    email = session.scalar(select(Customer.email).where(Customer.id == customer_id))
    mine = LoyaltyReferral.friend_customer_id == customer_id
    return or_(mine, LoyaltyReferral.friend_mailbox == mailbox(email)) if email else mine


def _account(session: Session, store_id: int, customer_id: int) -> LoyaltyAccount | None:
    return session.scalar(select(LoyaltyAccount).where(
        LoyaltyAccount.store_id == store_id, LoyaltyAccount.customer_id == customer_id))


@section("loyalty")
class LoyaltySection:
    @staticmethod
    def export(session: Session, store_id: int, customer_id: int) -> dict[str, Any] | None:
        found = _account(session, store_id, customer_id)
        referred = list(session.scalars(select(LoyaltyReferral).where(
            LoyaltyReferral.store_id == store_id,
            _as_friend(session, customer_id)).order_by(LoyaltyReferral.id)))
        if found is None and not referred:
            return None
        out: dict[str, Any] = {}
        if found is not None:
            entries = session.scalars(select(LoyaltyEntry).where(
                LoyaltyEntry.account_id == found.id).order_by(LoyaltyEntry.id))
            made = session.scalars(select(LoyaltyReferral).where(
                LoyaltyReferral.store_id == store_id,
                LoyaltyReferral.referrer_customer_id == customer_id)
                .order_by(LoyaltyReferral.id))
            out = {**{name: plain(getattr(found, name)) for name in _ACCOUNT_FIELDS},
                   "referral_code": found.referral_code,
                   "entries": [{name: plain(getattr(e, name)) for name in _ENTRY_FIELDS}
                               for e in entries],
                   "referrals_made": [{name: plain(getattr(r, name))
                                       for name in _REFERRAL_FIELDS} for r in made]}
        out["referred_by"] = [{**{name: plain(getattr(r, name)) for name in _REFERRAL_FIELDS},
                               "friend_email": r.friend_email} for r in referred]
        return out

    @staticmethod
    def erase(session: Session, store_id: int, customer_id: int) -> dict[str, int]:
        found = _account(session, store_id, customer_id)
        rows = {"loyalty_entries": 0, "loyalty_referrals": 0}
        for referral in list(session.scalars(select(LoyaltyReferral).where(
                LoyaltyReferral.store_id == store_id,
                _as_friend(session, customer_id)))):
            if referral.friend_email is None and referral.device_hash is None:
                continue
            referral.friend_email, referral.device_hash = None, None
            if not referral.friend_mailbox.startswith("erased:"):
                digest = hashlib.sha256(referral.friend_mailbox.encode()).hexdigest()
                referral.friend_mailbox = f"erased:{digest}"
            rows["loyalty_referrals"] += 1
        session.flush()
        if found is not None:
            rows["loyalty_entries"] = changed(session.execute(update(LoyaltyEntry).where(
                LoyaltyEntry.store_id == store_id, LoyaltyEntry.account_id == found.id,
                LoyaltyEntry.reason.is_not(None)).values(reason=None)))
        return rows
