"""The worker as a real process: killed mid-job, the job runs again and its
effect happens exactly once. Several workers at once claim each job once."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

import tests.jobs_plugin  # noqa: F401
from afterward import jobs
from afterward.events import Event
from afterward.jobs import Job
from afterward.worker import Worker
from tests.servers import WorkerProcess


def spawn_worker(db_url: str, lease_seconds: int) -> WorkerProcess:
    """`afterward worker` with the test jobs, its log (from INFO) in test-artifacts: a
    pipe nobody reads would stop it once full, in the middle of a transaction."""
    return WorkerProcess(db_url, plugins="tests.jobs_plugin", log_level="info",
                         job_lease_seconds=str(lease_seconds))


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def job_state(db, job_id: int) -> tuple[str, int]:
    with db.reading() as session:
        row = session.get(Job, job_id)
        return row.status, row.attempts


@pytest.mark.slow
def test_a_killed_worker_s_job_runs_again_and_its_effect_happens_once(db, db_url, store):
    # given a job that dawdles on its first attempt after writing its effect
    with db.transaction() as session:
        job_id = jobs.enqueue(session, "test.record_effect", {"first_attempt_sleep": 60},
                              store_id=store.id)
    first = spawn_worker(db_url, lease_seconds=2)
    try:
        wait_for(lambda: job_state(db, job_id) == ("running", 1))
        # when the worker dies in the middle of the job
    finally:
        first.kill()
    assert job_state(db, job_id) == ("running", 1)
    second = spawn_worker(db_url, lease_seconds=2)
    try:
        # then another worker takes it once the lease has run out
        wait_for(lambda: job_state(db, job_id)[0] == "done")
    finally:
        second.terminate(timeout=10)
    with db.reading() as session:
        effects = session.scalars(select(Event.payload).where(Event.name == "test.effect")).all()
    assert effects == [{"attempt": 2}]
    assert job_state(db, job_id) == ("done", 2)
    assert second.process.returncode == 0


def test_four_workers_at_once_run_each_job_exactly_once(db, store):
    with db.transaction() as session:
        for _ in range(60):
            jobs.enqueue(session, "test.record_effect", {}, store_id=store.id)
    workers = [Worker(db, name=f"w{i}") for i in range(4)]
    threads = [threading.Thread(target=w.run, kwargs={"until_idle": True}) for w in workers]

    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for w in workers:  # should one still be at it, it stops before the database is reset
        w.stop()
    assert [t.is_alive() for t in threads] == [False] * 4

    with db.reading() as session:
        done = session.scalar(select(func.count()).select_from(Job).where(Job.status == "done"))
        effects = session.scalar(select(func.count()).select_from(Event)
                                 .where(Event.name == "test.effect"))
        attempts = session.scalar(select(func.max(Job.attempts)))
    assert (done, effects, attempts) == (60, 60, 1)


def test_sigterm_stops_the_worker_cleanly(db_url, store):
    worker = spawn_worker(db_url, lease_seconds=5)
    try:  # wait until the signal handlers are in place
        wait_for(lambda: "worker(s) started" in worker.log.read_text(errors="replace"))

        worker.terminate(timeout=10)
    finally:
        worker.kill()

    assert worker.process.returncode == 0
