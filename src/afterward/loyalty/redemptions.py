"""Rewards redeemed into single-use codes: the reward's points are taken from the
spendable balance (a `redeem` entry) and a discount code is issued
(commerce/codes.py, pushed to the store platform as `code.issued`), in the caller's
one transaction; an unused code can be refunded into points, once.

A customer's redemptions run one at a time (the account's lock, ledger.account) and
the balance's UPDATE refuses to go below zero, so concurrent redemptions never
overdraw. Every kind of reward becomes a code of its kind: an amount or a percentage
off (a `discount`), `free_shipping`, or `free_product` naming the product's SKU; a
reward with `expiry_days` gives a code that expires that many days later."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from afterward.commerce import codes, stores
from afterward.commerce.code_models import DiscountCode
from afterward.events import record
from afterward.loyalty import ledger
from afterward.loyalty.errors import LoyaltyError
from afterward.loyalty.models import LoyaltyAccount
from afterward.loyalty.program import Program, Reward
from afterward.storage.types import utcnow

SOURCE = "loyalty"


def reward_of(program: Program, key: str) -> Reward:
    found = next((r for r in program.rewards if r.key == key), None)
    if found is None:
        raise LoyaltyError("unknown_reward", "the program has no such reward", "reward")
    return found


def code_kind(reward: Reward) -> str:
    if reward.free_shipping:
        return "free_shipping"
    if reward.product_sku is not None:
        return "free_product"
    return "discount"


@dataclass(frozen=True)
class Redemption:
    code: DiscountCode
    created: bool  # False: the idempotency key's earlier redemption, nothing taken
    account: LoyaltyAccount  # as it is after the redemption
    points: int  # what the reward cost


def redeem(session: Session, *, store_id: int, customer_id: int, program: Program,
           reward_key: str, idempotency_key: str | None = None,
           now: datetime | None = None) -> Redemption:
    """The code and the account after it. With a key used before for the same
    request, the code it made and nothing taken again; for another request, 409
    `idempotency_key_reused`. 422 `unknown_reward`, `insufficient_points` (nothing
    written)."""
    now = now or utcnow()
    held = ledger.account(session, store_id=store_id, customer_id=customer_id)
    key = idempotency_key or f"auto-{secrets.token_hex(12)}"
    earlier = None if idempotency_key is None else codes.by_key(
        session, store_id=store_id, source=SOURCE, key=key)
    if earlier is not None:
        if earlier.customer_id != customer_id or earlier.source_id != reward_key:
            raise LoyaltyError("idempotency_key_reused", "this idempotency_key was used "
                               "for another redemption", "idempotency_key", status=409)
        return Redemption(earlier, False, held, points_of(session, earlier))
    reward = reward_of(program, reward_key)
    if held.points_balance < reward.points:
        raise LoyaltyError("insufficient_points", "the points balance is too low", "reward")
    code = codes.issue(session, store_id=store_id, kind=code_kind(reward), source=SOURCE,
                       value_minor=reward.discount_minor, percent=reward.percent_off,
                       currency=stores.currency_of(session, store_id)
                       if reward.discount_minor else None,
                       skus=[reward.product_sku] if reward.product_sku else None,
                       expires_at=now + timedelta(days=reward.expiry_days)
                       if reward.expiry_days else None,
                       customer_id=customer_id, source_id=reward.key,
                       idempotency_key=key, now=now)
    entry = ledger.post(session, held, kind="redeem", points=-reward.points,
                        balance=-reward.points, key=f"redeem:{code.id}", source="reward",
                        source_id=code.id, reason=f"{reward.name} ({code.code[-4:]})",
                        now=now, fresh=True)  # the code is new, so is its key
    assert entry is not None
    record(session, store_id=store_id, name="loyalty.points_redeemed",
           subject_type="customer", subject_id=customer_id, occurred_at=now,
           payload={"customer_id": customer_id, "points": reward.points,
                    "reward": reward.key, "code_id": code.id,
                    "points_balance": held.points_balance})
    return Redemption(code, True, held, reward.points)


def points_of(session: Session, code: DiscountCode) -> int:
    """What the code cost: its `redeem` entry."""
    entry = ledger.entry_by_key(session, store_id=code.store_id, key=f"redeem:{code.id}")
    return -entry.points if entry is not None else 0


def refund(session: Session, *, store_id: int, code: str,
           now: datetime | None = None) -> tuple[DiscountCode, LoyaltyAccount]:
    """Cancel an unused redemption code and put its points back, once; 404 for a code
    that is not a redemption of this store, 409 `invalid_status` when used or
    refunded already."""
    now = now or utcnow()
    found = codes.by_code(session, store_id=store_id, code=code)
    if found is None or found.source != SOURCE or found.customer_id is None:
        raise LoyaltyError("not_found", "no such redemption code in this store", "code",
                           status=404)
    held = ledger.account(session, store_id=store_id, customer_id=found.customer_id)
    found = codes.by_code(session, store_id=store_id, code=code, lock=True)
    assert found is not None
    session.refresh(found)
    if not codes.cancel(session, code=found, now=now):
        raise LoyaltyError("invalid_status", f"the code is {found.status}, not issued",
                           "code", status=409)
    points = points_of(session, found)
    ledger.credit(session, held, kind="redeem", points=points, key=f"redeem:{found.id}:refund",
                  source="reward", source_id=found.id,
                  reason=f"code {found.code[-4:]} refunded", now=now)
    return found, held
