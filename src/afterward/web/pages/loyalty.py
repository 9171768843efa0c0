"""The shopper's loyalty page: /loyalty/{signed token} (loyalty/links.py) shows the
balance, the points pending and the day each becomes spendable, the tier and the
spend to the next one, the rewards that fit this customer first (each a form that
redeems it through loyalty/redemptions.py, as POST /api/v1/loyalty/redemptions does,
with the idempotency key the form carries: the same form sent twice makes one code),
the codes redeemed and the history in words. /loyalty/from/{tracking token} comes
from a tracking page; messages link the page itself (loyalty/message_part.py).

A refusal (too few points, a stale form) shows the page again with its message, in
the shopper's language, and writes nothing."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

from babel.numbers import format_decimal, format_percent
from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from afterward.commerce import service as commerce
from afterward.commerce.code_models import DiscountCode
from afterward.commerce.models import Customer, Store
from afterward.commerce.validation import minor_units_exponent
from afterward.config import Settings
from afterward.loyalty import ledger, links, programs, redemptions, referrals, standing
from afterward.loyalty.errors import LoyaltyError
from afterward.loyalty.models import LoyaltyEntry
from afterward.loyalty.program import Program, Reward, Tier
from afterward.modules import N_
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking import service as tracking
from afterward.web import i18n
from afterward.web.pages.form_csrf import FormCsrf
from afterward.web.pages.language import Speaker
from afterward.web.pages.returns_portal import not_found, see_other
from afterward.web.pages.tracking import lang_query, speaker_for
from afterward.web.pages.view import Brand, campaign_text, points_text

router = APIRouter(include_in_schema=False)
FORMS = FormCsrf("aw_loyalty", links.PATH, "afterward.loyalty.csrf.v1")
HISTORY = 50
KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
REWARD = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")  # a reward's key (loyalty/program.py)

REFUSALS = {
    "insufficient_points": N_("You do not have enough points for this reward yet."),
    "unknown_reward": N_("This reward is no longer offered."),
    "reward_unavailable": N_("This reward cannot be redeemed online yet."),
    "expired": N_("This page had expired, so nothing was redeemed. Please try again."),
    "tampered": N_("Something in the form was not right, so nothing was redeemed."),
}
CODE_STATES = {"issued": N_("Ready to use"), "used": N_("Used"),
               "cancelled": N_("Refunded into points"), "expired": N_("Expired")}


def secret(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.secret_key


def member_for(session: Session, request: Request, token: str
               ) -> tuple[Store, Customer] | None:
    found = links.read_member(secret(request), token)
    if found is None:
        return None
    store = session.get(Store, found[0])
    customer = commerce.get_customer(session, store_id=found[0], customer_id=found[1])
    return (store, customer) if store is not None and customer is not None else None


def signed(say: Speaker, points: int) -> str:
    return format_decimal(points, "+#,##0;-#,##0", locale=i18n.locale_or_default(say.code))


def benefit(say: Speaker, reward: Reward | DiscountCode, currency: str) -> str:
    """What a reward or a code gives, in words."""
    locale = i18n.locale_or_default(say.code)
    if isinstance(reward, DiscountCode):
        amount, percent = reward.value_minor, reward.percent
        currency = reward.currency or currency
    else:
        amount, percent = reward.discount_minor, reward.percent_off
    if amount is not None:
        return say.gettext("%(amount)s off", amount=i18n.money(amount, currency, say.code))
    if percent is not None:
        return say.gettext("%(amount)s off", amount=format_percent(percent / 100, locale=locale))
    free_shipping = reward.kind == "free_shipping" if isinstance(reward, DiscountCode) \
        else reward.free_shipping
    return say.gettext("Free shipping") if free_shipping else say.gettext("A free product")


def entry_words(say: Speaker, entry: LoyaltyEntry, numbers: dict[int, str]) -> str:
    number = numbers.get(entry.source_id or 0, "")
    if entry.source == "import":  # loyalty/balance_import.py
        return say.gettext("Carried over from our previous rewards program")
    if entry.kind == "earn" and entry.source == "order" and number:
        return say.gettext("Points for order %(number)s", number=number)
    if entry.kind == "earn" and entry.source == "birthday":
        return say.gettext("Birthday bonus")
    if entry.kind == "earn" and entry.source == "signup":
        return say.gettext("Bonus for creating an account")
    if entry.kind == "earn" and entry.source == "tier" and entry.reason:
        return say.gettext("Bonus for reaching %(tier)s", tier=entry.reason)
    if entry.kind == "earn":
        return say.gettext("Points earned")
    if entry.kind == "release" and number:
        return say.gettext("Points from order %(number)s can now be spent", number=number)
    if entry.kind == "release":
        return say.gettext("Pending points can now be spent")
    if entry.kind == "redeem" and entry.points < 0 and entry.reason:
        return say.gettext("Redeemed: %(reward)s", reward=entry.reason)  # name and code end
    if entry.kind == "redeem" and entry.points < 0:
        return say.gettext("Redeemed for a reward")
    if entry.kind == "redeem":
        return say.gettext("A reward code refunded into points")
    if entry.kind == "expire":
        return say.gettext("Points expired")
    if entry.kind == "clawback" and number:
        return say.gettext("Taken back: order %(number)s was returned or refunded",
                           number=number)
    if entry.kind == "clawback":
        return say.gettext("Taken back after a return or refund")
    return say.gettext("Adjusted by the store")


def ways_to_earn(say: Speaker, program: Program, currency: str, *, tier: Tier | None,
                 member: bool, has_account: bool = False) -> list[str]:
    """How points are earned, as Smile.io's panel lists them: per currency unit spent,
    the member's tier multiplier, then each bonus the program gives (the first order's
    only before the customer has earned anything, the sign-up's only to a customer
    without an account on the store), then the entry points of the tiers above the
    member's."""
    unit = 10 ** minor_units_exponent(currency)
    ways = [say.gettext("%(points)s for every %(amount)s spent", amount=i18n.money(
        unit, currency, say.code), points=points_text(say, program.points_per_currency_unit))
        ] if program.points_per_currency_unit else []
    if tier is not None and tier.multiplier_percent > 100:
        ways.append(say.gettext(
            "As %(tier)s you earn %(times)s times the points on orders.", tier=tier.name,
            times=format_decimal(tier.multiplier_percent / 100,
                                 locale=i18n.locale_or_default(say.code))))
    bonuses = program.bonuses
    for points, phrase in (
            (0 if has_account else bonuses.signup, N_("%(points)s for creating an account")),
            (0 if member else bonuses.first_order, N_("%(points)s on your first order")),
            (bonuses.birthday, N_("%(points)s on your birthday")),
            (bonuses.review, N_("%(points)s for a review")),
            (bonuses.review_photo, N_("%(points)s more for a review with a photo")),
            (program.referral.referrer_points if program.referral.enabled else 0,
             N_("%(points)s for each friend you refer who places an order"))):
        if points:
            ways.append(say.gettext(phrase, points=points_text(say, points)))
    ranked = program.ranked_tiers()
    above = ranked[ranked.index(tier) + 1:] if tier in ranked else ranked
    ways += [say.gettext("%(points)s when you reach %(tier)s", tier=higher.name,
                         points=points_text(say, higher.entry_points))
             for higher in above if higher.entry_points]
    return ways


