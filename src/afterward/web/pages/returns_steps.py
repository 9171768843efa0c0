"""The returns portal's steps after choosing items: the resolution (/review), the
confirmation with every amount (/check) and the request itself (/confirm), which goes
through returns.service exactly as POST /api/v1/returns does, with the idempotency
key the confirmation form carries: the same form sent twice makes one return.

The item form is multipart: /review takes the photos of each line (returns/
photo_files.py cleans them), stores them waiting for the return, and carries their
tokens on; a line the policy wants a photo of cannot go further without one. The
resolution step offers an exchange for another variant, or (when the policy allows
it) for any other product in stock, found by a search that is a second form on the
page (no JavaScript), each with the difference to pay or to get back.

Every step reads the choices again from the form and asks the policy again; any
refusal shows the item page with its message, in the shopper's language, and records
nothing. A missing or stale CSRF cookie changes nothing either."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from afterward.commerce.models import Order, Store
from afterward.returns import choices, facts, photos, service
from afterward.returns.errors import ReturnError
from afterward.returns.photo_files import MAX_BYTES, MAX_PER_LINE, CleanPhoto, PhotoError, clean
from afterward.returns.policy import Decision
from afterward.returns.schemas import GiftRecipientIn, ReturnIn
from afterward.storage.db import Database
from afterward.web import i18n
from afterward.web.pages import returns_form as forms
from afterward.web.pages import returns_links as links
from afterward.web.pages.returns_portal import choose_page, not_found, order_for, page, see_other
from afterward.web.pages.tracking import lang_query, speaker_for

router = APIRouter(include_in_schema=False)

Step = Callable[[Session, Store, Order, dict[str, str]], Response]
Uploads = dict[int, list[bytes]]  # per order line id, the files as sent
MAX_FILES = 30
MAX_QUERY = 100


async def _form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {k: v for k, v in data.items() if isinstance(v, str)}


async def _form_with_uploads(request: Request) -> tuple[dict[str, str], Uploads]:
    """The fields, and the photos per line (`upload_<line id>`, read up to one byte
    over the cap, so a larger one is known to be too large without reading it all)."""
    data = await request.form(max_files=MAX_FILES)
    uploads: Uploads = {}
    for name, value in data.multi_items():
        if not isinstance(value, UploadFile) or not name.startswith("upload_"):
            continue
        raw = await value.read(MAX_BYTES + 1)
        line_id = name[7:]
        if (raw or value.filename) and line_id.isascii() and line_id.isdigit():
            uploads.setdefault(int(line_id[:18]), []).append(raw)
    await data.close()
    return {k: v for k, v in data.items() if isinstance(v, str)}, uploads


def _guarded(request: Request, token: str, form: dict[str, str], step: Step) -> Response:
    db: Database = request.app.state.db
    with db.reading() as session:
        found = order_for(session, request, token)
        if found is None:
            return not_found(request)
        if not links.csrf_ok(request, form.get("csrf", "")):
            return choose_page(request, session, token, *found, problem="expired", status=403,
                               kept=form)
        try:
            return step(session, *found, form)
        except forms.Problem as problem:
            code = 422 if problem.code != "tampered" else 400
            return choose_page(request, session, token, *found, problem=problem.code,
                               status=code, kept=form)
        except ReturnError as refused:
            return choose_page(request, session, token, *found, problem=refused.code,
                               status=422, kept=form)


@router.post("/returns/o/{token}/review")
async def review(request: Request, token: str) -> Response:
    form, uploads = await _form_with_uploads(request)

    def step(session: Session, store: Store, order: Order, form: dict[str, str]) -> Response:
        chosen = forms.chosen_lines(form, order)
        recipient = forms.gift(form)
        new = _cleaned(chosen, uploads)
        decision, offered = service.preview(
            session, order=order, data=forms.request(order, chosen, recipient=recipient))
        for index in decision.photo_lines:
            if not chosen[index].photos and not new.get(chosen[index].line_id):
                raise forms.Problem("photo_required")
        query = form.get("q", "").strip()[:MAX_QUERY]
        same, others = (_exchange_choices(session, order, chosen, query)
                        if "exchange" in offered else ([], []))
        if not [name for name in offered if name != "exchange" or same or others or query]:
            raise forms.Problem("resolution_not_offered")
        chosen = _stored(request, order, chosen, new)
        say = speaker_for(request, store, None)
        money = _money(order, say.code)
        hidden = forms.hidden_fields(chosen, recipient)
        allowed = "exchange" in offered and _others_allowed(session, order)
        shown = _difference(decision, chosen, money, say.gettext, recipient is not None)
        return page(request, "pages/returns_resolution.html", store, {
            "order": order, "hidden": hidden, "offered": [
                _option(name, decision, money, say.gettext, recipient, allowed) for name in offered
                if name != "exchange" or same or others or query],
            "exchanges": [(o.sku, o.title, money(o.price_minor), shown(o)) for o in same],
            "others": [(o.sku, o.title, money(o.price_minor), shown(o)) for o in others],
            "search": allowed and bool(same or others or query),
            "instant": "exchange" in offered and bool(same or others) and facts.load_policy(
                session, store_id=store.id).instant_exchange,
            "instant_picked": form.get("instant_exchange") == "1",
            "picked_resolution": "exchange" if "q" in form and "exchange" in offered else "",
            "query": query, "picked": form.get("exchange_for_sku", ""),
            "search_action": f"{links.PATH}/o/{token}/review{lang_query(request)}",
            "action": f"{links.PATH}/o/{token}/check{lang_query(request)}"})

    return await run_in_threadpool(_guarded, request, token, form, step)


def _cleaned(chosen: list[forms.Chosen], uploads: Uploads) -> dict[int, list[CleanPhoto]]:
    """The photos sent for the chosen lines, cleaned (those of other lines ignored)."""
    out: dict[int, list[CleanPhoto]] = {}
    for c in chosen:
        sent = uploads.get(c.line_id, [])
        if len(c.photos) + len(sent) > MAX_PER_LINE:
            raise forms.Problem("too_many_photos")
        try:
            out[c.line_id] = [clean(raw) for raw in sent]
        except PhotoError as refused:
            raise forms.Problem(refused.code) from refused
    return out


def _stored(request: Request, order: Order, chosen: list[forms.Chosen],
            new: dict[int, list[CleanPhoto]]) -> list[forms.Chosen]:
    """The new photos stored, waiting for the return; the lines with their tokens."""
    if not any(new.values()):
        return chosen
    db: Database = request.app.state.db

    def work(session: Session) -> dict[int, list[str]]:
        return {line_id: [photos.upload(session, order=order, order_line_id=line_id,
                                        photo=photo).token for photo in made]
                for line_id, made in new.items()}

    tokens = db.run(work)
    return [replace(c, photos=(*c.photos, *tokens.get(c.line_id, []))) for c in chosen]


def _others_allowed(session: Session, order: Order) -> bool:
    return facts.load_policy(session, store_id=order.store_id).exchange_other_products


def _exchange_choices(session: Session, order: Order, chosen: list[forms.Chosen], query: str
                      ) -> tuple[list[choices.ExchangeOption], list[choices.ExchangeOption]]:
    """Other variants of the same products, and other products in stock (the policy
    allowing), matching the search."""
    policy = facts.load_policy(session, store_id=order.store_id)
    units = sum(c.quantity for c in chosen)
    same = _exchange_options(session, order, chosen)
    others = choices.other_products(
        session, order, [c.sku for c in chosen], units, query,
        excluded_categories=policy.non_returnable_categories) \
        if policy.exchange_other_products else []
    return same, others


def _difference(decision: Decision, chosen: list[forms.Chosen], money: Callable[[int], str],
                gettext: Callable[..., str], gift: bool
                ) -> Callable[[choices.ExchangeOption], str]:
    units = sum(c.quantity for c in chosen)

    def shown(option: choices.ExchangeOption) -> str:
        difference = _exchange_difference(decision, option, units)
        if difference > 0:
            return gettext("You pay %(amount)s", amount=money(difference))
        if difference < 0 and gift:
            return gettext("%(amount)s in store credit for you", amount=money(-difference))
        if difference < 0:
            return gettext("You get %(amount)s back", amount=money(-difference))
        return gettext("Nothing to pay")

    return shown


def _exchange_difference(decision: Decision, option: choices.ExchangeOption,
                         units: int) -> int:
    """What the shopper pays (> 0) or gets back (< 0): another product is measured
    against the value plus the store's credit bonus."""
    bonus = decision.bonus_minor if option.other_product else 0
    return option.price_minor * units - (decision.value_minor + bonus) + decision.fee("exchange")


