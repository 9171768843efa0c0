"""Loyalty in the admin: the overview (points issued, redeemed and expired per week,
drawn as inline SVG bars like the return analytics, and the outstanding liability in
money, loyalty/reports.py), the program document to edit (validated as `PUT
/api/v1/loyalty/program` validates it; nothing saved on error), the members, one
member's ledger and adjustments by hand with a reason (loyalty/ledger.adjust: the
form's idempotency key makes a double submit one entry; too few points is refused
readably, nothing written), and the referrals, those in review first, each approved or
rejected with a reason (loyalty/referrals.approve / reject; a decision already taken
is refused readably, nothing changed)."""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from afterward.commerce import service as commerce
from afterward.loyalty import ledger, programs, referrals, reports, standing
from afterward.loyalty.errors import LoyaltyError
from afterward.loyalty.program import Program
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.web.admin.charts import day_label
from afterward.web.admin.context import Admin, current_store, store_admin, store_csrf_checked
from afterward.web.admin.display import number
from afterward.web.admin.orders import PAGE_SIZE, Id, SearchText
from afterward.web.admin.pages import AdminRoute, PageError, redirect, render
from afterward.web.admin.returns_analytics import Bar
from afterward.web.admin.returns_policy import MAX_DOCUMENT, as_text, document_problems

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)
WEEKS = 12
LEDGER_SHOWN = 200
KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
ADJUST_REFUSALS = {
    "insufficient_points": "The member does not have that many spendable points: "
                           "nothing was taken.",
    "idempotency_key_reused": "This form was already used for another adjustment: "
                              "reload the page and try again.",
    "invalid": "An adjustment moves at least one point.",
}


def week_bars(weeks: list[reports.Week], field: str, locale: str | None) -> list[Bar]:
    values = [getattr(w, field) for w in weeks]
    most = max(values, default=0)
    return [Bar(day_label(w.start, locale), number(v, locale), v / most if most else None)
            for w, v in zip(weeks, values, strict=True)]


@router.get("/loyalty")
def overview(request: Request, admin: Admin = Depends(store_admin)) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        program = programs.active(s, store_id=store.id)
        weeks = reports.weekly(s, store_id=store.id, until=utcnow(), weeks=WEEKS)
        owed = reports.liability(s, store_id=store.id,
                                 program=program or programs.load(s, store_id=store.id))
    locale = store.locale
    return render(request, "admin/loyalty.html", {
        "admin": admin, "store": store, "program": program, "weeks": weeks, "owed": owed,
        "issued_bars": week_bars(weeks, "issued", locale),
        "redeemed_bars": week_bars(weeks, "redeemed", locale),
        "expired_bars": week_bars(weeks, "expired", locale),
        "week_label": lambda w: day_label(w.start, locale), "section": "loyalty"})


def _program_page(request: Request, admin: Admin, program: Program, text: str, *,
                  errors: list[str] | None = None, saved: bool = False,
                  started: bool = True, status: int = 200) -> Response:
    return render(request, "admin/loyalty_program.html", {
        "admin": admin, "store": current_store(admin), "program": program, "text": text,
        "errors": errors or [], "saved": saved, "started": started, "section": "loyalty",
        "now": utcnow()},
        status=status)


@router.get("/loyalty/program")
def program_page(request: Request, admin: Admin = Depends(store_admin),
                 saved: Annotated[str, Query(max_length=8)] = "") -> Response:
    db: Database = request.app.state.db
    with db.reading() as s:
        started = programs.active(s, store_id=current_store(admin).id) is not None
        program = programs.load(s, store_id=current_store(admin).id)
    return _program_page(request, admin, program, as_text(program), saved=saved == "1",
                         started=started)


@router.post("/loyalty/program")
def save_program(request: Request, admin: Admin = Depends(store_csrf_checked),
                 document: Annotated[str, Form(max_length=MAX_DOCUMENT)] = "") -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    program, errors = document_problems(document, Program)
    if program is None:
        with db.reading() as s:
            started = programs.active(s, store_id=store.id) is not None
            current = programs.load(s, store_id=store.id)
        return _program_page(request, admin, current, document, errors=errors,
                             started=started, status=422)
    db.run(lambda s: programs.save(s, store_id=store.id, program=program))
    return redirect("/admin/loyalty/program?saved=1")


