"""Job handlers owned by messaging: the two steps of a send (see pipeline.py), each
also as a batch handler, which the worker uses when many are due at once, and the
send step for a batch of messages prepared together (one job for all of them)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from afterward import jobs
from afterward.jobs import JobContext, PermanentError, batch_handler, handler
from afterward.messaging import pipeline, preparing, sending, service
from afterward.messaging.service import (
    PREPARE_JOB,
    PUBLISH_WEBHOOK_JOB,
    SEND_BATCH_JOB,
    SEND_JOB,
    SEND_MAX_ATTEMPTS,
)
from afterward.storage.db import side_transaction
from afterward.storage.types import utcnow

# Due messages are prepared and sent in batches of up to this many jobs per transaction.
PREPARE_BATCH = 200
SEND_BATCH = 200


def _message_id(job: JobContext) -> int:
    try:
        return int(job.payload["message_id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentError(f"job {job.job_id} has no message_id") from exc


def _attempt(job: JobContext) -> int:
    """The message's attempt: a retry split off a send batch counts the batch's tries."""
    before = job.payload.get("attempts_before", 0)
    return job.attempt + (before if isinstance(before, int) and before > 0 else 0)


@handler(PREPARE_JOB)
def prepare_message(session: Session, job: JobContext) -> None:
    pipeline.prepare(session, message_id=_message_id(job))


@handler(SEND_JOB)
def send_message(session: Session, job: JobContext) -> None:
    pipeline.deliver(session, message_id=_message_id(job), attempt=_attempt(job))


@batch_handler(PREPARE_JOB, size=PREPARE_BATCH)
def prepare_messages(session: Session, batch: list[JobContext]) -> dict[int, Exception]:
    ids = {job.job_id: _message_id(job) for job in batch}
    preparing.prepare_many(session, message_ids=list(dict.fromkeys(ids.values())),
                           now=utcnow())
    return {}


@batch_handler(SEND_JOB, size=SEND_BATCH, own_transactions=True)
def send_messages(session: Session, batch: list[JobContext]) -> dict[int, Exception]:
    return sending.deliver_many(session, sends=[
        sending.Send(job.job_id, _message_id(job), _attempt(job)) for job in batch])


@handler(SEND_BATCH_JOB)
def send_message_batch(session: Session, job: JobContext) -> None:
    _send_batch(session, job)


@batch_handler(SEND_BATCH_JOB, size=1, own_transactions=True)
def send_message_batches(session: Session, batch: list[JobContext]) -> dict[int, Exception]:
    for job in batch:
        _send_batch(session, job)
    return {}


def _send_batch(session: Session, job: JobContext) -> None:
    """Send each message of the batch (sending.deliver_many). Each one that should be
    tried again gets a send job of its own, due after the usual backoff, counting the
    batch's attempts; the batch itself is then done. Run again after a crash, the batch
    skips what was sent and leaves a message caught mid-send to pipeline's rules."""
    ids = _message_ids(job)
    failures = sending.deliver_many(session, sends=[
        sending.Send(n, message_id, job.attempt) for n, message_id in enumerate(ids)],
        known=job.hint if isinstance(job.hint, dict) else None)
    if not failures:
        return
    retry_at = utcnow() + timedelta(seconds=jobs.backoff_seconds(job.attempt))
    with sending.turn(session), side_transaction(session) as own:
        jobs.enqueue_many(own, SEND_JOB, [
            {"message_id": ids[n], "attempts_before": job.attempt} for n in sorted(failures)],
            store_id=job.store_id, run_at=retry_at,
            max_attempts=max(1, SEND_MAX_ATTEMPTS - job.attempt))


def _message_ids(job: JobContext) -> list[int]:
    ids = job.payload.get("message_ids")
    if not isinstance(ids, list) or not ids or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise PermanentError(f"job {job.job_id} has no message_ids (a list of ids)")
    return list(dict.fromkeys(ids))


@handler(PUBLISH_WEBHOOK_JOB)
def publish_webhook_event(session: Session, job: JobContext) -> None:
    """Queue another module's event to the store's subscribed endpoints. Run again (a
    worker that died), it finds the deliveries it made: one per (endpoint, event id)."""
    payload = job.payload
    event_type, event_id, data = (payload.get("event_type"), payload.get("event_id"),
                                  payload.get("data"))
    if job.store_id is None or not isinstance(event_type, str) or not isinstance(
            event_id, str) or not isinstance(data, dict):
        raise PermanentError(f"job {job.job_id} needs a store, event_type, event_id and data")
    service.queue_webhook_event(session, store_id=job.store_id, event_type=event_type,
                                event_id=event_id, data=data)
