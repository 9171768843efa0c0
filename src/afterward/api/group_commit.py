"""Group commit for API order ingest on SQLite.

A SQLite write transaction has a fixed cost (the lock, BEGIN IMMEDIATE, the WAL
commit) that is a large share of a small order's. Requests that arrive within a
millisecond of each other are written in one transaction; if that transaction
fails for any reason, each order is retried in a transaction of its own, so one
refused order never takes the others down. No request is answered before its
order is committed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from afterward.storage.db import Database

MAX_BATCH = 32
GATHER_SECONDS = 0.001

Work = Callable[[Session], Any]


class GroupCommitter:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.pending: list[tuple[Work, asyncio.Future[Any]]] = []
        self.scheduled = False

    async def run(self, work: Work) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self.pending.append((work, future))
        if not self.scheduled:
            self.scheduled = True
            loop.call_later(GATHER_SECONDS, self._drain)
        return await future

    def _drain(self) -> None:
        self.scheduled = False
        while self.pending:
            batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
            if len(batch) == 1 or not self._together(batch):
                for item in batch:
                    self._alone(*item)

    def _together(self, batch: list[tuple[Work, asyncio.Future[Any]]]) -> bool:
        try:
            with self.db.transaction() as session:
                results = [work(session) for work, _ in batch]
        except Exception:
            return False  # rolled back whole: retry one by one to find the culprit
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
        return True

    def _alone(self, work: Work, future: asyncio.Future[Any]) -> None:
        try:
            with self.db.transaction() as session:
                result = work(session)
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(result)
