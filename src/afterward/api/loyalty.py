"""Loyalty for integrators (DESIGN.md, "Contracts ... Loyalty"): the store's program,
a customer's points with their ledger, adjustments by hand, and rewards redeemed into
single-use codes (and refunded into points)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from sqlalchemy.orm import Session

from afterward.api.deps import Principal, Write, principal, read_session, writer
from afterward.api.errors import ApiError
from afterward.api.params import IdPath, each_once
from afterward.api.responses import CONFLICT, INVALID, KEYED, NOT_FOUND, WITH_BODY, updated
from afterward.commerce import service as commerce
from afterward.commerce.code_models import DiscountCode
from afterward.loyalty import ledger, programs, redemptions, tiers
from afterward.loyalty.models import LoyaltyAccount
from afterward.loyalty.program import Program
from afterward.loyalty.schemas import (
    AdjustmentIn,
    AdjustmentOut,
    EntryOut,
    LoyaltyOut,
    RedemptionIn,
    RedemptionOut,
)
from afterward.storage.types import utcnow

router = APIRouter(prefix="/api/v1", responses=KEYED, tags=["loyalty"],
                   dependencies=[Depends(each_once)])

SAME_KEY = updated(AdjustmentOut, "The idempotency_key was used before for this "
                                  "adjustment: the entry it made, nothing added.")


@router.get("/loyalty/program", response_model=Program)
def get_program(who: Principal = Depends(principal),
                session: Session = Depends(read_session)) -> Program:
    """The store's loyalty program (the defaults until one is put; nothing is earned
    before then)."""
    return programs.load(session, store_id=who.store_id)


@router.put("/loyalty/program", response_model=Program, responses=WITH_BODY)
def put_program(body: Program, who: Principal = Depends(principal),
                write: Write = Depends(writer)) -> Program:
    """Replace the store's loyalty program; fields left out take their defaults. The
    first one starts earning: orders from then on earn points."""
    return write(lambda session: programs.save(session, store_id=who.store_id, program=body))


@router.get("/customers/{customer_id}/loyalty", response_model=LoyaltyOut,
            tags=["customers"], responses={**NOT_FOUND, **INVALID})
def customer_loyalty(customer_id: IdPath, who: Principal = Depends(principal),
                     session: Session = Depends(read_session)) -> LoyaltyOut:
    """The customer's points (spendable, pending, owed back), tier and newest entries."""
    if commerce.get_customer(session, store_id=who.store_id, customer_id=customer_id) is None:
        raise ApiError(404, "not_found", "no such customer in this store")
    found = ledger.find_account(session, store_id=who.store_id, customer_id=customer_id)
    if found is None:
        return LoyaltyOut(customer_id=customer_id, points_balance=0, points_pending=0,
                          points_debt=0, lifetime_points=0, tier=None, tier_name=None,
                          spend_12m_minor=0, entries=[])
    tier = programs.load(session, store_id=who.store_id).tier(found.tier)
    return LoyaltyOut(
        customer_id=customer_id, points_balance=found.points_balance,
        points_pending=found.points_pending, points_debt=found.points_debt,
        lifetime_points=found.lifetime_points, tier=found.tier,
        tier_name=tier.name if tier else None,
        spend_12m_minor=tiers.spend_minor(session, found, utcnow()),
        entries=[EntryOut.model_validate(e) for e in ledger.entries(session, found)])


@router.post("/loyalty/adjustments", response_model=AdjustmentOut, status_code=201,
             responses={**SAME_KEY, **WITH_BODY, **NOT_FOUND, **CONFLICT})
def adjust(body: AdjustmentIn, response: Response, who: Principal = Depends(principal),
           write: Write = Depends(writer)) -> AdjustmentOut:
    """Add (points > 0) or take (points < 0) points by hand, with a reason. The same
    idempotency_key again: 200 and the same entry, nothing added; used for another
    change: 409 `idempotency_key_reused`. More than the balance: 422
    `insufficient_points`. Another store's customer: 404."""
    def work(session: Session) -> tuple[AdjustmentOut, bool]:
        if commerce.get_customer(session, store_id=who.store_id,
                                 customer_id=body.customer_id) is None:
            raise ApiError(404, "not_found", "no such customer in this store", "customer_id")
        entry, created = ledger.adjust(session, store_id=who.store_id,
                                       customer_id=body.customer_id, points=body.points,
                                       reason=body.reason, key=body.idempotency_key)
        out = AdjustmentOut.model_validate({**EntryOut.model_validate(entry).model_dump(),
                                            "customer_id": body.customer_id})
        return out, created

    out, created = write(work)
    response.status_code = 201 if created else 200
    return out


CodePath = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9 -]+$")]


def redemption_out(session: Session, code: DiscountCode, held: LoyaltyAccount
                   ) -> RedemptionOut:
    return RedemptionOut(
        code=code.code, customer_id=held.customer_id, reward=code.source_id or "",
        points=redemptions.points_of(session, code), kind=code.kind,
        discount_minor=code.value_minor, percent_off=code.percent, currency=code.currency,
        product_sku=code.skus[0] if code.kind == "free_product" and code.skus else None,
        status=code.status, used_order_id=code.used_order_id, expires_at=code.expires_at,
        points_balance=held.points_balance)


@router.post("/loyalty/redemptions", response_model=RedemptionOut, status_code=201,
             responses={**updated(RedemptionOut, "The idempotency_key was used before for "
                                  "this redemption: the code it made, nothing taken."),
                        **WITH_BODY, **NOT_FOUND, **CONFLICT})
def redeem(body: RedemptionIn, response: Response, who: Principal = Depends(principal),
           write: Write = Depends(writer)) -> RedemptionOut:
    """Redeem a reward of the program: its points are taken from the spendable balance
    and a single-use code of the reward's kind is issued (`discount`, `free_shipping`
    or `free_product`; pushed to the store platform as `code.issued`), expiring after
    the reward's `expiry_days` when it has them. 422 `unknown_reward`,
    `insufficient_points`; the same idempotency_key again: 200 and the same code.
    Another store's customer: 404."""
    def work(session: Session) -> tuple[RedemptionOut, bool]:
        if commerce.get_customer(session, store_id=who.store_id,
                                 customer_id=body.customer_id) is None:
            raise ApiError(404, "not_found", "no such customer in this store", "customer_id")
        code, created = redemptions.redeem(
            session, store_id=who.store_id, customer_id=body.customer_id,
            program=programs.load(session, store_id=who.store_id), reward_key=body.reward,
            idempotency_key=body.idempotency_key)
        held = ledger.account(session, store_id=who.store_id, customer_id=body.customer_id)
        return redemption_out(session, code, held), created

    out, created = write(work)
    response.status_code = 201 if created else 200
    return out


@router.post("/loyalty/redemptions/{code}/refund", response_model=RedemptionOut,
             responses={**NOT_FOUND, **CONFLICT, **INVALID})
def refund_redemption(code: CodePath, who: Principal = Depends(principal),
                      write: Write = Depends(writer)) -> RedemptionOut:
    """Cancel an unused redemption code (`code.cancelled` to the store platform) and
    put its points back, once: 409 `invalid_status` when used or refunded already."""
    def work(session: Session) -> RedemptionOut:
        found, held = redemptions.refund(session, store_id=who.store_id, code=code)
        return redemption_out(session, found, held)

    result: RedemptionOut = write(work)
    return result
