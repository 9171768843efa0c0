"""A member's referral link: /r/{code}. The friend sees the store's offer and a form
for their email; sending it registers the referral (loyalty/referrals.py) and shows
the friend's single-use code, or says that it waits for a check (a fraud signal sent
the referral to review). The form is guarded as the other shopper forms are (a CSRF
value in a signed, HttpOnly, SameSite=Strict cookie) and counted per visitor's
address (a throttle); a code that names no member, or a store whose referrals are
off, is a 404 that says nothing more. The device check keeps only a hash of the
visitor's IP and user agent."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from afterward.commerce import validation
from afterward.commerce.models import Store
from afterward.commerce.validation import InvalidValue
from afterward.loyalty import programs, referrals
from afterward.loyalty.errors import LoyaltyError
from afterward.storage.db import Database
from afterward.throttle import Throttle
from afterward.web import i18n
from afterward.web.pages.form_csrf import FormCsrf
from afterward.web.pages.render import render
from afterward.web.pages.tracking import lang_query, speaker_for
from afterward.web.pages.view import Brand

router = APIRouter(include_in_schema=False)

PATH = "/r"
FORMS = FormCsrf("aw_referral", PATH, "afterward.referral.csrf.v1")
LIMIT, WINDOW_SECONDS = 10, 10 * 60


def _offer(session: Session, code: str) -> tuple[Store, int, int] | None:
    """(store, member's customer id, the friend's discount) for a live link."""
    member = referrals.member_by_code(session, code)
    if member is None:
        return None
    program = programs.active(session, store_id=member.store_id)
    store = session.get(Store, member.store_id)
    if program is None or not program.referral.enabled or store is None:
        return None
    return store, member.customer_id, program.referral.friend_discount_minor


def not_found(request: Request) -> Response:
    say = speaker_for(request, None, None)
    return render(request, "pages/referral_missing.html", say, {}, status=404)


def _page(request: Request, code: str, store: Store, discount: int, *,
          problem: str | None = None, outcome: dict[str, Any] | None = None,
          typed: str = "", status: int = 200) -> Response:
    say = speaker_for(request, store, None)
    return FORMS.page(request, "pages/referral.html", say, {
        "store_name": store.name, "problem": problem, "outcome": outcome, "typed": typed,
        "offer": i18n.money(discount, store.currency, say.code) if discount else None,
        "action": f"{PATH}/{code}{lang_query(request)}"},
        brand=Brand.of(store), status=status)


@router.get("/r/{code}")
def landing(request: Request, code: str) -> Response:
    db: Database = request.app.state.db
    with db.reading() as session:
        found = _offer(session, code)
        if found is None:
            return not_found(request)
        store, _, discount = found
        return _page(request, code, store, discount)


@router.post("/r/{code}")
def sign_up(request: Request, code: str, csrf: str = Form(""), email: str = Form("")
            ) -> Response:
    db: Database = request.app.state.db
    with db.reading() as session:
        found = _offer(session, code)
    if found is None:
        return not_found(request)
    store, referrer_id, discount = found
    typed = email.strip()[:320]
    if not FORMS.ok(request, csrf):
        return _page(request, code, store, discount, problem="expired", typed=typed,
                     status=403)
    try:
        friend_email = validation.email_address(typed)
    except InvalidValue:
        return _page(request, code, store, discount, problem="email", typed=typed,
                     status=422)
    address = request.client.host if request.client else ""
    throttle = Throttle(scope="referral", limit=LIMIT, window_seconds=WINDOW_SECONDS,
                        secret=request.app.state.settings.secret_key)
    if not throttle.attempt(db, address):
        return _page(request, code, store, discount, problem="throttled", typed=typed,
                     status=429)

    language = speaker_for(request, store, None).code  # the friend's, for their email

    def work(session: Session) -> dict[str, Any]:
        program = programs.load(session, store_id=store.id)
        referral, created = referrals.refer(
            session, store_id=store.id, program=program, referrer_customer_id=referrer_id,
            friend_email=friend_email, channel="link", ip=address or None,
            user_agent=request.headers.get("user-agent", "")[:500] or None,
            locale=language)
        given = referrals.friend_code(session, referral) if created else None
        return {"code": given.code if given is not None else None,
                "review": referral.status == "review", "again": not created}

    try:
        outcome = db.run(work)
    except LoyaltyError as refused:
        if refused.code != "already_referred":
            return not_found(request)
        outcome = {"code": None, "review": False, "again": True}
    return _page(request, code, store, discount, outcome=outcome)