def page_context(session: Session, request: Request, say: Speaker, store: Store,
                 customer: Customer, token: str) -> dict[str, Any] | None:
    program = programs.active(session, store_id=store.id)
    if program is None:
        return None
    now = utcnow()
    found = standing.standing(session, store_id=store.id, customer_id=customer.id,
                              program=program, now=now)
    held = found.account
    entries = ledger.entries(session, held, limit=HISTORY) if held else []
    numbers = standing.order_numbers(session, store_id=store.id, ids=[
        e.source_id for e in entries if e.source == "order" and e.source_id])
    money: Callable[[int], str] = lambda minor: i18n.money(minor, store.currency, say.code)  # noqa: E731
    tier = program.tier(held.tier if held else None)
    codes = standing.codes(session, store_id=store.id, customer_id=customer.id)
    return {
        "balance": points_text(say, held.points_balance if held else 0),
        "pending_total": points_text(say, held.points_pending) if held and held.points_pending
        else None,
        "pending": [(points_text(say, p.points), say.day(p.spendable_on), p.order_number)
                    for p in found.pending],
        "owed": points_text(say, held.points_debt) if held and held.points_debt else None,
        "tier": tier.name if tier else None,
        "tiered": bool(program.tiers),
        "campaign": campaign_text(say, program.campaign_shown(now), now),
        "ways": ways_to_earn(say, program, store.currency, tier=tier,
                             member=held is not None and held.lifetime_points > 0,
                             has_account=customer.account_state == "enabled"),
        "spend": money(found.spend_minor),
        "next": (found.next.tier.name, money(found.next.needed_minor),
                 round(found.next.progress * 100)) if found.next else None,
        "rewards": [{
            "key": fit.reward.key, "name": fit.reward.name,
            "cost": points_text(say, fit.reward.points),
            "benefit": benefit(say, fit.reward, store.currency),
            "affordable": fit.affordable and fit.redeemable, "redeemable": fit.redeemable,
            "short_by": points_text(say, fit.short_by), "fits": fit.fits_purchases,
        } for fit in found.fits],
        "codes": [(c.code, benefit(say, c, store.currency),
                   say.gettext(CODE_STATES.get(c.status, c.status)), c.status == "issued")
                  for c in codes],
        "history": [(say.day(e.created_at), say.iso(e.created_at), entry_words(say, e, numbers),
                     signed(say, e.points), e.points < 0) for e in entries],
        "action": f"{links.PATH}/{token}/redeem{lang_query(request)}",
        "key": secrets.token_urlsafe(16),
        "store_name": store.name,
        "referral_url": referrals.link(request.app.state.settings.public_url,
                                       held.referral_code if held else None)
        if program.referral.enabled else None,
    }


