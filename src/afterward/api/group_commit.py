"""Group commit for API order ingest on SQLite.

A SQLite write transaction has a fixed cost (the lock, BEGIN IMMEDIATE, the WAL
commit) that is a large share of a small order's. Requests that arrive within a
millisecond of each other are written in one transaction; if that transaction
fails for any reason, each order is written in a unit of work of its own
(Database.run), so one refused order never takes the others down. No request is
answered before its order is committed.

The transactions run in a thread of the pool, one batch at a time: the event loop
never waits for the database, so pages and reads go on while a batch commits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from afterward.storage.db import Database

MAX_BATCH = 32
GATHER_SECONDS = 0.001

Work = Callable[[Session], Any]
Outcome = tuple[bool, Any]  # (succeeded, result or exception)


class GroupCommitter:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.pending: list[tuple[Work, asyncio.Future[Any]]] = []
        self.draining = False

    async def run(self, work: Work) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending.append((work, future))
        if not self.draining:
            self.draining = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            await asyncio.sleep(GATHER_SECONDS)
            while self.pending:
                batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
                outcomes = await run_in_threadpool(self.commit, [work for work, _ in batch])
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    _settle(future, outcome)
        except BaseException as exc:  # cancelled at shutdown: no waiter is left hanging
            for _, future in self.pending:
                _settle(future, (False, exc))
            raise
        finally:
            self.draining = False

    def commit(self, works: list[Work]) -> list[Outcome]:
        """Together in one transaction, or (one of them failed) each on its own."""
        if len(works) > 1:
            try:
                with self.db.transaction() as session:
                    return [(True, work(session)) for work in works]
            except Exception:
                pass  # rolled back whole: one by one, to find the culprit
        return [self._alone(work) for work in works]

    def _alone(self, work: Work) -> Outcome:
        try:
            return True, self.db.run(work)
        except Exception as exc:
            return False, exc


def _settle(future: asyncio.Future[Any], outcome: Outcome) -> None:
    if future.done():
        return
    succeeded, value = outcome
    if succeeded:
        future.set_result(value)
    else:
        future.set_exception(value)
