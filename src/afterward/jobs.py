"""The durable jobs table. Jobs are enqueued in the caller's transaction, claimed
with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL, a conditional UPDATE on SQLite),
retried with exponential backoff and jitter, and parked as dead when they run out
of attempts. A job's handler runs in the same transaction that marks it done, and
that commit is fenced on the lease token, so its database effect happens once."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ForeignKey, Index, Integer, String, Table, Text, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from afterward.storage.db import Base
from afterward.storage.types import BigID, JSONType, UTCDateTime, utcnow


class JobStatus(StrEnum):
    queued = "queued"  # waiting for run_at
    running = "running"  # claimed; lease until locked_until
    done = "done"  # handler committed
    dead = "dead"  # out of attempts or a permanent error; retry by hand


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_due", "status", "run_at"),
        Index("ix_jobs_store_status", "store_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.queued.value)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    lease_token: Mapped[str | None] = mapped_column(String(32))
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PermanentError(Exception):
    """A handler raises this when a retry cannot help: the job goes dead at once."""


@dataclass(frozen=True)
class JobContext:
    job_id: int
    store_id: int | None
    attempt: int
    payload: dict[str, Any]


Handler = Callable[[Session, JobContext], None]
_HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return register


def handler_for(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def registered_kinds() -> list[str]:
    return sorted(_HANDLERS)


_JOBS = cast(Table, Job.__table__)
_INSERT = insert(_JOBS).returning(_JOBS.c.id)


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    store_id: int | None = None,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 8,
) -> int | None:
    """Add a job in the caller's transaction and return its id. With a dedupe_key
    that was used before, nothing is added and None is returned."""
    if dedupe_key is not None:
        existing = session.scalar(select(Job.id).where(Job.dedupe_key == dedupe_key))
        if existing is not None:
            return None
    now = utcnow()
    job_id: int = session.connection().execute(_INSERT, {
        "kind": kind, "payload": payload or {}, "store_id": store_id, "run_at": run_at or now,
        "dedupe_key": dedupe_key, "max_attempts": max_attempts,
        "status": JobStatus.queued.value, "attempts": 0, "created_at": now,
        "lease_token": None, "locked_by": None, "locked_until": None, "last_error": None,
        "finished_at": None}).scalar_one()
    return job_id


def backoff_seconds(attempt: int, *, base: float = 2.0, cap: float = 3600.0) -> float:
    """Full jitter: uniform in [0.5, 1] of min(cap, base * 2**attempt)."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return ceiling * (0.5 + random.random() / 2)


@dataclass(frozen=True)
class Claim:
    job_id: int
    kind: str
    store_id: int | None
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    lease_token: str


def claim_one(
    session: Session, *, worker_id: str, lease_seconds: int, now: datetime | None = None
) -> Claim | None:
    """Claim one due job (queued and due, or running with an expired lease)."""
    now = now or utcnow()
    due = (
        (Job.status == JobStatus.queued.value) & (Job.run_at <= now)
    ) | ((Job.status == JobStatus.running.value) & (Job.locked_until < now))
    candidates = select(Job.id).where(due).order_by(Job.run_at, Job.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    job_id = session.scalar(candidates)
    if job_id is None:
        return None
    token = secrets.token_hex(16)
    # The conditional UPDATE is what makes the claim safe on SQLite: a job
    # that someone else claimed meanwhile no longer matches `due`.
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, due)
        .values(
            status=JobStatus.running.value,
            lease_token=token,
            locked_by=worker_id,
            locked_until=now + timedelta(seconds=lease_seconds),
            attempts=Job.attempts + 1,
        )
        .returning(Job.kind, Job.store_id, Job.payload, Job.attempts, Job.max_attempts)
    )
    row = result.first()
    if row is None:
        return None
    return Claim(job_id, row.kind, row.store_id, row.payload or {}, row.attempts,
                 row.max_attempts, token)


def mark_done(session: Session, claim: Claim) -> bool:
    """Fenced completion: False when our lease was lost (someone else owns the job)."""
    result = session.execute(
        update(Job)
        .where(Job.id == claim.job_id, Job.lease_token == claim.lease_token,
               Job.status == JobStatus.running.value)
        .values(status=JobStatus.done.value, finished_at=utcnow(), locked_until=None,
                lease_token=None, last_error=None)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def mark_failed(session: Session, claim: Claim, error: str, *, permanent: bool = False) -> str:
    """Schedule a retry with backoff, or park the job as dead. Returns the new status."""
    dead = permanent or claim.attempt >= claim.max_attempts
    values: dict[str, Any] = {
        "last_error": error[:4000],
        "locked_until": None,
        "lease_token": None,
    }
    if dead:
        values.update(status=JobStatus.dead.value, finished_at=utcnow())
    else:
        values.update(
            status=JobStatus.queued.value,
            run_at=utcnow() + timedelta(seconds=backoff_seconds(claim.attempt)),
        )
    session.execute(
        update(Job)
        .where(Job.id == claim.job_id, Job.lease_token == claim.lease_token)
        .values(**values)
    )
    return str(values.get("status", JobStatus.queued.value))


def retry_dead(session: Session, *, job_id: int, store_id: int | None = None) -> bool:
    """Put a dead job back in the queue with a fresh set of attempts."""
    stmt = update(Job).where(Job.id == job_id, Job.status == JobStatus.dead.value)
    if store_id is not None:
        stmt = stmt.where(Job.store_id == store_id)
    result = session.execute(
        stmt.values(status=JobStatus.queued.value, run_at=utcnow(), attempts=0,
                    finished_at=None, last_error=None)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def list_jobs(
    session: Session, *, status: str | None = None, store_id: int | None = None,
    limit: int = 100, after_id: int | None = None,
) -> list[Job]:
    stmt = select(Job).order_by(Job.id).limit(limit)
    if status:
        stmt = stmt.where(Job.status == status)
    if store_id is not None:
        stmt = stmt.where(Job.store_id == store_id)
    if after_id is not None:
        stmt = stmt.where(Job.id > after_id)
    return list(session.scalars(stmt))