def member_page(request: Request, session: Session, token: str, store: Store,
                customer: Customer, *, problem: str | None = None,
                redeemed: tuple[str, str] | None = None, status: int = 200) -> Response:
    say = speaker_for(request, store, customer)
    context = page_context(session, request, say, store, customer, token)
    if context is None:
        return not_found(request)
    return FORMS.page(request, "pages/loyalty.html", say, {
        **context, "lang_query": lang_query(request),
        "problem": say.gettext(REFUSALS[problem]) if problem else None,
        "redeemed": redeemed}, brand=Brand.of(store), status=status)


@router.get("/loyalty/{token}")
def loyalty_page(request: Request, token: str) -> Response:
    db: Database = request.app.state.db
    with db.reading() as session:
        found = member_for(session, request, token)
        if found is None:
            return not_found(request)
        return member_page(request, session, token, *found)


@router.post("/loyalty/{token}/redeem")
def redeem(request: Request, token: str, reward: str = Form(""), key: str = Form(""),
           csrf: str = Form("")) -> Response:
    # Fields are checked here, not by FastAPI: a bad one gets the page, never JSON.
    db: Database = request.app.state.db
    with db.reading() as session:
        found = member_for(session, request, token)
        if found is None:
            return not_found(request)
        store, customer = found
        if programs.active(session, store_id=store.id) is None:
            return not_found(request)
        if not FORMS.ok(request, csrf[:200]):
            return member_page(request, session, token, *found, problem="expired", status=403)
        if not KEY.match(key) or not REWARD.match(reward):
            return member_page(request, session, token, *found, problem="tampered",
                               status=400)

    def work(session: Session) -> tuple[str, str]:
        program = programs.load(session, store_id=store.id)
        code = redemptions.redeem(session, store_id=store.id, customer_id=customer.id,
                                  program=program, reward_key=reward,
                                  idempotency_key=f"page:{customer.id}:{key}").code
        return code.code, code.source_id or ""

    try:
        made, reward_key = db.run(work)
    except LoyaltyError as refused:
        with db.reading() as session:
            again = member_for(session, request, token)
            assert again is not None
            problem = refused.code if refused.code in REFUSALS else "tampered"
            return member_page(request, session, token, *again, problem=problem,
                               status=409 if refused.status == 409 else 422)
    with db.reading() as session:
        again = member_for(session, request, token)
        assert again is not None
        program = programs.load(session, store_id=store.id)
        name = next((r.name for r in program.rewards if r.key == reward_key), reward_key)
        return member_page(request, session, token, *again, redeemed=(made, name))


@router.get("/loyalty/from/{tracking_token}")
def from_tracking(request: Request, tracking_token: str) -> Response:
    """The tracking page's loyalty block: its token names the parcel, hence the order
    and its customer; the page's own signed link takes over from there."""
    db: Database = request.app.state.db
    with db.reading() as session:
        shipment = tracking.by_token(session, tracking_token[:200])
        order = commerce.get_order(session, store_id=shipment.store_id,
                                   order_id=shipment.order_id) \
            if shipment is not None and shipment.order_id is not None else None
        if order is None or order.customer_id is None:
            return not_found(request)
        path = links.member_path(secret(request), order.store_id, order.customer_id)
    return see_other(path + lang_query(request))
