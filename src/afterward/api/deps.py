"""Dependencies: a read session, the unit of work for writes, and the store that
the bearer API key belongs to.

Writes are not a session dependency: FastAPI runs a generator dependency's code
before and after `yield` in threads that may differ, and (by default) after the
response has gone out. A write route gets `Write`, a function that runs its work in
one transaction in the route's own thread and commits before the route returns,
so the answer is sent only for what is stored."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

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


T = TypeVar("T")
Write = Callable[[Callable[[Session], T]], T]


async def writer(db: Database = Depends(database)) -> Callable[..., Any]:
    """`write(work)` runs `work(session)` as the request's unit of work (Database.run):
    committed when it returns, rolled back whole on any error, run again on a lost race."""
    return db.run


async def committed(request: Request, work: Callable[[Session], T]) -> T:
    """`work(session)` committed, for the busiest write routes, without a thread hop
    per dependency or answer: on SQLite, where one process writes one transaction at a
    time anyway, in a transaction shared with the requests that arrived together
    (group_commit.py: one refused never takes the others down); on PostgreSQL, as a
    unit of work of its own (Database.run) in the thread pool, side by side."""
    db: Database = request.app.state.db
    if db.backend == "sqlite":
        result: T = await request.app.state.group_commits.run(work)
        return result
    return await run_in_threadpool(db.run, work)


def read_session(db: Database = Depends(database)) -> Iterator[Session]:
    with db.reading() as session:
        yield session


@dataclass(frozen=True)
class Principal:
    store_id: int
    store_slug: str


def _raw_key(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise ApiError(401, "unauthorized", "send a store API key as `Authorization: Bearer ...`",
                       headers={"WWW-Authenticate": "Bearer"})
    return credentials.credentials


def _cached(request: Request, raw: str) -> Principal | None:
    """Keys are cached for a few seconds: a revoked key stops working within
    KEY_CACHE_SECONDS."""
    cache: dict[str, tuple[Principal, float]] = request.app.state.key_cache
    hit = cache.get(stores.hash_key(raw))
    return hit[0] if hit and hit[1] > time.monotonic() else None


def _look_up(request: Request, raw: str) -> Principal:
    db: Database = request.app.state.db
    with db.reading() as session:
        store = stores.store_for_key(session, raw)
        if store is None:
            raise ApiError(401, "unauthorized", "this API key is unknown or revoked",
                           headers={"WWW-Authenticate": "Bearer"})
        found = Principal(store.id, store.slug)
    cache: dict[str, tuple[Principal, float]] = request.app.state.key_cache
    if len(cache) > 10_000:
        cache.clear()
    cache[stores.hash_key(raw)] = (found, time.monotonic() + KEY_CACHE_SECONDS)
    return found


async def principal(request: Request,
                    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
                    ) -> Principal:
    """A cached key is answered on the event loop; a look-up goes to the thread pool,
    so a slow or restarting database never holds up the loop."""
    raw = _raw_key(credentials)
    found = _cached(request, raw)
    if found is None:
        found = await run_in_threadpool(_look_up, request, raw)
    return found