@router.post("/returns/o/{token}/check")
async def check(request: Request, token: str) -> Response:
    form = await _form(request)

    def step(session: Session, store: Store, order: Order, form: dict[str, str]) -> Response:
        chosen = forms.chosen_lines(form, order)
        recipient = forms.gift(form)
        resolution = form.get("resolution", "")
        sku = (form.get("exchange_for_sku") or None) if resolution == "exchange" else None
        instant = forms.instant(form)
        decision, offered = service.preview(session, order=order, data=forms.request(
            order, chosen, resolution, sku, recipient, instant))
        if resolution not in offered:
            raise forms.Problem("resolution_not_offered")
        exchange = _exchange_for(session, order, chosen, sku) if sku else None
        say = speaker_for(request, store, None)
        money = _money(order, say.code)
        titles = {line.id: line.title for line in order.lines}
        return page(request, "pages/returns_confirm.html", store, {
            "order": order, "hidden": [*forms.hidden_fields(chosen, recipient),
                                       ("resolution", resolution),
                                       ("exchange_for_sku", sku or ""),
                                       ("instant_exchange", "1" if instant else "")],
            "key": secrets.token_urlsafe(24),
            "items": [(c.quantity, titles[c.line_id], say.gettext(forms.reason_label(c.reason)),
                       len(c.photos)) for c in chosen],
            "gift_email": recipient.email if recipient else None,
            "summary": _summary(resolution, decision, exchange, money, say.gettext,
                                recipient is not None, instant),
            "deadline": say.day(decision.deadline) if decision.deadline else None,
            "keep": resolution == "keep",
            "action": f"{links.PATH}/o/{token}/confirm{lang_query(request)}"})

    return await run_in_threadpool(_guarded, request, token, form, step)


