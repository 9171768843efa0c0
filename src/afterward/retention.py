"""Finished jobs are kept for a while (to look at, and so that a dedupe key cannot be
used twice while it matters), then deleted: every order, message and poll leaves a
job behind, and a busy store would grow the table without end.

Every dedupe key in use names something that only moves forward (a time slot, a
cursor position, an enrolment step's sequence number, a poll's generation), so a
key older than the retention period is never asked for again. Dead jobs are kept
until someone retries or looks at them.

The same run deletes throttle counts whose window has ended (throttle.py): a new
attempt opens a fresh window anyway, so an ended row only takes room."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from afterward import jobs, throttle
from afterward.jobs import Job, JobContext, JobStatus, handler
from afterward.storage.types import utcnow

PURGE_JOB = "jobs.purge"
PURGE_EVERY = timedelta(hours=6)
KEEP_DAYS = 7  # done jobs younger than this stay
BATCH = 5_000  # rows per DELETE, so one run never holds the write lock for long
MAX_BATCHES = 10  # per run; a follow-up run takes the rest


def purge_done(session: Session, *, before: datetime, limit: int = BATCH) -> int:
    """Delete up to `limit` done jobs finished before `before`; how many went."""
    # A job runs after its run_at, so run_at < before bounds the index range (status,
    # run_at) and finished_at decides.
    doomed = (select(Job.id).where(Job.status == JobStatus.done.value, Job.run_at < before,
                                   Job.finished_at < before)
              .order_by(Job.id).limit(limit))
    result = session.execute(delete(Job).where(Job.id.in_(doomed.scalar_subquery())))
    return cast(CursorResult[Any], result).rowcount


def ensure_scheduled(session: Session, *, now: datetime | None = None,
                     keep_days: int = KEEP_DAYS) -> int | None:
    """The purge for the slot after `now` (once per slot, whoever asks)."""
    slot = jobs.slot_after(now or utcnow(), PURGE_EVERY)
    stamp = int(slot.timestamp())
    return jobs.enqueue(session, PURGE_JOB, {"keep_days": keep_days}, run_at=slot,
                        max_attempts=3, dedupe_key=f"{PURGE_JOB}:{stamp}")


@handler(PURGE_JOB)
def run_purge(session: Session, job: JobContext) -> None:
    keep_days = int(job.payload.get("keep_days", KEEP_DAYS))
    now = utcnow()
    before = now - timedelta(days=keep_days)
    jobs_finished = _purged_all(lambda: purge_done(session, before=before))
    hits_finished = _purged_all(
        lambda: throttle.purge_expired(session, before=now, limit=BATCH))
    if not (jobs_finished and hits_finished):  # more than one run's worth: go on afresh
        jobs.enqueue(session, PURGE_JOB, {"keep_days": keep_days}, run_at=now, max_attempts=3)
        return
    ensure_scheduled(session, now=now, keep_days=keep_days)


def _purged_all(purge_batch: Callable[[], int]) -> bool:
    """Up to MAX_BATCHES batches; whether the last one found less than a batch."""
    return any(purge_batch() < BATCH for _ in range(MAX_BATCHES))
