"""Loyalty for integrators (DESIGN.md, "Contracts ... Loyalty"): the store's program,
a customer's points with their ledger, adjustments by hand, and rewards redeemed into
single-use codes (and refunded into points)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.orm import Session

from afterward.api.deps import (
    Principal,
    Write,
    committed,
    principal,
    read_session,
    settings,
    writer,
)
from afterward.api.errors import ApiError
from afterward.api.params import IdPath, IdQuery, Limit, each_once
from afterward.api.responses import CONFLICT, INVALID, KEYED, NOT_FOUND, WITH_BODY, updated
from afterward.commerce import service as commerce
from afterward.commerce.code_models import DiscountCode
from afterward.config import Settings
from afterward.loyalty import ledger, programs, redemptions, referrals, tiers
from afterward.loyalty.models import LoyaltyAccount, LoyaltyReferral
from afterward.loyalty.program import Program
from afterward.loyalty.schemas import (
    AdjustmentIn,
    AdjustmentOut,
    DecisionIn,
    EntryOut,
    LoyaltyOut,
    RedemptionIn,
    RedemptionOut,
    ReferralIn,
    ReferralList,
    ReferralOut,
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
                     session: Session = Depends(read_session),
                     config: Settings = Depends(settings)) -> LoyaltyOut:
    """The customer's points (spendable, pending, owed back), tier, referral link and
    newest entries."""
    found = member_of(session, store_id=who.store_id, customer_id=customer_id,
                      public_url=config.public_url)
    if found is None:
        raise ApiError(404, "not_found", "no such customer in this store")
    return found


def member_of(session: Session, *, store_id: int, customer_id: int,
              public_url: str) -> LoyaltyOut | None:
    """What the route answers (None: no such customer in the store); `afterward bench
    loyalty` times it."""
    if commerce.get_customer(session, store_id=store_id, customer_id=customer_id) is None:
        return None
    found = ledger.find_account(session, store_id=store_id, customer_id=customer_id)
    if found is None:
        return LoyaltyOut(customer_id=customer_id, points_balance=0, points_pending=0,
                          points_debt=0, lifetime_points=0, tier=None, tier_name=None,
                          spend_12m_minor=0, referral_code=None, referral_url=None,
                          entries=[])
    tier = programs.load(session, store_id=store_id).tier(found.tier)
    return LoyaltyOut(
        customer_id=customer_id, points_balance=found.points_balance,
        points_pending=found.points_pending, points_debt=found.points_debt,
        lifetime_points=found.lifetime_points, tier=found.tier,
        tier_name=tier.name if tier else None,
        spend_12m_minor=tiers.spend_minor(session, found, utcnow()),
        referral_code=found.referral_code,
        referral_url=referrals.link(public_url, found.referral_code),
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


def redemption_out(session: Session, code: DiscountCode, held: LoyaltyAccount,
                   points: int | None = None) -> RedemptionOut:
    """`points`: what the reward cost, when known (else read from its entry)."""
    return RedemptionOut(
        code=code.code, customer_id=held.customer_id, reward=code.source_id or "",
        points=redemptions.points_of(session, code) if points is None else points,
        kind=code.kind,
        discount_minor=code.value_minor, percent_off=code.percent, currency=code.currency,
        product_sku=code.skus[0] if code.kind == "free_product" and code.skus else None,
        status=code.status, used_order_id=code.used_order_id, expires_at=code.expires_at,
        points_balance=held.points_balance)


@router.post("/loyalty/redemptions", response_model=RedemptionOut, status_code=201,
             responses={**updated(RedemptionOut, "The idempotency_key was used before for "
                                  "this redemption: the code it made, nothing taken."),
                        **WITH_BODY, **NOT_FOUND, **CONFLICT})
async def redeem(request: Request, body: RedemptionIn,
                 who: Principal = Depends(principal)) -> Response:
    """Redeem a reward of the program: its points are taken from the spendable balance
    and a single-use code of the reward's kind is issued (`discount`, `free_shipping`
    or `free_product`; pushed to the store platform as `code.issued`), expiring after
    the reward's `expiry_days` when it has them. 422 `unknown_reward`,
    `insufficient_points`; the same idempotency_key again: 200 and the same code.
    Another store's customer: 404."""
    def work(session: Session) -> tuple[RedemptionOut, bool]:
        if not commerce.customer_exists(session, store_id=who.store_id,
                                        customer_id=body.customer_id):
            raise ApiError(404, "not_found", "no such customer in this store", "customer_id")
        made = redemptions.redeem(
            session, store_id=who.store_id, customer_id=body.customer_id,
            program=programs.load(session, store_id=who.store_id), reward_key=body.reward,
            idempotency_key=body.idempotency_key)
        return redemption_out(session, made.code, made.account, made.points), made.created

    # Redemptions that arrive together share a commit on SQLite (deps.committed); the
    # answer is serialised once here.
    out, created = await committed(request, work)
    return Response(out.model_dump_json(), status_code=201 if created else 200,
                    media_type="application/json")


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




