"""The durable jobs table. Jobs are enqueued in the caller's transaction, claimed
with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL, a conditional UPDATE on SQLite),
retried with exponential backoff and jitter, and parked as dead when they run out
of attempts. A job's handler runs in the same transaction that marks it done, and
that commit is fenced on the lease token, so its database effect happens once."""

from __future__ import annotations

import random
import secrets
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    case,
    false,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

# The handler registry lives in job_handlers.py; its names are part of this module's API.
from afterward.job_handlers import (  # noqa: F401
    WRITE_LOCK,
    BatchHandler,
    BatchRun,
    Handler,
    JobContext,
    batch_handler,
    batch_handler_for,
    handler,
    handler_for,
    registered_kinds,
)
from afterward.storage import bulk
from afterward.storage.db import Base, engine_of, remembers_contents
from afterward.storage.lookups import Lookup
from afterward.storage.queries import one_of
from afterward.storage.types import BigID, JSONType, UTCDateTime, utcnow


class PermanentError(Exception):
    """A handler raises this when a retry cannot help: the job goes dead at once."""


class JobStatus(StrEnum):
    queued = "queued"  # waiting for run_at
    running = "running"  # claimed; lease until locked_until
    done = "done"  # handler committed
    dead = "dead"  # out of attempts or a permanent error; retry by hand


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_due", "status", "run_at"),
        # A batch claim takes due jobs of one kind (see _oldest_due).
        Index("ix_jobs_claim", "status", "kind", "run_at"),
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


_JOBS = cast(Table, Job.__table__)
# A dedupe key is looked up for most jobs (every journey step has one): on SQLite on the
# driver's cursor (storage/lookups.py), as the insert is (no ORM autoflush: jobs are only
# ever inserted through enqueue_many).
_BY_DEDUPE_KEY = Lookup(select(_JOBS.c.id).where(_JOBS.c.dedupe_key == bindparam("dedupe_key")))


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
    if dedupe_key is not None and _BY_DEDUPE_KEY(session, {"dedupe_key": dedupe_key}):
        return None
    [job_id] = enqueue_many(session, kind, [payload or {}], store_id=store_id, run_at=run_at,
                            max_attempts=max_attempts, dedupe_key=dedupe_key)
    return job_id


