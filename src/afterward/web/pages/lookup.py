"""Finding an order without the link: /track with the order number and the email
address (or shipping postal code) it was placed with, as a form or as query
parameters so an email can deep-link. The store comes from `store` (its slug) or
the path /s/{slug}/track, and may be left out when the install has one store.

Every lookup counts against the visitor's address (LIMIT within WINDOW_SECONDS of
the first), in the database so that every server process shares the count, and a
miss gives the same page and status whichever fact was wrong."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from afterward.commerce.models import Store
from afterward.config import Settings
from afterward.storage.db import Database
from afterward.throttle import Throttle
from afterward.tracking import service as tracking
from afterward.web.pages import load
from afterward.web.pages.render import render
from afterward.web.pages.tracking import lang_query, page_response, speaker_for
from afterward.web.pages.view import Brand

router = APIRouter(include_in_schema=False)

LIMIT = 10
WINDOW_SECONDS = 10 * 60
MAX_FIELD = 320
SCOPE = "track"


def lookup_throttle(settings: Settings) -> Throttle:
    return Throttle(scope=SCOPE, limit=LIMIT, window_seconds=WINDOW_SECONDS,
                    secret=settings.secret_key)


def _clean(value: str | None) -> str:
    return (value or "").strip()[:MAX_FIELD]


@router.get("/track")
def lookup_get(request: Request) -> Response:
    q = request.query_params
    return _lookup(request, store_slug=q.get("store"), number=q.get("order_number"),
                   email=q.get("email"), postal_code=q.get("postal_code"))


@router.post("/track")
def lookup_post(request: Request, order_number: str = Form(""), email: str = Form(""),
                postal_code: str = Form(""), store: str = Form("")) -> Response:
    return _lookup(request, store_slug=store or request.query_params.get("store"),
                   number=order_number, email=email, postal_code=postal_code)


@router.get("/s/{store_slug}/track")
def store_lookup_get(request: Request, store_slug: str) -> Response:
    q = request.query_params
    return _lookup(request, store_slug=store_slug, number=q.get("order_number"),
                   email=q.get("email"), postal_code=q.get("postal_code"))


@router.post("/s/{store_slug}/track")
def store_lookup_post(request: Request, store_slug: str, order_number: str = Form(""),
                      email: str = Form(""), postal_code: str = Form("")) -> Response:
    return _lookup(request, store_slug=store_slug, number=order_number, email=email,
                   postal_code=postal_code)


def _lookup(request: Request, *, store_slug: str | None, number: str | None,
            email: str | None, postal_code: str | None) -> Response:
    number, email, postal_code = _clean(number), _clean(email), _clean(postal_code)
    if email and "@" not in email and not postal_code:
        email, postal_code = "", email  # the one field takes either fact
    db: Database = request.app.state.db
    complete = bool(number and (email or postal_code))
    allowed = _count_lookup(request) if complete else True  # found or not, it counts
    with db.reading() as session:
        store = load.store_for(session, _clean(store_slug) or None)
        form = {"store": store, "slug": _clean(store_slug), "number": number,
                "contact": email or postal_code}
        if not (number or email or postal_code):
            return _form(request, form)
        if not complete:
            return _form(request, form, problem="incomplete", status=400)
        if not allowed:
            return _form(request, form, problem="throttled", status=429,
                         headers={"Retry-After": str(WINDOW_SECONDS)})
        order = load.find_order(session, store, number=number, email=email,
                                postal_code=postal_code) if store else None
        if order is None:
            return _form(request, form, problem="not_found", status=404)
        outbound = [p for p in load.order_parcels(session, order) if p.direction != "return"]
        if outbound:
            return RedirectResponse(tracking.tracking_path(outbound[0]) + lang_query(request),
                                    status_code=303, headers={"Cache-Control": "no-store"})
        assert store is not None
        return page_response(request, *load.order_rows(
            session, store, order, load.suggestions_memo(request.app),
            load.catalogue(request.app)), session=session)


def _count_lookup(request: Request) -> bool:
    """Count a lookup against the visitor's address, in a short transaction of its own;
    False when the address is over the limit."""
    address = request.client.host if request.client else ""
    return lookup_throttle(request.app.state.settings).attempt(request.app.state.db, address)


def _form(request: Request, form: dict, *, problem: str | None = None, status: int = 200,
          headers: dict[str, str] | None = None) -> Response:
    store: Store | None = form["store"]
    say = speaker_for(request, store, None)
    brand = Brand.of(store) if store else None
    return render(request, "pages/lookup.html", say,
                  {**form, "purpose": "track", "problem": problem,
                   "action": "/track" + lang_query(request),
                   "store_slug": store.slug if store else form["slug"],
                   "ask_store": store is None and not form["slug"]},
                  brand=brand, status=status, headers=headers,
                  keep_params=frozenset({"store"}))  # switching language looks up nothing
