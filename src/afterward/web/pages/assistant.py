"""The widget's endpoint: POST /assistant/messages (JSON), answered as the API's
(DESIGN.md, "Contracts ... Assistant"). A shopper reaches it with the tracking page's
token (the conversation sees that parcel's order) or with an order's two facts
(counted like the /track lookup, the same answer whichever fact was wrong); after the
first answer, the conversation's id (192 random bits) carries on. Every message counts
against the sender's address: a flood is answered 429."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse

from afterward.api.assistant import answered, count_message, refused, rephrased
from afterward.api.errors import ApiError
from afterward.assistant import access, service
from afterward.assistant.schemas import ShopperMessageIn
from afterward.commerce.models import Store
from afterward.config import Settings
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.throttle import Throttle
from afterward.tracking import service as tracking
from afterward.web.pages import load

router = APIRouter(include_in_schema=False)

LOOKUPS = 10  # order lookups per address within LOOKUP_WINDOW_SECONDS, as /track allows
LOOKUP_WINDOW_SECONDS = 10 * 60
NO_STORE = ApiError(404, "not_found", "no such conversation or store", "store")


def lookup_throttle(settings: Settings) -> Throttle:
    return Throttle(scope="assistant_lookup", limit=LOOKUPS,
                    window_seconds=LOOKUP_WINDOW_SECONDS, secret=settings.secret_key)


@router.post("/assistant/messages")
def shopper_message(body: ShopperMessageIn, request: Request) -> JSONResponse:
    count_message(request)
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.db
    facts = access.facts_of(body.text, order_number=body.order_number, email=body.email,
                            postal_code=body.postal_code) if not body.token else None
    if facts is not None:
        address = request.client.host if request.client else ""
        if not lookup_throttle(settings).attempt(db, address):
            raise ApiError(429, "rate_limited", "too many order lookups: wait a while",
                           headers={"Retry-After": str(LOOKUP_WINDOW_SECONDS)})

    def work(session: Session) -> service.Reply:
        store_id, scope = _scope(session, body, facts)
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


def _scope(session: Session, body: ShopperMessageIn,
           facts: access.Facts | None) -> tuple[int, service.Scope]:
    """The store and what this message may see: a parcel's token names both; else the
    store named (or the only one) and the two facts, if given."""
    if body.token:
        parcel = tracking.by_token(session, body.token) if load.TOKEN.match(body.token) \
            else None
        if parcel is None:
            raise ApiError(404, "not_found", "this link is unknown", "token")
        return parcel.store_id, service.Scope(channel="widget", order_id=parcel.order_id,
                                              shipment_id=parcel.id)
    store: Store | None = load.store_for(session, body.store)
    if store is None:
        raise NO_STORE
    return store.id, service.Scope(channel="widget", facts=facts)