@router.get("/loyalty/members")
def member_list(request: Request, admin: Admin = Depends(store_admin), q: SearchText = "",
                tier: Annotated[str, Query(max_length=32)] = "",
                after: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        program = programs.load(s, store_id=store.id)
        if tier and tier != "-" and program.tier(tier) is None:
            raise PageError(400, "bad_request")
        rows, next_after = reports.members(s, store_id=store.id, query=q, tier=tier,
                                           after=after, limit=PAGE_SIZE)
    names = {t.key: t.name for t in program.tiers}
    return render(request, "admin/loyalty_members.html", {
        "admin": admin, "store": store, "members": rows, "q": q, "tier": tier,
        "tiers": program.ranked_tiers(), "tier_names": names, "next_after": next_after,
        "paged": after is not None, "section": "loyalty"})


def _member_page(request: Request, admin: Admin, customer_id: int, *,
                 problem: str | None = None, typed: dict[str, str] | None = None,
                 adjusted: bool = False, status: int = 200) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        customer = commerce.get_customer(s, store_id=store.id, customer_id=customer_id)
        if customer is None:
            raise PageError(404, "not_found")
        program = programs.load(s, store_id=store.id)
        found = standing.standing(s, store_id=store.id, customer_id=customer.id,
                                  program=program, with_purchases=False)
        held = found.account
        entries = ledger.entries(s, held, limit=LEDGER_SHOWN) if held else []
        codes = standing.codes(s, store_id=store.id, customer_id=customer.id)
        numbers = standing.order_numbers(s, store_id=store.id, ids=[
            e.source_id for e in entries if e.source == "order" and e.source_id])
        tier = program.tier(held.tier if held else None)
        return render(request, "admin/loyalty_member.html", {
            "admin": admin, "store": store, "customer": customer, "account": held,
            "tier_name": tier.name if tier else None, "standing": found,
            "entries": entries, "codes": codes, "numbers": numbers, "problem": problem,
            "typed": typed or {}, "adjusted": adjusted, "key": secrets.token_urlsafe(16),
            "section": "loyalty"}, status=status)


@router.get("/loyalty/members/{customer_id}")
def member(request: Request, customer_id: Id, admin: Admin = Depends(store_admin),
           adjusted: Annotated[str, Query(max_length=8)] = "") -> Response:
    return _member_page(request, admin, customer_id, adjusted=adjusted == "1")


@router.post("/loyalty/members/{customer_id}/adjust")
def adjust(request: Request, customer_id: Id, admin: Admin = Depends(store_csrf_checked),
           points: Annotated[str, Form(max_length=20)] = "",
           reason: Annotated[str, Form(max_length=1000)] = "",
           key: Annotated[str, Form(max_length=100)] = "") -> Response:
    store = current_store(admin)
    typed = {"points": points, "reason": reason}
    amount = _points(points)
    why = reason.strip()
    problem = None
    if amount is None:
        problem = (f"Points must be a whole number between -{ledger.MAX_ADJUSTMENT:,} and "
                   f"{ledger.MAX_ADJUSTMENT:,}, not 0.")
    elif not why or len(why) > 300:
        problem = "Give a reason (up to 300 characters): it is kept in the ledger."
    elif not KEY.match(key):
        problem = "The form was not complete: reload the page and try again."
    if problem is not None or amount is None:
        return _member_page(request, admin, customer_id, problem=problem, typed=typed,
                            status=422)
    db: Database = request.app.state.db

    def work(s: Session) -> None:
        if commerce.get_customer(s, store_id=store.id, customer_id=customer_id) is None:
            raise PageError(404, "not_found")
        ledger.adjust(s, store_id=store.id, customer_id=customer_id, points=amount,
                      reason=why, key=f"admin:{key}")

    try:
        db.run(work)
    except LoyaltyError as refused:
        return _member_page(request, admin, customer_id,
                            problem=ADJUST_REFUSALS.get(refused.code, refused.message),
                            typed=typed, status=409 if refused.status == 409 else 422)
    return redirect(f"/admin/loyalty/members/{customer_id}?adjusted=1")


def _points(text: str) -> int | None:
    cleaned = text.strip().replace(",", "").replace(" ", "")
    if not re.fullmatch(r"[+-]?\d{1,10}", cleaned):
        return None
    value = int(cleaned)
    return value if value and abs(value) <= ledger.MAX_ADJUSTMENT else None


REFERRAL_FILTERS = ("review", "pending", "ordered", "rewarded", "rejected", "void", "all")
REFERRALS_SHOWN = 200
DECISION_REFUSALS = {
    "invalid_status": "This referral was decided already (or its friend's order was "
                      "refunded): nothing changed.",
    "not_found": "No such referral in this store.",
}


def _referrals_page(request: Request, admin: Admin, status: str, *,
                    problem: str | None = None, decided: str = "",
                    status_code: int = 200) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        rows = referrals.listed(s, store_id=store.id,
                                status=None if status == "all" else status,
                                limit=REFERRALS_SHOWN)
        people = reports.customer_labels(s, store_id=store.id, ids={
            i for r in rows for i in (r.referrer_customer_id, r.friend_customer_id) if i})
        numbers = standing.order_numbers(s, store_id=store.id,
                                         ids=[r.order_id for r in rows if r.order_id])
    return render(request, "admin/loyalty_referrals.html", {
        "admin": admin, "store": store, "referrals": rows, "status": status,
        "filters": REFERRAL_FILTERS, "people": people, "numbers": numbers,
        "problem": problem, "decided": decided, "section": "loyalty"},
        status=status_code)


@router.get("/loyalty/referrals")
def referral_list(request: Request, admin: Admin = Depends(store_admin),
                  status: Annotated[str, Query(max_length=16)] = "review",
                  decided: Annotated[str, Query(max_length=16)] = "") -> Response:
    if status not in REFERRAL_FILTERS:
        raise PageError(400, "bad_request")
    return _referrals_page(request, admin, status,
                           decided=decided if decided in ("approved", "rejected") else "")


@router.post("/loyalty/referrals/{referral_id}/{verdict}")
def decide_referral(request: Request, referral_id: Id, verdict: str,
                    admin: Admin = Depends(store_csrf_checked),
                    reason: Annotated[str, Form(max_length=1000)] = "") -> Response:
    if verdict not in ("approve", "reject"):
        raise PageError(404, "not_found")
    store = current_store(admin)
    why = reason.strip()
    if not why or len(why) > 300:
        return _referrals_page(request, admin, "review", status_code=422,
                               problem="Give a reason (up to 300 characters): it is kept "
                                       "with the decision.")
    db: Database = request.app.state.db

    def work(s: Session) -> None:
        if verdict == "approve":
            referrals.approve(s, store_id=store.id, referral_id=referral_id, reason=why,
                              program=programs.load(s, store_id=store.id))
        else:
            referrals.reject(s, store_id=store.id, referral_id=referral_id, reason=why)

    try:
        db.run(work)
    except LoyaltyError as refused:
        return _referrals_page(request, admin, "review",
                               problem=DECISION_REFUSALS.get(refused.code, refused.message),
                               status_code=refused.status)
    return redirect(f"/admin/loyalty/referrals?decided={verdict}d")
