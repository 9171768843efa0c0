"""Inbound carrier webhooks: `POST /api/v1/webhooks/carriers/{provider}/{store_slug}`.

Each provider is verified the way it signs (EasyPost `X-Hmac-Signature`, AfterShip
`aftership-hmac-sha256`, Shippo a `?token=` in the URL, generic
`X-Afterward-Signature`), parsed whole before anything is written (a bad timestamp
refuses the delivery with 422 and the field), and applied in one transaction with
its receipt, so the same body twice changes nothing the second time."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from afterward.api.commerce import ERRORS
from afterward.api.errors import ApiError
from afterward.api.webhooks_in import parse_json
from afterward.commerce.models import Store, WebhookSecret
from afterward.inbound.models import WebhookReceipt
from afterward.storage.db import Database
from afterward.tracking import carriers
from afterward.tracking import service as tracking
from afterward.tracking.carriers.base import PayloadError, Provider
from afterward.tracking.schemas import CarrierWebhookOut

router = APIRouter(prefix="/api/v1/webhooks/carriers", responses=ERRORS, tags=["webhooks"])

MAX_EVENTS = 1000
Slug = Annotated[str, Path(min_length=1, max_length=64)]
ProviderName = Annotated[str, Path(min_length=1, max_length=32,
                                   description="easypost, aftership, shippo or generic")]
Signature = Annotated[str | None, Header(max_length=300)]


@router.post("/{provider}/{store_slug}", response_model=CarrierWebhookOut,
             responses={202: {"model": CarrierWebhookOut,
                              "description": "held until a shipment with this number exists"}})
async def carrier_webhook(
    request: Request,
    provider: ProviderName,
    store_slug: Slug,
    x_hmac_signature: Signature = None,
    aftership_hmac_sha256: Signature = None,
    x_afterward_signature: Signature = None,
    token: Annotated[str | None, Query(max_length=300,
                                       description="Shippo: the store's shared secret")] = None,
) -> JSONResponse:
    """Tracking updates from a carrier aggregator, verified with the store's secret for
    that provider (`afterward store secret STORE PROVIDER SECRET`):

    - `easypost`: an Event (`tracker.created` / `tracker.updated`) wrapping a Tracker;
      `X-Hmac-Signature: hmac-sha256-hex=<hex HMAC-SHA256 of the body>`.
    - `aftership`: a `tracking_update` with `msg.checkpoints[]`;
      `aftership-hmac-sha256: <base64 HMAC-SHA256 of the body>`.
    - `shippo`: a `track_updated` Track. Shippo does not sign webhooks, so register the
      URL with `?token=<secret>`; it is compared in constant time (use HTTPS).
    - `generic`: `{"tracking_number", "carrier", "events": [{"occurred_at", "status",
      "message", "location", "provider_status"}]}`;
      `X-Afterward-Signature: sha256=<hex HMAC-SHA256 of the body>`.

    200 `applied` (or `duplicate` for a body already received, `ignored` for a provider
    event that is not about tracking); 202 `held` when no shipment has the number yet
    (applied when one appears); 422 naming the field for a malformed timestamp or time
    zone, with nothing written."""
    body = await request.body()
    headers = {name: value for name, value in (
        ("X-Hmac-Signature", x_hmac_signature), ("aftership-hmac-sha256", aftership_hmac_sha256),
        ("X-Afterward-Signature", x_afterward_signature)) if value is not None}
    query = {"token": token} if token is not None else {}
    db: Database = request.app.state.db
    return await run_in_threadpool(_receive, db, provider, store_slug, headers, query, body)


def _receive(db: Database, provider_name: str, store_slug: str, headers: Mapping[str, str],
             query: Mapping[str, str], body: bytes) -> JSONResponse:
    provider = carriers.provider(provider_name)
    if provider is None:
        raise ApiError(404, "unknown_provider", f"no carrier provider {provider_name!r}; one of "
                       f"{', '.join(carriers.PROVIDERS)}", "provider")
    store_id, secret = _store_and_secret(db, store_slug, provider.name)
    if store_id is None:
        raise ApiError(404, "unknown_store", f"no store {store_slug!r}")
    if secret is None:
        raise ApiError(401, "no_secret", f"this store has no {provider.name} webhook secret set")
    if not provider.verify(secret, body, headers, query):
        raise ApiError(401, "invalid_signature",
                       f"the {provider.name} signature ({provider.signature}) does not match")
    payload = parse_json(body)
    update = _parse(provider, payload)
    if update is None:
        return JSONResponse(CarrierWebhookOut(status="ignored").model_dump())
    key = hashlib.sha256(provider.name.encode() + b"\n" + body).hexdigest()
    try:
        return _apply(db, store_id, provider.name, update, key, payload)
    except IntegrityError:
        # A concurrent delivery of the same body (or event) won the race; its receipt
        # is committed now, so a second look answers "duplicate" or adds the rest.
        return _apply(db, store_id, provider.name, update, key, payload)


def _store_and_secret(db: Database, slug: str, provider: str) -> tuple[int | None, str | None]:
    """The store's id and its secret for this provider, in one query (every delivery
    asks, so no ORM rows): (None, None) for no such store, (id, None) for no secret."""
    with db.reading() as session:
        row = session.execute(
            select(Store.id, WebhookSecret.secret)
            .outerjoin(WebhookSecret, (WebhookSecret.store_id == Store.id)
                       & (WebhookSecret.provider == provider))
            .where(Store.slug == slug)).first()
    return (None, None) if row is None else (row[0], row[1])


def _parse(provider: Provider, payload: Any) -> carriers.Update | None:
    try:
        update = provider.parse(payload)
    except PayloadError as exc:
        raise ApiError(422, "invalid", exc.message, exc.field) from exc
    if update is not None and len(update.events) > MAX_EVENTS:
        raise ApiError(422, "invalid", f"at most {MAX_EVENTS} events per delivery", "events")
    return update


def _apply(db: Database, store_id: int, provider: str, update: carriers.Update, key: str,
           payload: Any) -> JSONResponse:
    with db.transaction() as session:
        seen = session.scalar(select(WebhookReceipt.id).where(
            WebhookReceipt.store_id == store_id, WebhookReceipt.provider == provider,
            WebhookReceipt.delivery_key == key))
        if seen is not None:
            out = CarrierWebhookOut(status="duplicate", tracking_number=update.tracking_number)
            return JSONResponse(out.model_dump())
        session.add(WebhookReceipt(store_id=store_id, provider=provider,
                                   topic=update.topic[:64], delivery_key=key))
        applied = tracking.apply_update(session, store_id=store_id, provider=provider,
                                        update=update, delivery_key=key, payload=payload)
    out = CarrierWebhookOut(status="held" if applied.outcome == "held" else "applied",
                            tracking_number=update.tracking_number,
                            events_added=applied.events_added)
    return JSONResponse(out.model_dump(), status_code=202 if applied.outcome == "held" else 200)
