"""Job handlers owned by messaging: the two steps of a send (see pipeline.py)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from afterward.jobs import JobContext, PermanentError, handler
from afterward.messaging import pipeline
from afterward.messaging.service import PREPARE_JOB, SEND_JOB


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
