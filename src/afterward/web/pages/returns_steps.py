"""The returns portal's steps after choosing items: the resolution (/review), the
confirmation with every amount (/check) and the request itself (/confirm), which goes
through returns.service exactly as POST /api/v1/returns does, with the idempotency
key the confirmation form carries: the same form sent twice makes one return.

Every step reads the choices again from the form and asks the policy again; any
refusal shows the item page with its message, in the shopper's language, and records
nothing. A missing or stale CSRF cookie changes nothing either."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from afterward.commerce.models import Order, Store
from afterward.returns import choices, service
from afterward.returns.errors import ReturnError
from afterward.returns.policy import Decision
from afterward.returns.schemas import ReturnIn
from afterward.storage.db import Database
from afterward.web import i18n
from afterward.web.pages import returns_form as forms
from afterward.web.pages import returns_links as links
from afterward.web.pages.returns_portal import choose_page, not_found, order_for, page, see_other
from afterward.web.pages.tracking import lang_query, speaker_for

router = APIRouter(include_in_schema=False)

Step = Callable[[Session, Store, Order, dict[str, str]], Response]


async def _form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {k: v for k, v in data.items() if isinstance(v, str)}


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
    form = await _form(request)

    def step(session: Session, store: Store, order: Order, form: dict[str, str]) -> Response:
        chosen = forms.chosen_lines(form, order)
        decision, offered = service.preview(session, order=order,
                                            data=forms.request(order, chosen))
        options = _exchange_options(session, order, chosen) if "exchange" in offered else []
        if not [name for name in offered if name != "exchange" or options]:
            raise forms.Problem("resolution_not_offered")
        say = speaker_for(request, store, None)
        money = _money(order, say.code)
        return page(request, "pages/returns_resolution.html", store, {
            "order": order, "hidden": forms.hidden_fields(chosen), "offered": [
                _option(name, decision, money, say.gettext) for name in offered
                if name != "exchange" or options],
            "exchanges": [(o.sku, o.title, money(o.price_minor)) for o in options],
            "action": f"{links.PATH}/o/{token}/check{lang_query(request)}"})

    return await run_in_threadpool(_guarded, request, token, form, step)


@router.post("/returns/o/{token}/check")
async def check(request: Request, token: str) -> Response:
    form = await _form(request)

    def step(session: Session, store: Store, order: Order, form: dict[str, str]) -> Response:
        chosen = forms.chosen_lines(form, order)
        resolution, sku = form.get("resolution", ""), form.get("exchange_for_sku") or None
        decision, offered = service.preview(
            session, order=order, data=forms.request(order, chosen, resolution, sku))
        if resolution not in offered:
            raise forms.Problem("resolution_not_offered")
        exchange = _exchange_for(session, order, chosen, sku) if sku else None
        say = speaker_for(request, store, None)
        money = _money(order, say.code)
        titles = {line.id: line.title for line in order.lines}
        return page(request, "pages/returns_confirm.html", store, {
            "order": order, "hidden": [*forms.hidden_fields(chosen),
                                       ("resolution", resolution),
                                       ("exchange_for_sku", sku or "")],
            "key": secrets.token_urlsafe(24),
            "items": [(c.quantity, titles[c.line_id], say.gettext(forms.reason_label(c.reason)))
                      for c in chosen],
            "summary": _summary(resolution, decision, exchange, money, say.gettext),
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
            store_id, data, key = _confirmed(request, form, *found)
        except forms.Problem as problem:
            status = {"expired": 403, "tampered": 400}.get(problem.code, 422)
            return choose_page(request, session, token, *found, problem=problem.code,
                               status=status, kept=form)

    def work(session: Session) -> int:
        rma, _ = service.request_return(session, store_id=store_id, data=data,
                                        idempotency_key=f"portal:{key}")
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
               order: Order) -> tuple[int, ReturnIn, str]:
    """The confirm form read into a request and its key, or the Problem with it."""
    if not links.csrf_ok(request, form.get("csrf", "")):
        raise forms.Problem("expired")
    key = form.get("key", "")
    data = forms.request(order, forms.chosen_lines(form, order), form.get("resolution", ""),
                         form.get("exchange_for_sku") or None)
    if not (0 < len(key) <= 100 and key.isascii() and key.isprintable()):
        raise forms.Problem("tampered")
    return store.id, data, key


def _money(order: Order, code: str) -> Callable[[int], str]:
    return lambda minor: i18n.money(minor, order.currency, code)


def _exchange_options(session: Session, order: Order,
                      chosen: list[forms.Chosen]) -> list[choices.ExchangeOption]:
    return choices.exchange_options(session, order, [c.sku for c in chosen],
                                    sum(c.quantity for c in chosen))


def _exchange_for(session: Session, order: Order, chosen: list[forms.Chosen],
                  sku: str) -> tuple[choices.ExchangeOption, int]:
    for option in _exchange_options(session, order, chosen):
        if option.sku == sku:
            return option, sum(c.quantity for c in chosen)
    raise forms.Problem("unknown_exchange_sku")


def _option(name: str, decision: Decision, money: Callable[[int], str],
            gettext: Callable[..., str]) -> dict[str, Any]:
    fee = decision.fee(name)
    refund, credit = decision.amounts(name)
    if name == "store_credit":
        detail = gettext("%(amount)s in store credit, including a bonus of %(bonus)s",
                     amount=money(credit), bonus=money(decision.bonus_minor))
    elif name == "exchange":
        detail = gettext("Another size or colour of the same product, sent to you")
    else:
        detail = gettext("%(amount)s back", amount=money(refund))
    return {"name": name, "label": gettext(forms.RESOLUTION_NAMES[name]), "detail": detail,
            "fee": money(fee) if fee else None}


def _summary(resolution: str, decision: Decision,
             exchange: tuple[choices.ExchangeOption, int] | None,
             money: Callable[[int], str], gettext: Callable[..., str]) -> list[tuple[str, str]]:
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
        difference = option.price_minor * units - decision.value_minor + fee
        rows.append((gettext("You receive"), f"{units} \u00d7 {option.title}"))
        rows.append((gettext("You pay the difference") if difference > 0
                     else gettext("We refund the difference"), money(abs(difference))))
    else:
        rows.append((gettext("Refund to your original payment"), money(refund)))
    return rows


@router.get("/returns/o/{token}/{step:path}")
def step_by_link(request: Request, token: str, step: str) -> Response:
    """A form step's language links (and a reload of its address) ask for it with GET:
    the choices were in the form, so the shopper starts again at the items."""
    return see_other(f"{links.PATH}/o/{token}{lang_query(request)}")