@router.post("/returns/o/{token}/confirm")
async def confirm(request: Request, token: str) -> Response:
    # The database work runs in the thread pool: a request waiting on another's lock
    # (the same key, the same order) must not hold up the event loop.
    return await run_in_threadpool(_confirm, request, token, await _form(request))


def _confirm(request: Request, token: str, form: dict[str, str]) -> Response:
    db: Database = request.app.state.db
    with db.reading() as session:
        found = order_for(session, request, token)
        if found is None:
            return not_found(request)
        try:
            store_id, data, key, tokens = _confirmed(request, form, *found)
        except forms.Problem as problem:
            status = {"expired": 403, "tampered": 400}.get(problem.code, 422)
            return choose_page(request, session, token, *found, problem=problem.code,
                               status=status, kept=form)

    def work(session: Session) -> int:
        rma, _ = service.request_return(session, store_id=store_id, data=data,
                                        idempotency_key=f"portal:{key}", photo_tokens=tokens)
        return rma.id

    try:
        return_id = db.run(work)
    except ReturnError as refused:
        with db.reading() as session:
            found = order_for(session, request, token)
            assert found is not None
            return choose_page(request, session, token, *found, problem=refused.code,
                               status=422, kept=form)
    return see_other(links.status_path(request, store_id, return_id) + lang_query(request))


def _confirmed(request: Request, form: dict[str, str], store: Store,
               order: Order) -> tuple[int, ReturnIn, str, dict[int, list[str]]]:
    """The confirm form read into a request and its key, or the Problem with it."""
    if not links.csrf_ok(request, form.get("csrf", "")):
        raise forms.Problem("expired")
    key = form.get("key", "")
    chosen = forms.chosen_lines(form, order)
    data = forms.request(order, chosen, form.get("resolution", ""),
                         form.get("exchange_for_sku") or None, forms.gift(form),
                         forms.instant(form))
    if not (0 < len(key) <= 100 and key.isascii() and key.isprintable()):
        raise forms.Problem("tampered")
    return store.id, data, key, {c.line_id: list(c.photos) for c in chosen}


