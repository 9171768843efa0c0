"""Parts that the test shops (tests/e2e/long_shop.py, tests/web/hostile_shop.py) build
alike: the rows a message leaves to look at, and the failures the admin lists."""

from __future__ import annotations

from sqlalchemy import select

from afterward.jobs import Job
from afterward.journeys.models import Enrolment
from afterward.messaging.facts import address_key
from afterward.messaging.models import OutboxEntry, Suppression
from afterward.storage.db import Database
from afterward.storage.types import utcnow


def kept(db: Database, store_id: int, message_id: int) -> tuple[int, int]:
    """The message's outbox entry and the store's first enrolment."""
    with db.reading() as session:
        outbox_id = session.scalar(select(OutboxEntry.id).where(
            OutboxEntry.message_id == message_id))
        enrolment_id = session.scalar(select(Enrolment.id).where(
            Enrolment.store_id == store_id).order_by(Enrolment.id).limit(1))
    assert outbox_id is not None and enrolment_id is not None
    return outbox_id, enrolment_id


def failures(db: Database, store_id: int, message_id: int, *, email: str, job_error: str,
             bounce: str) -> None:
    """A job that died with `job_error`, and a hard bounce of `email` with `bounce`."""
    with db.transaction() as session:
        session.add(Job(kind="email.send", store_id=store_id, status="dead", payload={},
                        attempts=8, last_error=job_error, finished_at=utcnow()))
        session.add(Suppression(store_id=store_id, channel="email",
                                address=address_key("email", email), reason="hard_bounce",
                                message_id=message_id, detail=bounce))
