"""Inbound store-platform webhooks. Verified, idempotent on the raw body, applied
in one transaction with the receipt, so a failure leaves no trace and a
redelivery is recognised."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from afterward.api.errors import ApiError
from afterward.api.params import each_once
from afterward.api.responses import SIGNED
from afterward.commerce import stores
from afterward.commerce.ingest import shopify
from afterward.commerce.schemas import contains_nul
from afterward.inbound.models import WebhookReceipt
from afterward.storage.db import Database

router = APIRouter(prefix="/api/v1/webhooks", responses=SIGNED, tags=["webhooks"],
                   dependencies=[Depends(each_once)])

Slug = Annotated[str, Path(min_length=1, max_length=64)]


def parse_json(body: bytes) -> Any:
    value = read_json(body)
    if contains_nul(value):
        raise ApiError(422, "invalid", "text may not contain NUL characters")
    return value


def read_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_not_json)
    except UnicodeDecodeError as exc:
        raise ApiError(400, "malformed_json", "the body is not UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise ApiError(400, "malformed_json", f"the body is not JSON: {exc.msg} at line "
                       f"{exc.lineno} column {exc.colno}") from exc
    except (RecursionError, ValueError) as exc:  # nested too deep; a number of 4300+ digits
        raise ApiError(400, "malformed_json", "the body is JSON too deeply nested or with "
                       "too long a number to read") from exc


def _not_json(constant: str) -> Any:
    """Python reads NaN and Infinity; JSON has no such numbers (and JSONB refuses them)."""
    raise ApiError(400, "malformed_json", f"the body is not JSON: {constant} is not a number")


@router.post("/shopify/{store_slug}", response_model=dict[str, str], responses={202: {
    "model": dict[str, str],
    "description": "taken, not yet applied: `held` or `kept_for_review`"}})
async def shopify_webhook(
    request: Request,
    store_slug: Slug,
    x_shopify_topic: Annotated[str | None, Header(max_length=64)] = None,
    x_shopify_hmac_sha256: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Shopify `orders/*`, `fulfillments/*` and `refunds/create`, signed with the
    store's Shopify webhook secret. A well-signed JSON object is never refused (Shopify
    drops a subscription that keeps failing): 200 `applied` (or `duplicate`), 202
    `held` while the order it refers to has not arrived, 202 `kept_for_review` when
    it cannot be stored without guessing (kept, with the reason, for a person)."""
    body = await request.body()
    db: Database = request.app.state.db
    return await run_in_threadpool(_receive_shopify, db, store_slug, x_shopify_topic,
                                   x_shopify_hmac_sha256, body)


def _receive_shopify(db: Database, store_slug: str, topic: str | None, signature: str | None,
                     body: bytes) -> JSONResponse:
    with db.reading() as session:
        store = stores.get_by_slug(session, store_slug)
        accepted = (stores.accepted_webhook_secrets(session, store_id=store.id,
                                                    provider="shopify") if store else ())
    if store is None:
        raise ApiError(404, "unknown_store", f"no store {store_slug!r}")
    if not accepted:
        raise ApiError(401, "no_secret", "this store has no Shopify webhook secret set")
    if not any(shopify.verify(secret, body, signature) for secret in accepted):
        raise ApiError(401, "invalid_signature", "X-Shopify-Hmac-Sha256 does not match the body")
    if topic is None or topic not in shopify.TOPICS:
        raise ApiError(422, "unsupported_topic",
                       f"topic {topic!r} is not one of {', '.join(shopify.TOPICS)}",
                       "X-Shopify-Topic")
    # NUL characters are removed, not refused: Shopify would retry the delivery forever.
    payload = read_json(body)
    key = hashlib.sha256(topic.encode() + b"\n" + body).hexdigest()
    store_id, known_topic = store.id, topic
    return db.run(lambda session: _apply_once(session, store_id, known_topic, key, payload))


def _apply_once(session: Session, store_id: int, topic: str, key: str,
                payload: Any) -> JSONResponse:
    """The delivery's effects and its receipt in one transaction; a delivery already
    received changes nothing (a concurrent twin's receipt makes this one's insert fail
    on the unique key, and Database.run's second attempt finds it here)."""
    seen = session.scalar(select(WebhookReceipt.id).where(
        WebhookReceipt.store_id == store_id, WebhookReceipt.provider == "shopify",
        WebhookReceipt.delivery_key == key))
    if seen is not None:
        return JSONResponse({"status": "duplicate"})
    session.add(WebhookReceipt(store_id=store_id, provider="shopify", topic=topic,
                               delivery_key=key))
    session.flush()
    outcome = shopify.apply(session, store_id=store_id, topic=topic, payload=payload,
                            delivery_key=key)
    return JSONResponse({"status": outcome},
                        status_code=202 if outcome in shopify.NOT_YET_APPLIED else 200)
