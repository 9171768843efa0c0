"""The assistant's chat on the store's own site: one script tag,

    <script src="https://AFTERWARD/embed/{store}/assistant.js" async></script>

GET /embed/{store}/assistant.js is the widget (static/assistant-embed.js with the
store's slug, language and colours, and its words in the four languages); it draws
itself in a shadow root and loads nothing else. It talks to
POST /embed/{store}/messages, answered cross-origin (CORS, no cookies) only for the
origins the store lists (assistant/embeds.py; `afterward assistant embed`). A
conversation opened here sees no order until the shopper gives its two facts (order
number + email or postal code), counted as a lookup like /track. Once a person has
it, the widget reads the team's answers from
GET /embed/{store}/conversations/{id}/messages?after=N (that store's conversations
only, the same origins; a simple request: no preflight)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from afterward.api.errors import ApiError, error_response
from afterward.assistant import access, embeds, service
from afterward.assistant.schemas import MessageIn
from afterward.assistant.unseen import MAX_ID
from afterward.catalogues import LANGUAGES
from afterward.commerce import stores
from afterward.commerce.models import Store
from afterward.modules import N_
from afterward.storage.db import Database
from afterward.web.pages.assistant import answer, unseen_messages
from afterward.web.pages.language import Speaker
from afterward.web.pages.view import Brand

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).resolve().parent.parent / "static"
SCRIPT = STATIC / "assistant-embed.js"
CHAT = STATIC / "assistant-chat.js"  # what it shares with our pages' chat
SCRIPT_CACHE = "public, max-age=300"  # a store's new colours or words show within 5 minutes
PREFLIGHT_MAX_AGE = "600"
MAX_BODY = 16 * 1024
NO_STORE = "no such store"
# The words the widget shows, in each language (the catalogues' translations).
WORDS = {"title": N_("Ask our assistant"), "open": N_("Questions about your order? Ask us"),
         "close": N_("Close the chat"), "question": N_("Your question"), "send": N_("Send"),
         "failed": N_("Sorry, that did not work. Please try again."),
         "hello": N_("Hello! Ask me about your order: where it is, returns or refunds."),
         "new_tab": N_("(opens in a new tab)"), "team": N_("Support team")}


class EmbedMessageIn(MessageIn):
    """The embedded chat's message: the API's fields (no tracking token, no portal link:
    the order comes from two facts)."""


def _store(session: Session, slug: str) -> Store | None:
    return stores.get_by_slug(session, slug.strip().lower()[:64]) if slug else None


@cache
def _source() -> str:
    """The chat's shared part and the embed, in one function's scope: nothing of
    either is left on the store's page (no global)."""
    return (f"(function () {{\n{CHAT.read_text(encoding='utf-8')}\n"
            f"{SCRIPT.read_text(encoding='utf-8')}}})();\n")


@cache
def _words(code: str) -> dict[str, str]:
    say = Speaker(code, "UTC")
    return {key: say.gettext(text) for key, text in WORDS.items()}


def script_text(store: Store, origins: tuple[str, ...]) -> str:
    """The widget with the store's settings; `origins` (the sites listed, public like
    any page of theirs) let it stay away from a page it could not talk from."""
    brand = Brand.of(store)
    config = {"store": store.slug, "locale": store.locale, "primary": brand.primary,
              "on_primary": brand.on_primary, "origins": list(origins),
              "words": {code: _words(code) for code in LANGUAGES}}
    # Inside a <script> or a JS file: no "</" or "<!--" can end or open anything.
    data = json.dumps(config, ensure_ascii=True, separators=(",", ":")).replace("<", "\\u003c")
    return _source().replace("/*CONFIG*/null", data, 1)


