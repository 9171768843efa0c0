"""Inbound carrier webhooks: `POST /api/v1/webhooks/carriers/{provider}/{store_slug}`.

Each provider is verified the way it signs (EasyPost `X-Hmac-Signature`, AfterShip
`aftership-hmac-sha256`, Shippo a `?token=` in the URL, generic
`X-Afterward-Signature`), parsed whole before anything is written (a bad timestamp
refuses the delivery with 422 and the field), and applied in one transaction with
its receipt, so the same body twice changes nothing the second time.

Each process keeps a store's current secret for SECRET_SECONDS once a signature matched
it: a rotated or removed secret stops opening deliveries within that time, and a
signature that does not match the kept secret is checked against the database before
it is refused, so a new secret works at once. After a rotation the replaced secret is
accepted until its grace period ends (`stores.set_webhook_secret`); it is never kept,
so it stops at that moment."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from afterward.api.errors import ApiError
from afterward.api.group_commit import GroupCommitter
from afterward.api.params import each_once
from afterward.api.responses import SIGNED
from afterward.api.webhooks_in import parse_json
from afterward.commerce import stores
from afterward.commerce.models import Store, WebhookSecret
from afterward.inbound.models import WebhookReceipt
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking import carriers
from afterward.tracking import service as tracking
from afterward.tracking.carriers.base import PayloadError, Provider
from afterward.tracking.schemas import CarrierWebhookOut

router = APIRouter(prefix="/api/v1/webhooks/carriers", responses=SIGNED, tags=["webhooks"],
                   dependencies=[Depends(each_once)])

MAX_EVENTS = 1000
SECRET_SECONDS = 5.0
SECRETS_KEPT = 1000
Slug = Annotated[str, Path(min_length=1, max_length=64)]
ProviderName = Annotated[str, Path(min_length=1, max_length=32,
                                   description="easypost, aftership, shippo or generic")]
Signature = Annotated[str | None, Header(max_length=300)]

# Every delivery runs these, so they are Core statements built once (no ORM rows).
_STORE_AND_SECRET = (
    select(Store.id, WebhookSecret.secret, WebhookSecret.previous_secret,
           WebhookSecret.previous_expires_at)
    .outerjoin(WebhookSecret, (WebhookSecret.store_id == Store.id)
               & (WebhookSecret.provider == bindparam("provider")))
    .where(Store.slug == bindparam("slug")))
# The receipt, unless this body was received before (then no row: a duplicate).
_RECEIVED = {name: dialect.insert(cast(Table, WebhookReceipt.__table__))
             .on_conflict_do_nothing(index_elements=["store_id", "provider", "delivery_key"])
             .returning(WebhookReceipt.id)
             for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))}


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
    kept: Kept | None = getattr(request.app.state, "carrier_secrets", None)
    if kept is None:
        kept = request.app.state.carrier_secrets = {}
    if db.backend != "sqlite":
        return await run_in_threadpool(_receive, db, provider, store_slug, headers, query,
                                       body, kept)
    # On SQLite one process writes one transaction at a time anyway (Database.transaction):
    # deliveries run on the event loop, and those arriving together share a commit
    # (api/group_commit.py), as orders do.
    received = _received(db, provider, store_slug, headers, query, body, kept)
    if isinstance(received, JSONResponse):
        return received
    committer: GroupCommitter | None = getattr(request.app.state, "carrier_commits", None)
    if committer is None:
        committer = request.app.state.carrier_commits = GroupCommitter(db)
    try:
        return await committer.run(partial(_apply_in, received=received))
    except IntegrityError:
        # A concurrent delivery of the same body (or event) won the race; its receipt
        # is committed now, so a second look answers "duplicate" or adds the rest. Or
        # the store this process kept is gone: verifying again from the database says so.
        received = _received(db, provider, store_slug, headers, query, body,
                             _forget(kept, store_slug))
        if isinstance(received, JSONResponse):
            return received
        return await committer.run(partial(_apply_in, received=received))


Kept = dict[tuple[str, str], tuple[int, str, float]]  # (slug, provider) -> (id, secret, until)


@dataclass(frozen=True)
class Received:
    """A verified, parsed delivery, ready to apply."""

    store_id: int
    provider: str
    update: carriers.Update
    key: str  # sha256 of provider and body: the same body twice is one delivery
    payload: Any


def _receive(db: Database, provider_name: str, store_slug: str, headers: Mapping[str, str],
             query: Mapping[str, str], body: bytes, kept: Kept | None = None) -> JSONResponse:
    kept = {} if kept is None else kept
    received = _received(db, provider_name, store_slug, headers, query, body, kept)
    if isinstance(received, JSONResponse):
        return received
    try:
        return _apply(db, received)
    except IntegrityError:
        # As above: the second look answers "duplicate" or adds the rest, or 404.
        received = _received(db, provider_name, store_slug, headers, query, body,
                             _forget(kept, store_slug))
        if isinstance(received, JSONResponse):
            return received
        return _apply(db, received)


def _forget(kept: Kept, store_slug: str) -> Kept:
    for key in [k for k in kept if k[0] == store_slug]:
        kept.pop(key, None)
    return kept


def _received(db: Database, provider_name: str, store_slug: str, headers: Mapping[str, str],
              query: Mapping[str, str], body: bytes, kept: Kept) -> Received | JSONResponse:
    """Verify and parse, writing nothing: the delivery, or the answer for one that
    carries no tracking."""
    provider = carriers.provider(provider_name)
    if provider is None:
        raise ApiError(404, "unknown_provider", f"no carrier provider {provider_name!r}; one of "
                       f"{', '.join(carriers.PROVIDERS)}", "provider")
    store_id = _verified_store(db, kept, provider, store_slug, headers, query, body)
    payload = parse_json(body)
    update = _parse(provider, payload)
    if update is None:
        return JSONResponse(CarrierWebhookOut(status="ignored").model_dump())
    key = hashlib.sha256(provider.name.encode() + b"\n" + body).hexdigest()
    return Received(store_id, provider.name, update, key, payload)


def _verified_store(db: Database, kept: Kept, provider: Provider, slug: str,
                    headers: Mapping[str, str], query: Mapping[str, str], body: bytes) -> int:
    """The id of the store whose secret signed this body, or the refusal."""
    hit = kept.get((slug, provider.name))
    if hit is not None and hit[2] > time.monotonic() and \
            provider.verify(hit[1], body, headers, query):
        return hit[0]
    store_id, accepted = _store_and_secrets(db, slug, provider.name)
    if store_id is None:
        raise ApiError(404, "unknown_store", f"no store {slug!r}")
    if not accepted:
        raise ApiError(401, "no_secret", f"this store has no {provider.name} webhook secret set")
    matched = next((s for s in accepted if provider.verify(s, body, headers, query)), None)
    if matched is None:
        raise ApiError(401, "invalid_signature",
                       f"the {provider.name} signature ({provider.signature}) does not match")
    if matched == accepted[0]:
        if len(kept) >= SECRETS_KEPT:
            kept.clear()
        kept[(slug, provider.name)] = (store_id, matched, time.monotonic() + SECRET_SECONDS)
    return store_id


def _store_and_secrets(db: Database, slug: str, provider: str
                       ) -> tuple[int | None, tuple[str, ...]]:
    """The store's id and the secrets it accepts for this provider, current first, in
    one query (every delivery asks, so no ORM rows): (None, ()) for no such store,
    (id, ()) for no secret."""
    with db.read_engine.connect() as conn:
        row = conn.execute(_STORE_AND_SECRET, {"slug": slug, "provider": provider}).first()
    if row is None:
        return None, ()
    if row[1] is None:
        return row[0], ()
    return row[0], stores.accepted_secrets(row[1], row[2], row[3], now=utcnow())


def _parse(provider: Provider, payload: Any) -> carriers.Update | None:
    try:
        update = provider.parse(payload)
    except PayloadError as exc:
        raise ApiError(422, "invalid", exc.message, exc.field) from exc
    if update is not None and len(update.events) > MAX_EVENTS:
        raise ApiError(422, "invalid", f"at most {MAX_EVENTS} events per delivery", "events")
    return update


def _apply(db: Database, received: Received) -> JSONResponse:
    return db.run(lambda session: _apply_in(session, received=received))


def _apply_in(session: Session, *, received: Received) -> JSONResponse:
    """The receipt and the delivery's events, in the caller's transaction."""
    update = received.update
    conn = session.connection()
    receipt = conn.execute(_RECEIVED[conn.dialect.name], {
        "store_id": received.store_id, "provider": received.provider,
        "topic": update.topic[:64], "delivery_key": received.key})
    if receipt.first() is None:
        out = CarrierWebhookOut(status="duplicate", tracking_number=update.tracking_number)
        return JSONResponse(out.model_dump())
    applied = tracking.apply_update(session, store_id=received.store_id,
                                    provider=received.provider, update=update,
                                    delivery_key=received.key, payload=received.payload)
    out = CarrierWebhookOut(status="held" if applied.outcome == "held" else "applied",
                            tracking_number=update.tracking_number,
                            events_added=applied.events_added)
    return JSONResponse(out.model_dump(), status_code=202 if applied.outcome == "held" else 200)
