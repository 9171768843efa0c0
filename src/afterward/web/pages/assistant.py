"""The widget's endpoint: POST /assistant/messages (JSON), answered as the API's
(DESIGN.md, "Contracts ... Assistant"). A shopper reaches it with the tracking page's
token (the conversation sees that parcel's order), with the returns portal's signed
order link (that order), or with an order's two facts (counted like the /track lookup,
the same answer whichever fact was wrong); after the first answer, the conversation's
id (192 random bits) carries on. Every message counts against the sender's address: a
flood is answered 429. The chat embedded on a store's own site posts to
/embed/{store}/messages (assistant_embed.py), which answers with `answer` below.

Once a person has the conversation, the widget reads what the team said (and the CSAT
question when they close it) from GET /assistant/conversations/{id}/messages?after=N
(`unseen_messages` below; the embed's twin is under /embed/{store}/): read-only, its
own generous count per address (POLLS_PER_MINUTE), never cached."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse

from afterward.api.assistant import answered, count_message, refused, rephrased
from afterward.api.errors import ApiError
from afterward.assistant import access, service, unseen
from afterward.assistant.schemas import MessageIn, ShopperMessageIn
from afterward.commerce import service as commerce
from afterward.commerce.models import Store
from afterward.config import Settings
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.throttle import Throttle
from afterward.tracking import service as tracking
from afterward.web.pages import load
from afterward.web.pages import returns_links as portal_links

router = APIRouter(include_in_schema=False)

LOOKUPS = 10  # order lookups per address within LOOKUP_WINDOW_SECONDS, as /track allows
LOOKUP_WINDOW_SECONDS = 10 * 60
NO_STORE = ApiError(404, "not_found", "no such conversation or store", "store")
UNKNOWN_LINK = ApiError(404, "not_found", "this link is unknown", "token")


def lookup_throttle(settings: Settings) -> Throttle:
    return Throttle(scope="assistant_lookup", limit=LOOKUPS,
                    window_seconds=LOOKUP_WINDOW_SECONDS, secret=settings.secret_key)


Scoper = Callable[[Session, access.Facts | None], tuple[int, service.Scope]]


def answer(request: Request, body: MessageIn, scope_of: Scoper, *,
           bound: bool) -> JSONResponse:
    """One shopper message: counted, its two facts (unless the message is `bound` to
    an order by a link) counted as a lookup, answered within `scope_of`'s scope."""
    count_message(request)
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.db
    facts = access.facts_of(body.text, order_number=body.order_number, email=body.email,
                            postal_code=body.postal_code) if not bound else None
    if facts is not None:
        address = request.client.host if request.client else ""
        if not lookup_throttle(settings).attempt(db, address):
            raise ApiError(429, "rate_limited", "too many order lookups: wait a while",
                           headers={"Retry-After": str(LOOKUP_WINDOW_SECONDS)})

    def work(session: Session) -> service.Reply:
        store_id, scope = scope_of(session, facts)
        try:
            return service.reply(
                session, store_id=store_id, scope=scope, text=body.text,
                conversation_id=body.conversation_id, locale=body.locale, now=utcnow(),
                client_id=body.client_message_id, confirm=body.confirm,
                secret_key=settings.secret_key)
        except service.AssistantError as error:
            raise refused(error) from None

    out = answered(rephrased(request, db.run(work)))
    return JSONResponse(out.model_dump(mode="json", exclude_none=False),
                        headers={"Cache-Control": "no-store"})


@router.post("/assistant/messages")
def shopper_message(body: ShopperMessageIn, request: Request) -> JSONResponse:
    portal = portal_links.read_order_token(request, body.order_token) \
        if body.order_token else None
    if body.order_token and portal is None:
        raise ApiError(404, "not_found", "this link is unknown", "order_token")

    def scope_of(session: Session, facts: access.Facts | None) -> tuple[int, service.Scope]:
        return _scope(session, body, facts, portal)

    return answer(request, body, scope_of, bound=bool(body.token or body.order_token))


def _scope(session: Session, body: ShopperMessageIn, facts: access.Facts | None,
           portal: tuple[int, int] | None) -> tuple[int, service.Scope]:
    """The store and what this message may see: a parcel's token or the portal's
    signed order link names both; else the store named (or the only one) and the two
    facts, if given."""
    if body.token:
        parcel = tracking.by_token(session, body.token) if load.TOKEN.match(body.token) \
            else None
        if parcel is None:
            raise UNKNOWN_LINK
        return parcel.store_id, service.Scope(channel="widget", order_id=parcel.order_id,
                                              shipment_id=parcel.id)
    if portal is not None:
        order = commerce.get_order(session, store_id=portal[0], order_id=portal[1])
        if order is None:
            raise ApiError(404, "not_found", "this link is unknown", "order_token")
        return order.store_id, service.Scope(channel="widget", order_id=order.id)
    store: Store | None = load.store_for(session, body.store)
    if store is None:
        raise NO_STORE
    return store.id, service.Scope(channel="widget", facts=facts)


# A shopper's chat reads the team's answers every 15 s or so (more often when the tab
# comes back): a few tabs behind one address stay far below this; a flood does not.
POLLS_PER_MINUTE = 120
NO_CONVERSATION = ApiError(404, "conversation_not_found", "no such conversation",
                           "conversation_id")


def poll_throttle(settings: Settings) -> Throttle:
    return Throttle(scope="assistant_poll", limit=POLLS_PER_MINUTE, window_seconds=60,
                    secret=settings.secret_key)


def unseen_messages(request: Request, conversation_id: str, after: int,
                    store_id: int | None = None) -> JSONResponse:
    """The conversation's messages after `after` the shopper was not answered with:
    counted against the address (its own count), read in one reading session."""
    db: Database = request.app.state.db
    address = request.client.host if request.client else ""
    if not poll_throttle(request.app.state.settings).attempt(db, address):
        raise ApiError(429, "rate_limited", "too many requests: wait a minute",
                       headers={"Retry-After": "60"})
    with db.reading() as session:
        found = unseen.conversation(session, conversation_id, store_id=store_id)
        if found is None:
            raise NO_CONVERSATION
        news = unseen.since(session, found, after)
    return JSONResponse({
        "conversation_id": news.conversation_id, "status": news.status, "after": news.after,
        "messages": [{"id": m.id, "from": "team" if m.author == "agent" else "assistant",
                      "text": m.text, "at": m.at.isoformat().replace("+00:00", "Z")}
                     for m in news.messages]}, headers={"Cache-Control": "no-store"})


@router.get("/assistant/conversations/{conversation_id}/messages")
def shopper_unseen(request: Request, conversation_id: str,
                   after: int = Query(0, ge=0, le=unseen.MAX_ID)) -> JSONResponse:
    return unseen_messages(request, conversation_id, after)