def referral_out(session: Session, referral: LoyaltyReferral) -> ReferralOut:
    code = referrals.friend_code(session, referral)
    return ReferralOut(
        id=referral.id, referrer_customer_id=referral.referrer_customer_id,
        friend_email=referral.friend_email, friend_customer_id=referral.friend_customer_id,
        status=referral.status, signals=list(referral.signals),
        cleared=list(referral.cleared), channel=referral.channel,
        friend_code=code.code if code is not None else None,
        friend_discount_minor=code.value_minor if code is not None else None,
        currency=code.currency if code is not None else None, order_id=referral.order_id,
        points=referral.points, decision_reason=referral.decision_reason,
        decided_at=referral.decided_at, rewarded_at=referral.rewarded_at,
        created_at=referral.created_at)


@router.post("/loyalty/referrals", response_model=ReferralOut, status_code=201,
             responses={**updated(ReferralOut, "This member referred this friend before: "
                                  "that referral, nothing added."),
                        **WITH_BODY, **NOT_FOUND, **CONFLICT})
def refer(body: ReferralIn, response: Response, who: Principal = Depends(principal),
          write: Write = Depends(writer)) -> ReferralOut:
    """A member refers a friend (by the member's customer id or referral code): the
    friend gets the program's single-use code, unless a fraud signal sends the
    referral to `review`. The friend's mailbox (any spelling) referred by the same
    member before: 200 and that referral; by another member: 409 `already_referred`.
    Referrals switched off: 422 `referrals_disabled`. An unknown member: 404."""
    def work(session: Session) -> tuple[ReferralOut, bool]:
        referrer_id = body.referrer_customer_id
        if body.referral_code is not None:
            member = referrals.member_by_code(session, body.referral_code)
            if member is None or member.store_id != who.store_id:
                raise ApiError(404, "not_found", "no such referral code in this store",
                               "referral_code")
            referrer_id = member.customer_id
        assert referrer_id is not None
        referral, created = referrals.refer(
            session, store_id=who.store_id, program=programs.load(session, store_id=who.store_id),
            referrer_customer_id=referrer_id, friend_email=body.friend_email, channel="api",
            ip=body.ip, user_agent=body.user_agent, locale=body.locale)
        return referral_out(session, referral), created

    out, created = write(work)
    response.status_code = 201 if created else 200
    return out


Status = Literal["pending", "review", "ordered", "rewarded", "rejected", "void"]


@router.get("/loyalty/referrals", response_model=ReferralList, responses=INVALID)
def list_referrals(status: Annotated[Status | None, Query()] = None,
                   referrer_customer_id: IdQuery = None, limit: Limit = 100,
                   who: Principal = Depends(principal),
                   session: Session = Depends(read_session)) -> ReferralList:
    """The store's referrals, newest first (`status=review`: those waiting for a
    decision)."""
    rows = referrals.listed(session, store_id=who.store_id, status=status,
                            referrer_customer_id=referrer_customer_id, limit=limit)
    return ReferralList(items=[referral_out(session, r) for r in rows])


@router.get("/loyalty/referrals/{referral_id}", response_model=ReferralOut,
            responses={**NOT_FOUND, **INVALID})
def get_referral(referral_id: IdPath, who: Principal = Depends(principal),
                 session: Session = Depends(read_session)) -> ReferralOut:
    found = referrals.get(session, store_id=who.store_id, referral_id=referral_id)
    if found is None:
        raise ApiError(404, "not_found", "no such referral in this store")
    return referral_out(session, found)


@router.post("/loyalty/referrals/{referral_id}/approve", response_model=ReferralOut,
             responses={**WITH_BODY, **NOT_FOUND, **CONFLICT})
def approve_referral(referral_id: IdPath, body: DecisionIn,
                     who: Principal = Depends(principal),
                     write: Write = Depends(writer)) -> ReferralOut:
    """A referral in review goes on (its signals cleared): the friend gets the code
    held back and the member is paid when the friend's order qualifies. Not in
    review: 409 `invalid_status`."""
    def work(session: Session) -> ReferralOut:
        found = referrals.approve(session, store_id=who.store_id, referral_id=referral_id,
                                  reason=body.reason,
                                  program=programs.load(session, store_id=who.store_id))
        return referral_out(session, found)

    result: ReferralOut = write(work)
    return result


@router.post("/loyalty/referrals/{referral_id}/reject", response_model=ReferralOut,
             responses={**WITH_BODY, **NOT_FOUND, **CONFLICT})
def reject_referral(referral_id: IdPath, body: DecisionIn,
                    who: Principal = Depends(principal),
                    write: Write = Depends(writer)) -> ReferralOut:
    """Nothing is paid for the referral, and the friend's unused code is withdrawn.
    Rewarded, rejected or void already: 409 `invalid_status`."""
    def work(session: Session) -> ReferralOut:
        found = referrals.reject(session, store_id=who.store_id, referral_id=referral_id,
                                 reason=body.reason)
        return referral_out(session, found)

    result: ReferralOut = write(work)
    return result
