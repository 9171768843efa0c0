"""Dependencies: the database session (one transaction per request) and the store
that the bearer API key belongs to."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from afterward.api.errors import ApiError
from afterward.commerce import stores
from afterward.config import Settings
from afterward.storage.db import Database

KEY_CACHE_SECONDS = 5.0

bearer = HTTPBearer(auto_error=False, description="A store API key: `Bearer aw_...`")


# Dependencies that do no blocking I/O are `async def`: FastAPI runs sync ones in the
# thread pool, and each hop costs more than the work on the ingest path.
async def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value


def write_session(db: Database = Depends(database)) -> Iterator[Session]:
    """The request's unit of work: committed after the handler returns, rolled
    back on any error, so a refused request leaves nothing behind."""
    with db.transaction() as session:
        yield session


def read_session(db: Database = Depends(database)) -> Iterator[Session]:
    with db.reading() as session:
        yield session


@dataclass(frozen=True)
class Principal:
    store_id: int
    store_slug: str


def _principal(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise ApiError(401, "unauthorized", "send a store API key as `Authorization: Bearer ...`",
                       headers={"WWW-Authenticate": "Bearer"})
    # Keys are cached for a few seconds: a revoked key stops working within KEY_CACHE_SECONDS.
    cache: dict[str, tuple[Principal, float]] = request.app.state.key_cache
    raw = credentials.credentials
    key = stores.hash_key(raw)
    hit = cache.get(key)
    now = time.monotonic()
    principal = hit[0] if hit and hit[1] > now else None
    if principal is None:
        db: Database = request.app.state.db
        with db.reading() as session:
            store = stores.store_for_key(session, raw)
            if store is None:
                raise ApiError(401, "unauthorized", "this API key is unknown or revoked",
                               headers={"WWW-Authenticate": "Bearer"})
            principal = Principal(store.id, store.slug)
        if len(cache) > 10_000:
            cache.clear()
        cache[key] = (principal, now + KEY_CACHE_SECONDS)
    return principal


async def principal(request: Request,
              credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
    return _principal(request, credentials)
