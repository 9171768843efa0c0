"""Job handlers owned by journeys: the per-store event consumer and customer scans
(periodic: each run queues the next slot under a dedupe key, so a chain is never
doubled) and an enrolment's next step."""

from __future__ import annotations

import logging

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from afterward import jobs
from afterward.jobs import JobContext, PermanentError, batch_handler, handler
from afterward.journeys import consumer, enrolments, scans, service
from afterward.storage.types import utcnow

log = logging.getLogger("afterward.journeys")

STEP_BATCH = 100  # enrolment steps due together run in one transaction, up to this many


def _store(job: JobContext) -> int:
    if job.store_id is None:
        raise PermanentError(f"job {job.job_id} has no store")
    return job.store_id


@handler(service.CONSUME_JOB)
def consume_events(session: Session, job: JobContext) -> None:
    store_id = _store(job)
    now = utcnow()
    result = consumer.consume(session, store_id=store_id, now=now)
    if result.more:  # a backlog: go on at once
        jobs.enqueue(session, service.CONSUME_JOB, store_id=store_id, run_at=now,
                     dedupe_key=f"{service.CONSUME_JOB}:{store_id}:from:"
                                f"{result.last_txid}:{result.last_event_id}")
        return
    if not service.has_work(session, store_id=store_id):
        return  # nothing listens: the chain stops; enabling a journey starts it again
    at = service.slot(now, service.CONSUME_EVERY, later=True)
    jobs.enqueue(session, service.CONSUME_JOB, store_id=store_id, run_at=at,
                 dedupe_key=f"{service.CONSUME_JOB}:{store_id}:at:{int(at.timestamp())}")


@handler(service.SCAN_JOB)
def scan_customers(session: Session, job: JobContext) -> None:
    store_id = _store(job)
    now = utcnow()
    if not service.has_work(session, store_id=store_id):
        return
    listened = service.listened_events(session, store_id=store_id)
    found = scans.scan(session, store_id=store_id, now=now, names=listened)
    if any(found.values()):
        log.info("journeys: store %s scan emitted %s", store_id, found)
    at = service.slot(now, service.SCAN_EVERY, later=True)
    jobs.enqueue(session, service.SCAN_JOB, store_id=store_id, run_at=at,
                 dedupe_key=f"{service.SCAN_JOB}:{store_id}:at:{int(at.timestamp())}")


@handler(enrolments.STEP_JOB)
def run_step(session: Session, job: JobContext) -> None:
    enrolment_id, seq = _step(job)
    enrolments.advance(session, enrolment_id=enrolment_id, seq=seq, now=utcnow())


@batch_handler(enrolments.STEP_JOB, size=STEP_BATCH)
def run_steps(session: Session, batch: list[JobContext]) -> dict[int, Exception]:
    """Many due steps in one transaction (a claim and a commit each is most of a
    step's cost), each in a savepoint: a step that fails leaves no effect and is
    retried alone, as its job would be."""
    now, failed = utcnow(), {}
    for job in batch:
        try:
            with session.begin_nested():
                enrolment_id, seq = _step(job)
                enrolments.advance(session, enrolment_id=enrolment_id, seq=seq, now=now)
        except OperationalError:
            raise  # the database, not the step: the worker runs each alone
        except Exception as exc:
            failed[job.job_id] = exc
    return failed


def _step(job: JobContext) -> tuple[int, int]:
    try:
        return int(job.payload["enrolment_id"]), int(job.payload["seq"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentError(f"job {job.job_id} has no enrolment_id/seq") from exc
