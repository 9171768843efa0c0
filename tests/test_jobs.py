from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

import tests.jobs_plugin  # noqa: F401  (registers the test handlers)
from afterward import jobs
from afterward.events import Event
from afterward.jobs import Job
from afterward.storage.types import utcnow
from afterward.worker import Worker


def job_row(db, job_id: int) -> Job:
    with db.reading() as session:
        return session.get(Job, job_id)


def add_job(db, kind: str, store_id: int, payload: dict | None = None, **kw) -> int:
    with db.transaction() as session:
        return jobs.enqueue(session, kind, payload or {}, store_id=store_id, **kw)


def test_a_job_enqueued_in_a_rolled_back_transaction_never_exists(db, store):
    with pytest.raises(RuntimeError), db.transaction() as session:
        jobs.enqueue(session, "test.record_effect", {}, store_id=store.id)
        session.flush()
        raise RuntimeError("the change failed")

    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 0


def test_a_dedupe_key_enqueues_once(db, store):
    with db.transaction() as session:
        first = jobs.enqueue(session, "test.record_effect", store_id=store.id, dedupe_key="k1")
        second = jobs.enqueue(session, "test.record_effect", store_id=store.id, dedupe_key="k1")

    assert first is not None
    assert second is None


def test_the_worker_runs_a_due_job_and_marks_it_done(db, store):
    job_id = add_job(db, "test.record_effect", store.id)

    ran = Worker(db).run(until_idle=True)

    assert ran == 1
    row = job_row(db, job_id)
    assert (row.status, row.attempts, row.lease_token) == ("done", 1, None)


def test_a_job_not_yet_due_is_left_alone(db, store):
    job_id = add_job(db, "test.record_effect", store.id, run_at=utcnow() + timedelta(hours=1))

    assert Worker(db).run(until_idle=True) == 0
    assert job_row(db, job_id).status == "queued"


def test_a_failing_job_is_retried_later_with_backoff(db, store):
    job_id = add_job(db, "test.always_fails", store.id)
    before = utcnow()

    Worker(db).step()

    row = job_row(db, job_id)
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.last_error == "RuntimeError: boom on attempt 1"
    assert before + timedelta(seconds=0.9) <= row.run_at <= before + timedelta(seconds=3)


def test_its_effects_are_rolled_back_when_a_handler_fails(db, store):
    add_job(db, "test.always_fails", store.id)

    Worker(db).step()

    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0


def test_a_job_out_of_attempts_goes_dead_and_can_be_retried(db, store):
    job_id = add_job(db, "test.always_fails", store.id, max_attempts=1)

    Worker(db).step()
    assert job_row(db, job_id).status == "dead"

    with db.transaction() as session:
        assert jobs.retry_dead(session, job_id=job_id) is True
    row = job_row(db, job_id)
    assert (row.status, row.attempts, row.last_error) == ("queued", 0, None)


def test_a_permanent_error_goes_dead_at_once(db, store):
    job_id = add_job(db, "test.permanent", store.id)

    Worker(db).step()

    row = job_row(db, job_id)
    assert (row.status, row.attempts, row.last_error) == (
        "dead", 1, "afterward.jobs.PermanentError: cannot ever work")


def test_an_unknown_kind_goes_dead_with_a_reason(db, store):
    job_id = add_job(db, "no.such.kind", store.id)

    Worker(db).step()

    assert job_row(db, job_id).last_error == (
        "afterward.jobs.PermanentError: no handler for job kind 'no.such.kind'")


def test_an_expired_lease_lets_another_worker_take_the_job_and_fences_the_first(db, store):
    job_id = add_job(db, "test.record_effect", store.id)
    with db.transaction() as session:
        first = jobs.claim_one(session, worker_id="a", lease_seconds=30)
    with db.transaction() as session:
        assert jobs.claim_one(session, worker_id="b", lease_seconds=30) is None
        second = jobs.claim_one(session, worker_id="b", lease_seconds=30,
                                now=utcnow() + timedelta(seconds=31))

    assert second is not None and second.attempt == 2
    with db.transaction() as session:
        assert jobs.mark_done(session, first) is False
        assert jobs.mark_done(session, second) is True
    assert job_row(db, job_id).status == "done"


@pytest.mark.parametrize("attempt,low,high", [(1, 1.0, 2.0), (3, 4.0, 8.0), (30, 1800, 3600)])
def test_backoff_doubles_with_jitter_and_a_cap(attempt, low, high):
    for _ in range(50):
        assert low <= jobs.backoff_seconds(attempt) <= high