def _money(order: Order, code: str) -> Callable[[int], str]:
    return lambda minor: i18n.money(minor, order.currency, code)


def _exchange_options(session: Session, order: Order,
                      chosen: list[forms.Chosen]) -> list[choices.ExchangeOption]:
    return choices.exchange_options(session, order, [c.sku for c in chosen],
                                    sum(c.quantity for c in chosen))


def _exchange_for(session: Session, order: Order, chosen: list[forms.Chosen],
                  sku: str) -> tuple[choices.ExchangeOption, int]:
    """The option the form names, if it is one the shopper may have (a SKU changed by
    hand, out of stock or of a category that cannot be returned is not)."""
    units = sum(c.quantity for c in chosen)
    for option in _exchange_options(session, order, chosen):
        if option.sku == sku:
            return option, units
    policy = facts.load_policy(session, store_id=order.store_id)
    if policy.exchange_other_products:
        found = choices.other_products(session, order, [c.sku for c in chosen], units,
                                       sku=sku, limit=1,
                                       excluded_categories=policy.non_returnable_categories)
        if found:
            return found[0], units
    raise forms.Problem("unknown_exchange_sku")


def _option(name: str, decision: Decision, money: Callable[[int], str],
            gettext: Callable[..., str], recipient: GiftRecipientIn | None = None,
            others: bool = False) -> dict[str, Any]:
    fee = decision.fee(name)
    refund, credit = decision.amounts(name)
    if name == "store_credit" and recipient is not None:
        detail = gettext("%(amount)s in store credit for %(email)s, including a bonus of "
                         "%(bonus)s", amount=money(credit), email=recipient.email,
                         bonus=money(decision.bonus_minor))
    elif name == "store_credit":
        detail = gettext("%(amount)s in store credit, including a bonus of %(bonus)s",
                     amount=money(credit), bonus=money(decision.bonus_minor))
    elif name == "exchange" and others:
        detail = gettext("Another size, colour or product, sent to you")
    elif name == "exchange":
        detail = gettext("Another size or colour of the same product, sent to you")
    else:
        detail = gettext("%(amount)s back", amount=money(refund))
    return {"name": name, "label": gettext(forms.RESOLUTION_NAMES[name]), "detail": detail,
            "fee": money(fee) if fee else None}


def _summary(resolution: str, decision: Decision,
             exchange: tuple[choices.ExchangeOption, int] | None,
             money: Callable[[int], str], gettext: Callable[..., str],
             gift: bool = False, instant: bool = False) -> list[tuple[str, str]]:
    """(label, amount) rows of the confirmation."""
    fee = decision.fee(resolution)
    rows = [(gettext("What you return is worth"), money(decision.value_minor))]
    if fee:
        rows.append((gettext("Return fee"), "\u2212" + money(fee)))
    refund, credit = decision.amounts(resolution)
    if resolution == "store_credit":
        rows += [(gettext("Bonus"), money(decision.bonus_minor)),
                 (gettext("Store credit for you"), money(credit))]
    elif resolution == "exchange" and exchange is not None:
        option, units = exchange
        difference = _exchange_difference(decision, option, units)
        if option.other_product:
            rows.append((gettext("Bonus"), money(decision.bonus_minor)))
        rows.append((gettext("You receive"), f"{units} \u00d7 {option.title}"))
        if instant:
            rows.append((gettext("When we send it"),
                         gettext("as soon as the carrier scans your parcel")))
        if difference > 0:
            rows.append((gettext("You pay the difference"), money(difference)))
        elif gift:
            rows.append((gettext("Store credit for you"), money(-difference)))
        else:
            rows.append((gettext("We refund the difference"), money(-difference)))
    else:
        rows.append((gettext("Refund to your original payment"), money(refund)))
    return rows


@router.get("/returns/o/{token}/{step:path}")
def step_by_link(request: Request, token: str, step: str) -> Response:
    """A form step's language links (and a reload of its address) ask for it with GET:
    the choices were in the form, so the shopper starts again at the items."""
    return see_other(f"{links.PATH}/o/{token}{lang_query(request)}")
