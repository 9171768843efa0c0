"""The tracking page: /t/{token}, one parcel of an order with everything around it."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from afterward.commerce.models import Store
from afterward.config import Settings
from afterward.loyalty import links, standing
from afterward.storage.db import Database
from afterward.web.pages import language, load
from afterward.web.pages.language import Speaker
from afterward.web.pages.render import render
from afterward.web.pages.view import LoyaltyFacts, Rows, build

router = APIRouter(include_in_schema=False)


def speaker_for(request: Request, store: Store | None,
                customer: load.Speaking | None) -> Speaker:
    code = language.choose(query=request.query_params.get("lang"),
                           customer=customer.locale if customer else None,
                           accept_language=request.headers.get("accept-language"),
                           store=store.locale if store else None)
    zone = (customer.timezone if customer else None) or (store.timezone if store else "UTC")
    return Speaker(code, zone)


def lang_query(request: Request) -> str:
    """Keep an explicit ?lang= on links between a shopper's pages."""
    chosen = language.supported(request.query_params.get("lang"))
    return f"?lang={chosen}" if chosen else ""


def page_response(request: Request, rows: Rows, customer: load.Speaking | None,
                  session: Session | None = None) -> Response:
    say = speaker_for(request, rows.store, customer)
    if session is not None:
        rows = with_loyalty(request, session, rows)
    page = build(rows, say, lang_query(request))
    response = render(request, "pages/tracking.html", say, {"page": page}, brand=page.brand)
    if page.assistant_token:  # the assistant's chat: its script, and its posts to here
        policy = response.headers["content-security-policy"]
        response.headers["content-security-policy"] = policy.replace(
            "style-src", "script-src 'self'; connect-src 'self'; style-src")
    return response


def with_loyalty(request: Request, session: Session, rows: Rows) -> Rows:
    """The customer's points, when the store has a program and the customer an
    account; the link to their page goes through the parcel's token when there is one."""
    order = rows.order
    if order is None or order.customer_id is None:
        return rows
    found = standing.summary(session, store_id=rows.store.id, customer_id=order.customer_id)
    if found is None:
        return rows
    settings: Settings = request.app.state.settings
    url = (f"{links.PATH}/from/{rows.shipment.token}" if rows.shipment is not None
           else links.member_path(settings.secret_key, rows.store.id, order.customer_id))
    return replace(rows, loyalty=LoyaltyFacts(found[0], found[1], url + lang_query(request)))


def not_found(request: Request) -> Response:
    """The same page whatever was wrong: a malformed, unknown or deleted token."""
    say = speaker_for(request, None, None)
    return render(request, "pages/error.html", say, {"lang_link": lang_query(request)},
                  status=404)


@router.get("/t/{token:path}")  # :path, so /t/a/b gets the same page as any miss
async def tracking_page(request: Request, token: str) -> Response:
    # On SQLite a page is a few reads of pages in memory and a few milliseconds of
    # Python, so it runs on the event loop: a worker thread's hand-offs of the GIL cost
    # more than the reads wait. A server's reads run in the thread pool.
    if request.app.state.db.backend == "sqlite":
        return tracking_page_now(request, token)
    return await run_in_threadpool(tracking_page_now, request, token)


def tracking_page_now(request: Request, token: str) -> Response:
    db: Database = request.app.state.db
    with db.reading() as session:
        found = load.shipment_rows(session, token, load.suggestions_memo(request.app),
                                   load.catalogue(request.app))
        if found is None:
            return not_found(request)
        return page_response(request, *found, session=session)