def slot_after(now: datetime, every: timedelta) -> datetime:
    """The first moment after `now` on the grid of `every` counted from the epoch
    (every 15 minutes: :00, :15, :30, :45): when a periodic job's next run is due."""
    step = int(every.total_seconds())
    return datetime.fromtimestamp((int(now.timestamp()) // step + 1) * step, UTC)


def enqueue_slot(session: Session, kind: str, every: timedelta, *,
                 now: datetime | None = None, max_attempts: int = 3) -> int | None:
    """A periodic job's run for the slot after `now` (slot_after), once per slot
    whoever asks (dedupe key `<kind>:<slot>`), its payload the slot (`{"slot": epoch
    seconds}`); its id, or None when it was there already."""
    slot = slot_after(now or utcnow(), every)
    stamp = int(slot.timestamp())
    return enqueue(session, kind, {"slot": stamp}, run_at=slot, max_attempts=max_attempts,
                   dedupe_key=f"{kind}:{stamp}")


def enqueue_next_slot(session: Session, job: JobContext, kind: str, every: timedelta, *,
                      now: datetime) -> int | None:
    """What a periodic run does last: queue the run of the slot after its own (the slot
    it was scheduled for, or `now` when later: a clock behind the scheduler's must not
    stop the chain)."""
    slot = job.payload.get("slot")
    after = max(now, datetime.fromtimestamp(int(slot), UTC)) if slot is not None else now
    return enqueue_slot(session, kind, every, now=after)


def enqueue_many(session: Session | Connection, kind: str, payloads: list[dict[str, Any]], *,
                 store_id: int | None = None, run_at: datetime | None = None,
                 max_attempts: int = 8, dedupe_key: str | None = None) -> list[int]:
    """Add one job per payload in the caller's transaction (storage/bulk.py); their ids,
    in order. How every path adds jobs, one or a whole import's."""
    if dedupe_key is not None and len(payloads) > 1:
        raise ValueError("a dedupe key names one job")
    now = utcnow()
    return bulk.insert(session, _JOBS, [{
        "kind": kind, "payload": payload, "store_id": store_id, "run_at": run_at or now,
        "dedupe_key": dedupe_key, "max_attempts": max_attempts,
        "status": JobStatus.queued.value, "attempts": 0, "created_at": now,
        "lease_token": None, "locked_by": None, "locked_until": None, "last_error": None,
        "finished_at": None} for payload in payloads], returning_ids=True)


# Jobs a handler asked its worker to run right after the commit: job id -> hint.
RUN_NEXT = "afterward.jobs.run_next"


def run_next(session: Session, job_id: int, hint: Any = None) -> None:
    """Ask the worker whose transaction this is to run job `job_id` (enqueued in this
    transaction, and due) as soon as it commits, handing it `hint`. The worker claims
    it as any job first: if the worker stops, or another one took the job, it runs
    once all the same, later and without the hint. Outside a worker, nothing happens."""
    session.info.setdefault(RUN_NEXT, {})[job_id] = hint


def claim_ids(session: Session, job_ids: list[int], *, worker_id: str, lease_seconds: int,
              now: datetime | None = None) -> list[Claim]:
    """Claim these jobs, those still due (queued and due, or with an expired lease),
    under one lease token."""
    return _claim(session, job_ids, worker_id=worker_id, lease_seconds=lease_seconds,
                  now=now or utcnow(), token=secrets.token_hex(16))


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


def _queued_and_due(now: datetime) -> ColumnElement[bool]:
    return (Job.status == JobStatus.queued.value) & (Job.run_at <= now)


def _lease_expired(now: datetime) -> ColumnElement[bool]:
    return (Job.status == JobStatus.running.value) & (Job.locked_until < now)


def claim_one(
    session: Session, *, worker_id: str, lease_seconds: int, now: datetime | None = None,
    store_id: int | None = None,
) -> Claim | None:
    """Claim one due job (queued and due, or running with an expired lease); with
    store_id, one of that store's."""
    now = now or utcnow()
    claims = _claim(session, _oldest_due(session, now, limit=1, store_id=store_id),
                    worker_id=worker_id, lease_seconds=lease_seconds, now=now,
                    token=secrets.token_hex(16))
    return claims[0] if claims else None


def claim_many(
    session: Session, *, kind: str, worker_id: str, lease_seconds: int, limit: int,
    now: datetime | None = None, token: str | None = None, store_id: int | None = None,
) -> list[Claim]:
    """Claim up to `limit` due jobs of one kind, oldest first, under one lease token
    (pass a claim's token to extend its batch)."""
    if limit <= 0:
        return []
    now = now or utcnow()
    # Extending a batch takes queued jobs only: the claim that began it looked for an
    # expired lease already, and one more look per batch cost PostgreSQL a walk over
    # every running job (~2 ms with 100,000 due). An expired job still goes first.
    return _claim(session, _oldest_due(session, now, limit=limit, kind=kind,
                                       expired=token is None, store_id=store_id),
                  worker_id=worker_id, lease_seconds=lease_seconds, now=now,
                  token=token or secrets.token_hex(16))


# Expired leases (a worker that died mid-job) are looked for whenever nothing queued
# fills a claim, and otherwise at most this often per process and database: the look
# walks every running job (1-2 ms on PostgreSQL with 100,000 due), and a lease is a
# minute long, so a few seconds more before its job is taken again changes nothing.
LEASE_SWEEP_SECONDS = 5.0
_last_sweep: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()
_sweep_lock = threading.Lock()
remembers_contents(lambda: _last_sweep.clear())


def _sweep_due(engine: Engine) -> bool:
    """True (and the clock restarts) when this process should look for expired leases."""
    now = time.monotonic()
    with _sweep_lock:
        if now - _last_sweep.get(engine, float("-inf")) < LEASE_SWEEP_SECONDS:
            return False
        _last_sweep[engine] = now
        return True


def _oldest_due(session: Session, now: datetime, *, limit: int, kind: str | None = None,
                expired: bool = True, store_id: int | None = None) -> list[int]:
    """Ids of the oldest due jobs. Queued and expired jobs are looked up apart: each
    half walks ix_jobs_due (ix_jobs_claim for one kind) in order, where one OR, or a
    kind the index lacks, would sort every due job first (tens of milliseconds per
    claim with 100,000 due). Expired leases: see LEASE_SWEEP_SECONDS."""
    bind = session.get_bind()
    postgresql = bind.dialect.name == "postgresql"

    def oldest(due: ColumnElement[bool]) -> list[tuple[datetime, int]]:
        # On SQLite the index holds the rowid, so (run_at, id) is its order. On
        # PostgreSQL it is not: ordering by id too would read and sort every job due at
        # the same instant (100,000 in a burst) for each claim; ties come in index order.
        order = (Job.run_at,) if postgresql else (Job.run_at, Job.id)
        stmt = select(Job.run_at, Job.id).where(due).order_by(*order).limit(limit)
        if kind is not None:
            stmt = stmt.where(Job.kind == kind)
        if store_id is not None:
            stmt = stmt.where(Job.store_id == store_id)
        if postgresql:
            stmt = stmt.with_for_update(skip_locked=True)
        return [(row.run_at, row.id) for row in session.connection().execute(stmt)]

    found = oldest(_queued_and_due(now))
    if expired and (len(found) < limit or _sweep_due(engine_of(session))):
        found += oldest(_lease_expired(now))
    return [job_id for _, job_id in sorted(found)[:limit]]


def _claim(session: Session, job_ids: list[int], *, worker_id: str, lease_seconds: int,
           now: datetime, token: str) -> list[Claim]:
    if not job_ids:
        return []
    # The conditional UPDATE is what makes the claim safe on SQLite: a job
    # that someone else claimed meanwhile is no longer due. (As a CASE, not an OR:
    # with an OR, SQLite walks the due index instead of looking the ids up.)
    still_due = case((Job.status == JobStatus.queued.value, Job.run_at <= now),
                     (Job.status == JobStatus.running.value, Job.locked_until < now),
                     else_=false())
    result = session.connection().execute(
        update(Job)
        .where(one_of(session, Job.id, job_ids), still_due)
        .values(
            status=JobStatus.running.value,
            lease_token=token,
            locked_by=worker_id,
            locked_until=now + timedelta(seconds=lease_seconds),
            attempts=Job.attempts + 1,
        )
        .returning(Job.id, Job.kind, Job.store_id, Job.payload, Job.attempts,
                   Job.max_attempts)
    )
    claims = {row.id: Claim(row.id, row.kind, row.store_id, row.payload or {}, row.attempts,
                            row.max_attempts, token) for row in result}
    return [claims[job_id] for job_id in job_ids if job_id in claims]


def mark_done(session: Session, claim: Claim) -> bool:
    """Fenced completion: False when our lease was lost (someone else owns the job)."""
    result = session.connection().execute(
        update(Job)
        .where(Job.id == claim.job_id, Job.lease_token == claim.lease_token,
               Job.status == JobStatus.running.value)
        .values(status=JobStatus.done.value, finished_at=utcnow(), locked_until=None,
                lease_token=None, last_error=None)
    )
    return result.rowcount == 1


def mark_done_many(session: Session, claims: list[Claim]) -> bool:
    """Fenced completion of a batch: False when any lease was lost."""
    done = 0
    for token in {claim.lease_token for claim in claims}:
        ids = [claim.job_id for claim in claims if claim.lease_token == token]
        result = session.connection().execute(
            update(Job)
            .where(one_of(session, Job.id, ids), Job.lease_token == token,
                   Job.status == JobStatus.running.value)
            .values(status=JobStatus.done.value, finished_at=utcnow(), locked_until=None,
                    lease_token=None, last_error=None)
        )
        done += result.rowcount
    return done == len(claims)


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
    session.connection().execute(
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
    result = session.connection().execute(
        stmt.values(status=JobStatus.queued.value, run_at=utcnow(), attempts=0,
                    finished_at=None, last_error=None)
    )
    return result.rowcount == 1


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
