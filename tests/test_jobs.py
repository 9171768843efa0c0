from __future__ import annotations

import contextlib
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


def test_a_worker_for_one_store_leaves_the_other_stores_jobs_alone(db, store, make_store):
    other = make_store("other")
    theirs = add_job(db, "test.record_effect", other.id)
    ours = add_job(db, "test.record_effect", store.id)

    ran = Worker(db, store_id=store.id).run(until_idle=True)

    assert ran == 1
    assert (job_row(db, ours).status, job_row(db, theirs).status) == ("done", "queued")


def test_a_job_not_yet_due_is_left_alone(db, store):
    job_id = add_job(db, "test.record_effect", store.id, run_at=utcnow() + timedelta(hours=1))

    assert Worker(db).run(until_idle=True) == 0
    assert job_row(db, job_id).status == "queued"


def test_a_failing_job_is_retried_later_with_backoff(db, store):
    job_id = add_job(db, "test.always_fails", store.id)
    before = utcnow()

    Worker(db).step()
    after = utcnow()

    row = job_row(db, job_id)
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.last_error == "RuntimeError: boom on attempt 1"
    # The first retry waits 1-2 s (backoff_seconds) from the failure, which came between
    # `before` and `after`, however long the step took on a busy machine.
    assert before + timedelta(seconds=1) <= row.run_at <= after + timedelta(seconds=2)


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


