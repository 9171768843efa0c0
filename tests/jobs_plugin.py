"""Job handlers used by the worker tests, loaded through AFTERWARD_PLUGINS."""

from __future__ import annotations

import time

from sqlalchemy.orm import Session

from afterward.events import record
from afterward.jobs import JobContext, PermanentError, enqueue_many, handler, run_next


@handler("test.record_effect")
def record_effect(session: Session, job: JobContext) -> None:
    """Writes its effect, then (on the first attempt only) dawdles so a test can kill it."""
    record(session, store_id=job.store_id or 0, name="test.effect", subject_type="job",
           subject_id=job.job_id, payload={"attempt": job.attempt})
    session.flush()
    if job.attempt == 1:
        time.sleep(float(job.payload.get("first_attempt_sleep", 0)))


@handler("test.always_fails")
def always_fails(session: Session, job: JobContext) -> None:
    raise RuntimeError(f"boom on attempt {job.attempt}")


@handler("test.permanent")
def permanent(session: Session, job: JobContext) -> None:
    raise PermanentError("cannot ever work")


@handler("test.chain")
def chain(session: Session, job: JobContext) -> None:
    """Enqueues a test.record_hint job and asks its worker to run it next, with a hint."""
    (follower,) = enqueue_many(session, "test.record_hint", [{}], store_id=job.store_id)
    run_next(session, follower, {"from": job.job_id})


@handler("test.record_hint")
def record_hint(session: Session, job: JobContext) -> None:
    record(session, store_id=job.store_id or 0, name="test.hint", subject_type="job",
           subject_id=job.job_id, payload={"hint": job.hint})
