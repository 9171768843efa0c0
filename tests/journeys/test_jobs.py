"""The periodic jobs: one consumer chain and one scan chain per store, each run
queueing the next slot; a backlog goes on at once; nothing listening, no chain."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from afterward.events import Event
from afterward.jobs import Job
from afterward.journeys import builtins, consumer, service
from afterward.storage.types import utcnow
from tests.journeys.helpers import definition, emit, install
from tests.messaging.conftest import make_customer, run_jobs


def queued(db, kind):
    with db.reading() as session:
        return list(session.scalars(select(Job).where(Job.kind == kind, Job.status == "queued")
                                    .order_by(Job.id)))


def test_switching_journeys_on_starts_one_consumer_and_one_scan(db, store):
    with db.transaction() as session:
        builtins.install(session, store_id=store.id)
    with db.transaction() as session:
        builtins.install(session, store_id=store.id)
        service.set_enabled(session, store_id=store.id, key="winback", enabled=False)
        service.set_enabled(session, store_id=store.id, key="winback", enabled=True)

    assert len(queued(db, service.CONSUME_JOB)) == 1
    assert len(queued(db, service.SCAN_JOB)) == 1


def test_each_run_queues_the_next_slot(db, store):
    install(db, store.id, definition())
    before = utcnow()

    run_jobs(db)

    [consume_next] = queued(db, service.CONSUME_JOB)
    [scan_next] = queued(db, service.SCAN_JOB)
    assert before < consume_next.run_at <= utcnow() + service.CONSUME_EVERY
    assert consume_next.dedupe_key == (f"journeys.consume:{store.id}:at:"
                                       f"{int(consume_next.run_at.timestamp())}")
    assert int(consume_next.run_at.timestamp()) % 5 == 0
    assert scan_next.run_at.minute == 0 and scan_next.run_at > before
    assert run_jobs(db) == 0  # nothing due yet


def test_a_backlog_is_worked_through_at_once(db, store, monkeypatch):
    monkeypatch.setattr(consumer, "BATCH", 2)
    install(db, store.id, definition(trigger={"event": "customer.updated"}))
    for _ in range(5):
        emit(db, store.id, "order.updated", "order", 1)

    run_jobs(db)

    with db.reading() as session:
        keys = list(session.scalars(select(Job.dedupe_key).where(
            Job.kind == service.CONSUME_JOB, Job.status == "done").order_by(Job.id)))
        cursor = session.get(consumer.EventConsumer, consumer.consumer_name(store.id))
        last = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
    assert [k.split(":")[2] for k in keys] == ["kick", "from", "from"]
    assert cursor.last_event_id == last


def test_the_chains_stop_when_nothing_listens(db, store):
    install(db, store.id, definition())
    with db.transaction() as session:
        service.set_enabled(session, store_id=store.id, key="thanks", enabled=False)

    run_jobs(db)

    assert queued(db, service.CONSUME_JOB) == [] and queued(db, service.SCAN_JOB) == []


def test_the_scan_job_emits_only_what_journeys_listen_to(db, store):
    install(db, store.id, definition(trigger={"event": "customer.birthday"}))
    now = utcnow()
    with db.transaction() as session:
        born = make_customer(session, store.id, birthday=now.date().replace(year=1992))
        lapsed = make_customer(session, store.id, email="old@example.com", orders_count=1,
                               last_order_at=now - timedelta(days=130))

    run_jobs(db)

    with db.reading() as session:
        emitted = list(session.execute(select(Event.name, Event.subject_id).where(
            Event.subject_type == "customer", Event.subject_id.in_([born.id, lapsed.id]))))
    assert [tuple(row) for row in emitted] == [("customer.birthday", born.id)]


def test_a_starting_worker_can_restart_every_store_s_chains(db, store, make_store):
    other = make_store("other")
    install(db, store.id, definition())
    install(db, other.id, definition(), enabled=False)
    with db.transaction() as session:  # the chain died (its job went dead)
        session.execute(update(Job).values(status="dead"))

    with db.transaction() as session:
        restarted = service.ensure_all_scheduled(session)
    with db.transaction() as session:
        again = service.ensure_all_scheduled(session)

    assert (restarted, again) == (1, 1)
    assert [j.store_id for j in queued(db, service.CONSUME_JOB)] == [store.id]
    assert [j.store_id for j in queued(db, service.SCAN_JOB)] == [store.id]
