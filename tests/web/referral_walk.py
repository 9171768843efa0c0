"""A member's referral link in a walked shop: the store's program switched on with a
friend's offer, and the member's /r/{code} path on the shop."""

from __future__ import annotations

import dataclasses
from typing import Any

from afterward.commerce.models import Customer
from afterward.loyalty import ledger, programs, referrals
from afterward.loyalty.program import Program
from afterward.storage.db import Database


def with_referral(db: Database, shop: Any) -> Any:
    with db.transaction() as session:
        customer = session.get(Customer, shop.customer_id)
        assert customer is not None
        programs.save(session, store_id=customer.store_id, program=Program.model_validate(
            {"referral": {"enabled": True, "referrer_points": 100,
                          "friend_discount_minor": 1500}}))
        code = referrals.code_for(session, ledger.account(
            session, store_id=customer.store_id, customer_id=customer.id))
    return dataclasses.replace(shop, referral_path=f"/r/{code}")