@router.get("/embed/{store_slug}/assistant.js")
def embed_script(request: Request, store_slug: str) -> Response:
    db: Database = request.app.state.db
    with db.reading() as session:
        store = _store(session, store_slug)
        if store is None:
            return error_response(404, "not_found", NO_STORE, "store")
        text = script_text(store, embeds.origins(session, store.id))
    return Response(text, media_type="text/javascript; charset=utf-8", headers={
        "Cache-Control": SCRIPT_CACHE, "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "cross-origin"})


def _cors(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def _origin_ok(request: Request, slug: str) -> tuple[Store | None, bool]:
    db: Database = request.app.state.db
    origin = request.headers.get("origin")
    with db.reading() as session:
        store = _store(session, slug)
        if store is None:
            return None, False
        return store, origin is None or embeds.allowed(session, store.id, origin)


@router.options("/embed/{store_slug}/messages")
def preflight(request: Request, store_slug: str) -> Response:
    store, ok = _origin_ok(request, store_slug)
    origin = request.headers.get("origin")
    if store is None:
        return error_response(404, "not_found", NO_STORE, "store", {"Vary": "Origin"})
    if not ok or origin is None:
        return error_response(403, "origin_not_allowed",
                              "this site may not embed the store's chat", "origin",
                              {"Vary": "Origin"})
    return Response(status_code=204, headers={
        **_cors(origin), "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE})


@router.post("/embed/{store_slug}/messages")
async def embed_message(request: Request, store_slug: str) -> Response:
    store, ok = _origin_ok(request, store_slug)
    origin = request.headers.get("origin")
    headers = _cors(origin) if origin and ok else {"Vary": "Origin"}
    if store is None:
        return error_response(404, "not_found", NO_STORE, "store", headers)
    if not ok:
        return error_response(403, "origin_not_allowed",
                              "this site may not embed the store's chat", "origin", headers)
    raw = await request.body()
    try:
        body = EmbedMessageIn.model_validate_json(raw)
    except ValidationError as exc:
        return _invalid(exc, headers)
    store_id = store.id

    def scope_of(_session: Session, facts: access.Facts | None
                 ) -> tuple[int, service.Scope]:
        return store_id, service.Scope(channel="widget", facts=facts)

    try:
        response = await run_in_threadpool(answer, request, body, scope_of, bound=False)
    except ApiError as error:
        return error_response(error.status, error.code, error.message, error.field,
                              {**(error.headers or {}), **headers})
    response.headers.update(headers)
    return response


def _invalid(exc: ValidationError, headers: dict[str, str]) -> JSONResponse:
    first: Any = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request",
                                                        "type": ""}
    if first.get("type") == "json_invalid":
        return error_response(400, "malformed_json", "the body is not JSON", None, headers)
    field = ".".join(str(p) for p in first.get("loc", ())) or None
    message = str(first.get("msg", "invalid request")).removeprefix("Value error, ")
    return error_response(422, "invalid", message, field, headers)


@router.get("/embed/{store_slug}/conversations/{conversation_id}/messages")
async def embed_unseen(request: Request, store_slug: str, conversation_id: str) -> Response:
    """What the team said in this store's conversation since `after` (see
    pages/assistant.py `unseen_messages`), for the store's listed sites."""
    store, ok = _origin_ok(request, store_slug)
    origin = request.headers.get("origin")
    headers = _cors(origin) if origin and ok else {"Vary": "Origin"}
    if store is None:
        return error_response(404, "not_found", NO_STORE, "store", headers)
    if not ok:
        return error_response(403, "origin_not_allowed",
                              "this site may not embed the store's chat", "origin", headers)
    raw = request.query_params.get("after", "0")
    after = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 19 else -1
    if not 0 <= after <= MAX_ID:
        return error_response(422, "invalid", "after is a message id (0 or more)", "after",
                              headers)
    try:
        response = await run_in_threadpool(unseen_messages, request, conversation_id, after,
                                           store.id)
    except ApiError as error:
        return error_response(error.status, error.code, error.message, error.field,
                              {**(error.headers or {}), **headers})
    response.headers.update(headers)
    return response
