"""Running insights/recompute.py: the job `insights.recompute` (one store), the
nightly pass `insights.recompute_nightly` at NIGHTLY_AT (Module.periodic schedules
the first; it enqueues one job per store, each deduplicated per night, and the next
night's pass), and after a bulk import (Module.imported: `after_import` enqueues one
a minute later unless one is queued already, so several files make one run)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward import jobs
from afterward.commerce.models import Store
from afterward.insights import nightly as nightly_pass
from afterward.storage import locks
from afterward.storage.types import utcnow

JOB = "insights.recompute"
NIGHTLY_JOB = "insights.recompute_nightly"
NIGHTLY_AT = time(3, 0)  # UTC, after the words' pass (02:30)
AFTER_IMPORT = timedelta(minutes=1)


def enqueue(session: Session, store_id: int, *, day: str | None = None,
            run_at: datetime | None = None) -> int | None:
    """The recompute job for a store (once per `day`, when given: the nightly pass)."""
    return jobs.enqueue(session, JOB, {"store_id": store_id}, store_id=store_id,
                        max_attempts=3, run_at=run_at,
                        dedupe_key=f"{JOB}:{store_id}:{day}" if day is not None else None)


def queued(session: Session, store_id: int) -> bool:
    """Is a recompute of this store waiting to start?"""
    return session.scalar(select(jobs.Job.id).where(
        jobs.Job.kind == JOB, jobs.Job.store_id == store_id,
        jobs.Job.status == jobs.JobStatus.queued.value).limit(1)) is not None


def after_import(session: Session, *, store_id: int, orders: int,
                 now: datetime | None = None) -> int | None:
    """Module.imported: a bulk import wrote `orders` orders; a recompute follows."""
    locks.hold(session, "insights-recompute-request", store_id)
    if queued(session, store_id):
        return None
    return enqueue(session, store_id, run_at=(now or utcnow()) + AFTER_IMPORT)


@jobs.handler(JOB)
def run_job(session: Session, job: jobs.JobContext) -> None:
    from afterward.insights import recompute

    store_id = int(job.payload["store_id"])
    if session.get(Store, store_id) is None:
        return  # the store is gone
    recompute.recompute(session, store_id)


def ensure_scheduled(session: Session, *, now: datetime | None = None) -> int | None:
    """The next night's pass (Module.periodic); once per night (dedupe key)."""
    return nightly_pass.schedule(session, NIGHTLY_JOB, NIGHTLY_AT, now=now)


@jobs.handler(NIGHTLY_JOB)
def nightly(session: Session, job: jobs.JobContext) -> None:
    """A recompute job for every store (each its own job, so one store's failure
    retries alone), then the next night's pass."""
    nightly_pass.fan_out(session, job, NIGHTLY_JOB, NIGHTLY_AT,
                         lambda s, store_id, night: enqueue(s, store_id, day=night))
