"""Job handlers owned by journeys: the per-store event consumer and customer scans
(periodic: each run queues the next slot under a dedupe key, so a chain is never
doubled) and an enrolment's next step."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from afterward import jobs
from afterward.jobs import JobContext, PermanentError, handler
from afterward.journeys import consumer, enrolments, scans, service
from afterward.journeys.models import Journey
from afterward.storage.types import utcnow

log = logging.getLogger("afterward.journeys")


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
    listened = {name for summary in service.list_journeys(session, store_id=store_id)
                if summary.journey.enabled
                for name in _trigger_events(session, summary.journey)}
    found = scans.scan(session, store_id=store_id, now=now, names=listened)
    if any(found.values()):
        log.info("journeys: store %s scan emitted %s", store_id, found)
    at = service.slot(now, service.SCAN_EVERY, later=True)
    jobs.enqueue(session, service.SCAN_JOB, store_id=store_id, run_at=at,
                 dedupe_key=f"{service.SCAN_JOB}:{store_id}:at:{int(at.timestamp())}")


def _trigger_events(session: Session, journey: Journey) -> tuple[str, ...]:
    version = service.version_of(session, journey=journey, version=journey.version)
    return enrolments.compiled(version)[0].trigger.events if version is not None else ()


@handler(enrolments.STEP_JOB)
def run_step(session: Session, job: JobContext) -> None:
    try:
        enrolment_id, seq = int(job.payload["enrolment_id"]), int(job.payload["seq"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentError(f"job {job.job_id} has no enrolment_id/seq") from exc
    enrolments.advance(session, enrolment_id=enrolment_id, seq=seq, now=utcnow())
