"""Job handlers owned by messaging: the two steps of a send (see pipeline.py), each
also as a batch handler, which the worker uses when many are due at once."""

from __future__ import annotations

from sqlalchemy.orm import Session

from afterward.jobs import JobContext, PermanentError, batch_handler, handler
from afterward.messaging import pipeline, preparing, sending
from afterward.messaging.service import PREPARE_JOB, SEND_JOB
from afterward.storage.types import utcnow

# Due messages are prepared and sent in batches of up to this many jobs per transaction.
PREPARE_BATCH = 200
SEND_BATCH = 200


def _message_id(job: JobContext) -> int:
    try:
        return int(job.payload["message_id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentError(f"job {job.job_id} has no message_id") from exc


@handler(PREPARE_JOB)
def prepare_message(session: Session, job: JobContext) -> None:
    pipeline.prepare(session, message_id=_message_id(job))


@handler(SEND_JOB)
def send_message(session: Session, job: JobContext) -> None:
    pipeline.deliver(session, message_id=_message_id(job), attempt=job.attempt)


@batch_handler(PREPARE_JOB, size=PREPARE_BATCH)
def prepare_messages(session: Session, batch: list[JobContext]) -> dict[int, Exception]:
    ids = {job.job_id: _message_id(job) for job in batch}
    preparing.prepare_many(session, message_ids=list(dict.fromkeys(ids.values())),
                           now=utcnow())
    return {}


@batch_handler(SEND_JOB, size=SEND_BATCH, own_transactions=True)
def send_messages(session: Session, batch: list[JobContext]) -> dict[int, Exception]:
    return sending.deliver_many(session, sends=[
        sending.Send(job.job_id, _message_id(job), job.attempt) for job in batch])
