"""The worker runs loyalty: its consumer through the event nudge (Module.consumers),
and its periodic pass as a self-renewing job."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from afterward.jobs import Job
from afterward.loyalty import consumer, tick
from afterward.storage.types import utcnow


def test_the_nudge_consumes_the_stores_with_a_program(club, db):
    _, customer_id = club.order()

    events, _ = consumer.consume_behind(db)

    assert events >= 1
    assert club.points(customer_id) == (0, 300, 0)
    # then nothing: its own loyalty.points_earned is not an event it reads
    assert [consumer.consume_behind(db) for _ in range(2)] == [(0, True), (0, True)]
    assert club.points(customer_id) == (0, 300, 0)


def test_the_periodic_pass_is_scheduled_once_per_slot_and_renews_itself(club, db):
    now = utcnow()
    with db.transaction() as session:
        first = tick.ensure_scheduled(session, now=now)
        again = tick.ensure_scheduled(session, now=now)
    assert first is not None and again is None

    order_id, customer_id = club.order()
    club.deliver(order_id, now - timedelta(days=40))
    club.consume()
    with db.transaction() as session:
        from afterward.jobs import JobContext

        job = session.get(Job, first)
        tick.tick(session, JobContext(first, None, 1, dict(job.payload)))
    assert club.points(customer_id) == (300, 0, 0)
    with db.reading() as session:
        kinds = [j.dedupe_key for j in session.scalars(select(Job).where(
            Job.kind == tick.TICK_JOB).order_by(Job.id))]
    assert len(kinds) == 2
