"""Builders for journey tests: definitions, events, and running the consumer and
steps at a chosen time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from afterward.events import Event, record
from afterward.journeys import consumer, enrolments, service
from afterward.journeys.models import Enrolment, EnrolmentStep
from afterward.messaging.models import Message
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from tests.consuming import until_caught_up


def definition(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "key": "thanks", "name": "Thanks",
        "trigger": {"event": "order.created"},
        "steps": [{"key": "hello", "send": {"channel": "email", "template": "order_confirmation",
                                            "purpose": "transactional"}}],
    }
    body.update(overrides)
    return body


def install(db: Database, store_id: int, raw: dict[str, Any], *, enabled: bool = True) -> None:
    with db.transaction() as session:
        service.save(session, store_id=store_id, raw=raw)
        if enabled:
            service.set_enabled(session, store_id=store_id, key=raw["key"], enabled=True)


def emit(db: Database, store_id: int, name: str, subject_type: str, subject_id: int,
         occurred_at: datetime | None = None, **payload: Any) -> int:
    with db.transaction() as session:
        record(session, store_id=store_id, name=name, subject_type=subject_type,
               subject_id=subject_id, payload=payload, occurred_at=occurred_at)
        return int(session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) or 0)


def consume(db: Database, store_id: int, now: datetime | None = None) -> consumer.Consumed:
    """One batch, and more while events are held back (PostgreSQL: an event waits while
    an older transaction of the database is still running, such as another test's
    server process ending), its counts summed."""
    def batch() -> consumer.Consumed:
        with db.transaction() as session:
            return consumer.consume(session, store_id=store_id, now=now or utcnow())

    total = consumer.Consumed()
    for done in until_caught_up(batch, lambda done: not done.held):
        for name in ("events", "enrolled", "exited", "resumed", "failed"):
            setattr(total, name, getattr(total, name) + getattr(done, name))
        total.last_event_id, total.last_txid = done.last_event_id, done.last_txid
        total.more, total.held = done.more, done.held
    return total


def step(db: Database, enrolment_id: int, now: datetime | None = None) -> str:
    """Run the enrolment's pending step job, as the worker would at `now`."""
    with db.transaction() as session:
        row = session.get(Enrolment, enrolment_id)
        assert row is not None
        return enrolments.advance(session, enrolment_id=enrolment_id, seq=row.seq,
                                  now=now or utcnow())


def the_enrolments(db: Database, store_id: int) -> list[Enrolment]:
    with db.reading() as session:
        return list(session.scalars(select(Enrolment).where(Enrolment.store_id == store_id)
                                    .order_by(Enrolment.id)))


def enrolment(db: Database, enrolment_id: int) -> Enrolment:
    with db.reading() as session:
        row = session.get(Enrolment, enrolment_id)
        assert row is not None
        return row


def history(db: Database, enrolment_id: int) -> list[tuple[str | None, str]]:
    with db.reading() as session:
        return [(r.step_key, r.kind) for r in session.scalars(
            select(EnrolmentStep).where(EnrolmentStep.enrolment_id == enrolment_id)
            .order_by(EnrolmentStep.id))]


def messages(db: Database, store_id: int) -> list[Message]:
    with db.reading() as session:
        return list(session.scalars(select(Message).where(Message.store_id == store_id)
                                    .order_by(Message.id)))
