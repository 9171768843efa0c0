"""The shopper's returns portal: /returns finds the order (its number and the email
address or postal code it was placed with, counted by the same throttle as /track,
and a miss says nothing of which fact was wrong), /returns/from/{tracking token}
comes straight from a tracking page; both lead to /returns/o/{signed order token},
where the shopper chooses items, quantities and reasons. The steps after that are in
returns_steps.py, the status page in return_status.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from afterward.commerce import service as commerce
from afterward.commerce.models import Order, Store
from afterward.returns import choices
from afterward.storage.db import Database
from afterward.tracking import service as tracking
from afterward.web.pages import load
from afterward.web.pages import returns_form as forms
from afterward.web.pages import returns_links as links
from afterward.web.pages.lookup import MAX_FIELD, WINDOW_SECONDS, lookup_throttle
from afterward.web.pages.render import render
from afterward.web.pages.tracking import lang_query, speaker_for
from afterward.web.pages.view import Brand

router = APIRouter(include_in_schema=False)


def _clean(value: str | None) -> str:
    return (value or "").strip()[:MAX_FIELD]


def see_other(location: str) -> Response:
    return RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})


def not_found(request: Request) -> Response:
    say = speaker_for(request, None, None)
    return render(request, "pages/error.html", say, {"lang_link": lang_query(request)},
                  status=404)


def page(request: Request, name: str, store: Store, context: dict[str, Any], *,
         status: int = 200) -> Response:
    """A portal page with its form's CSRF value (and the cookie that holds it); a
    page about an order has the assistant's chat, bound to that order."""
    say = speaker_for(request, store, None)
    order = context.get("order")
    chat = links.order_token(request, store.id, order.id) if isinstance(order, Order) else ""
    response = links.FORMS.page(request, name, say, {
        "lang_query": lang_query(request), "store_name": store.name,
        "reason_label": lambda code: say.gettext(forms.reason_label(code)),
        "assistant_order": chat, **context},
        brand=Brand.of(store), status=status)
    if chat:  # the chat's script, and its posts to here
        policy = response.headers["content-security-policy"]
        response.headers["content-security-policy"] = policy.replace(
            "style-src", "script-src 'self'; connect-src 'self'; style-src", 1)
    return response


def order_for(session: Session, request: Request, token: str) -> tuple[Store, Order] | None:
    found = links.read_order_token(request, token)
    if found is None:
        return None
    store = session.get(Store, found[0])
    order = commerce.get_order(session, store_id=found[0], order_id=found[1])
    return (store, order) if store is not None and order is not None else None


def choose_page(request: Request, session: Session, token: str, store: Store, order: Order,
                *, problem: str | None = None, status: int = 200,
                kept: dict[str, str] | None = None) -> Response:
    """The order's lines, what can come back of each (or why not), and the reasons;
    after a refusal, with the shopper's choices (`kept`, the form sent) as they were."""
    offer = choices.for_order(session, order)
    say = speaker_for(request, store, None)
    return page(request, "pages/returns_choose.html", store, {
        "order": order, "offer": offer, "token": token,
        "problem": say.gettext(forms.message(problem or "")) if problem else None,
        "refusal": lambda code: say.gettext(forms.LINE_REFUSALS.get(code or "", code or "")),
        "deadline": say.day(offer.deadline) if offer.deadline else None,
        "can_return": any(line.returnable for line in offer.lines), "kept": kept or {},
        "action": f"{links.PATH}/o/{token}/review{lang_query(request)}"}, status=status)


@router.get("/returns/o/{token}")
def choose(request: Request, token: str) -> Response:
    db: Database = request.app.state.db
    with db.reading() as session:
        found = order_for(session, request, token)
        if found is None:
            return not_found(request)
        return choose_page(request, session, token, *found)


@router.get("/returns/from/{tracking_token}")
def from_tracking(request: Request, tracking_token: str) -> Response:
    """The tracking page's "Start a return": its token names the parcel, hence the
    order; the portal's own signed link takes over from there."""
    db: Database = request.app.state.db
    with db.reading() as session:
        shipment = tracking.by_token(session, tracking_token[:200])
        if shipment is None or shipment.order_id is None:
            return not_found(request)
        path = links.order_path(request, shipment.store_id, shipment.order_id)
    return see_other(path + lang_query(request))


@router.get("/returns")
def lookup_get(request: Request) -> Response:
    q = request.query_params
    return _lookup_form(request, _clean(q.get("store")), _clean(q.get("order_number")))


@router.post("/returns")
def lookup_post(request: Request, order_number: str = Form(""), email: str = Form(""),
                store: str = Form("")) -> Response:
    number, contact, slug = _clean(order_number), _clean(email), _clean(store)
    if not (number and contact):
        return _lookup_form(request, slug, number, contact, "incomplete", 400)
    address = request.client.host if request.client else ""
    if not lookup_throttle(request.app.state.settings).attempt(request.app.state.db, address):
        return _lookup_form(request, slug, number, contact, "throttled", 429)
    postal_code = "" if "@" in contact else contact
    db: Database = request.app.state.db
    with db.reading() as session:
        shop = load.store_for(session, slug or None)
        order = load.find_order(session, shop, number=number,
                                email=contact if not postal_code else "",
                                postal_code=postal_code) if shop else None
        if shop is None or order is None:
            return _lookup_form(request, slug, number, contact, "not_found", 404)
        return see_other(links.order_path(request, shop.id, order.id) + lang_query(request))


def _lookup_form(request: Request, slug: str, number: str, contact: str = "",
                 problem: str | None = None, status: int = 200) -> Response:
    db: Database = request.app.state.db
    with db.reading() as session:
        store = load.store_for(session, slug or None)
    say = speaker_for(request, store, None)
    headers = {"Retry-After": str(WINDOW_SECONDS)} if problem == "throttled" else None
    return render(request, "pages/lookup.html", say, {
        "purpose": "return", "problem": problem, "number": number, "contact": contact,
        "store_slug": store.slug if store else slug, "ask_store": store is None and not slug,
        "action": links.PATH + lang_query(request)},
        brand=Brand.of(store) if store else None, status=status, headers=headers,
        keep_params=frozenset({"store", "order_number"}))
