"""A periodic job's chain as the tests check it: each job of a kind, oldest first, as
(status, whether it is due later than now)."""

from __future__ import annotations

from sqlalchemy import select

from afterward.jobs import Job
from afterward.storage.db import Database
from afterward.storage.types import utcnow


def chain_of(db: Database, kind: str) -> list[tuple[str, bool]]:
    with db.reading() as session:
        return [(j.status, j.run_at > utcnow()) for j in session.scalars(
            select(Job).where(Job.kind == kind).order_by(Job.id))]