def test_expired_leases_are_looked_for_at_most_every_sweep_interval_while_queued_jobs_fill_claims(
        db, store, monkeypatch):
    stuck = add_job(db, "test.record_effect", store.id, run_at=utcnow() - timedelta(minutes=5))
    with db.transaction() as session:
        jobs.claim_one(session, worker_id="dead", lease_seconds=30)
    queued = [add_job(db, "test.record_effect", store.id) for _ in range(2)]
    later = utcnow() + timedelta(seconds=31)  # the stuck job's lease has run out
    clock = [1000.0]
    monkeypatch.setattr(jobs.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(jobs, "_last_sweep", jobs.weakref.WeakKeyDictionary())

    def claim() -> int:
        with db.transaction() as session:
            claim = jobs.claim_one(session, worker_id="b", lease_seconds=30, now=later)
        assert claim is not None
        return claim.job_id

    first = claim()  # the first claim sweeps
    clock[0] += jobs.LEASE_SWEEP_SECONDS - 1
    second = claim()  # queued fills it, and the last sweep was recent
    clock[0] += 1
    third = claim()

    assert (first, second, third) == (stuck, queued[0], queued[1])
    with db.transaction() as session:  # nothing queued is due: the sweep runs at once
        again = jobs.claim_one(session, worker_id="d", lease_seconds=30,
                               now=later + timedelta(seconds=31))
    assert again is not None and again.job_id == stuck


@pytest.mark.parametrize("attempt,low,high", [(1, 1.0, 2.0), (3, 4.0, 8.0), (30, 1800, 3600)])
def test_backoff_doubles_with_jitter_and_a_cap(attempt, low, high):
    for _ in range(50):
        assert low <= jobs.backoff_seconds(attempt) <= high


# --- batches -------------------------------------------------------------------------

@jobs.handler("test.batched")
def _batched_alone(session, job):
    if job.payload.get("fail"):
        raise RuntimeError("bad alone")
    record_batch_effect(session, job, "alone")


@jobs.batch_handler("test.batched", size=3)
def _batched(session, batch):
    if any(job.payload.get("explode") for job in batch):
        raise RuntimeError("the whole batch is broken")
    failed = {}
    for job in batch:
        if job.payload.get("fail"):
            failed[job.job_id] = RuntimeError("bad in batch")
        else:
            record_batch_effect(session, job, "batch")
    return failed


def record_batch_effect(session, job, how):
    from afterward.events import record

    record(session, store_id=job.store_id or 0, name="test.effect", subject_type="job",
           subject_id=job.job_id, payload={"how": how})
    session.flush()


def effects(db) -> list[tuple[int, str]]:
    with db.reading() as session:
        rows = session.execute(select(Event.subject_id, Event.payload)
                               .where(Event.name == "test.effect").order_by(Event.id))
        return [(subject, payload["how"]) for subject, payload in rows]


def test_claim_many_takes_the_oldest_due_jobs_of_one_kind_under_one_lease(db, store):
    now = utcnow()
    older = add_job(db, "test.batched", store.id, run_at=now - timedelta(minutes=2))
    other_kind = add_job(db, "test.record_effect", store.id, run_at=now - timedelta(minutes=3))
    newer = add_job(db, "test.batched", store.id, run_at=now - timedelta(minutes=1))
    add_job(db, "test.batched", store.id, run_at=now + timedelta(hours=1))  # not due

    with db.transaction() as session:
        claims = jobs.claim_many(session, kind="test.batched", worker_id="w",
                                 lease_seconds=30, limit=5)

    assert [c.job_id for c in claims] == [older, newer]
    assert len({c.lease_token for c in claims}) == 1
    assert job_row(db, other_kind).status == "queued"
    with db.transaction() as session:
        assert jobs.mark_done_many(session, claims) is True
    assert [job_row(db, j).status for j in (older, newer)] == ["done", "done"]


def test_a_batch_is_fenced_on_every_lease(db, store):
    first = add_job(db, "test.batched", store.id)
    add_job(db, "test.batched", store.id)
    with db.transaction() as session:
        claims = jobs.claim_many(session, kind="test.batched", worker_id="a",
                                 lease_seconds=30, limit=5)
    with db.transaction() as session:  # the first job's lease ran out and b took it
        [stolen] = jobs.claim_many(session, kind="test.batched", worker_id="b",
                                   lease_seconds=30, limit=1,
                                   now=utcnow() + timedelta(seconds=31))
    assert stolen.job_id == first

    with db.transaction() as session:
        assert jobs.mark_done_many(session, claims) is False


def test_the_worker_runs_due_jobs_of_a_batched_kind_together(db, store):
    ids = [add_job(db, "test.batched", store.id) for _ in range(4)]

    assert Worker(db).step() is True

    assert [job_row(db, j).status for j in ids] == ["done", "done", "done", "queued"]
    assert effects(db) == [(ids[0], "batch"), (ids[1], "batch"), (ids[2], "batch")]


def test_a_job_that_fails_in_a_batch_is_retried_and_the_others_are_done(db, store):
    good = add_job(db, "test.batched", store.id)
    bad = add_job(db, "test.batched", store.id, {"fail": True})

    Worker(db).step()

    assert job_row(db, good).status == "done"
    failed = job_row(db, bad)
    assert (failed.status, failed.attempts, failed.last_error) == (
        "queued", 1, "RuntimeError: bad in batch")
    assert effects(db) == [(good, "batch")]


def test_a_batch_that_raises_runs_each_job_alone(db, store):
    good = add_job(db, "test.batched", store.id)
    broken = add_job(db, "test.batched", store.id, {"explode": True})

    Worker(db).step()

    assert [job_row(db, j).status for j in (good, broken)] == ["done", "done"]
    assert effects(db) == [(good, "alone"), (broken, "alone")]


def test_a_plain_handler_registered_later_replaces_the_batch_handler():
    assert jobs.batch_handler_for("test.batched") is not None

    @jobs.handler("test.replaced")
    def alone(session, job):
        pass

    @jobs.batch_handler("test.replaced", size=5)
    def together(session, batch):
        return {}

    assert jobs.batch_handler_for("test.replaced") is not None
    jobs.handler("test.replaced")(alone)  # e.g. a plugin loaded after the module
    assert jobs.batch_handler_for("test.replaced") is None


@jobs.handler("test.own_transactions")
def _own_alone(session, job):
    record_batch_effect(session, job, "alone")


@jobs.batch_handler("test.own_transactions", size=5, own_transactions=True)
def _own_batch(session, batch):
    # given to the handler: a session with nothing begun, and on SQLite the write lock
    seen.append((session.in_transaction(), session.info.get(jobs.WRITE_LOCK) is not None))
    lock = session.info.get(jobs.WRITE_LOCK)
    from afterward.storage.db import side_transaction

    with lock if lock is not None else contextlib.nullcontext(), \
            side_transaction(session) as own:
        for job in batch[1:]:
            record_batch_effect(own, job, "own")
    return {batch[0].job_id: RuntimeError("first one failed")}


seen: list[tuple[bool, bool]] = []


def test_a_batch_with_its_own_transactions_runs_outside_the_workers(db, store):
    # given
    ids = [add_job(db, "test.own_transactions", store.id) for _ in range(3)]
    seen.clear()
    # when
    assert Worker(db).step() is True
    # then: its commits stand, the jobs it did not fail are done, the failed one retries
    assert seen == [(False, db.backend == "sqlite")]
    assert effects(db) == [(ids[1], "own"), (ids[2], "own")]
    assert [job_row(db, j).status for j in ids] == ["queued", "done", "done"]
    assert job_row(db, ids[0]).last_error.startswith("RuntimeError: first one failed")


def hints_recorded(db) -> list[object]:
    with db.reading() as session:
        return [e.payload["hint"] for e in session.scalars(
            select(Event).where(Event.name == "test.hint").order_by(Event.id))]


def test_a_job_asked_to_run_next_is_the_worker_s_next_step_with_its_hint(db, store):
    first = add_job(db, "test.chain", store.id)
    later = add_job(db, "test.record_effect", store.id)  # due before the follower is made
    worker = Worker(db, name="w")

    assert worker.step() is True  # the chain job
    assert list(worker.next) != []
    assert worker.step() is True  # its follower, ahead of the job that was due first

    assert hints_recorded(db) == [{"from": first}]
    assert job_row(db, later).status == "queued"
    with db.reading() as session:
        assert [j.status for j in session.scalars(select(Job).order_by(Job.id))] == [
            "done", "queued", "done"]


def test_a_follower_another_worker_took_runs_there_once_without_the_hint(db, store):
    add_job(db, "test.chain", store.id)
    chaining, other = Worker(db, name="a"), Worker(db, name="b")

    chaining.step()
    assert other.step() is True  # b claims the follower as any due job
    assert chaining.step() is False  # nothing left of what it was asked to run

    assert hints_recorded(db) == [None]
    assert chaining.next == {}


@pytest.mark.parametrize(("now", "every", "due"), [
    ((10, 7, 30), timedelta(minutes=15), (10, 15, 0)),
    ((10, 15, 0), timedelta(minutes=15), (10, 30, 0)),  # on the grid: the next one
    ((10, 59, 59), timedelta(hours=1), (11, 0, 0)),
])
def test_a_periodic_run_is_due_at_the_next_slot_of_its_grid(now, every, due):
    from datetime import UTC, datetime

    at = datetime(2026, 12, 7, *now, tzinfo=UTC)

    assert jobs.slot_after(at, every) == datetime(2026, 12, 7, *due, tzinfo=UTC)


def test_a_periodic_run_is_queued_once_per_slot_whoever_asks(db):
    from datetime import UTC, datetime

    at = datetime(2026, 12, 7, 10, 7, tzinfo=UTC)
    with db.transaction() as session:
        first = jobs.enqueue_slot(session, "test.periodic", timedelta(minutes=15), now=at)
        again = jobs.enqueue_slot(session, "test.periodic", timedelta(minutes=15),
                                  now=at + timedelta(minutes=5))
    with db.reading() as session:
        queued = session.execute(select(Job.payload, Job.run_at, Job.dedupe_key)
                                 .where(Job.kind == "test.periodic")).all()

    slot = datetime(2026, 12, 7, 10, 15, tzinfo=UTC)
    assert first is not None and again is None
    assert [tuple(row) for row in queued] == [
        ({"slot": int(slot.timestamp())}, slot, f"test.periodic:{int(slot.timestamp())}")]
