"""The worker as a real process: killed mid-job, the job runs again and its
effect happens exactly once. Several workers at once claim each job once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

import tests.jobs_plugin  # noqa: F401
from afterward import jobs
from afterward.events import Event
from afterward.jobs import Job
from afterward.worker import Worker

ROOT = Path(__file__).parent.parent


def spawn_worker(db_url: str, lease_seconds: int) -> subprocess.Popen:
    env = {**os.environ, "AFTERWARD_DATABASE_URL": db_url,
           "AFTERWARD_PLUGINS": "tests.jobs_plugin",
           "AFTERWARD_JOB_LEASE_SECONDS": str(lease_seconds),
           "AFTERWARD_SECRET_KEY": "x" * 32,
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-m", "afterward.cli.__main__", "worker"],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


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
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert job_state(db, job_id) == ("running", 1)
    second = spawn_worker(db_url, lease_seconds=2)
    try:
        # then another worker takes it once the lease has run out
        wait_for(lambda: job_state(db, job_id)[0] == "done")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=10)
    with db.reading() as session:
        effects = session.scalars(select(Event.payload).where(Event.name == "test.effect")).all()
    assert effects == [{"attempt": 2}]
    assert job_state(db, job_id) == ("done", 2)
    assert second.returncode == 0


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

    with db.reading() as session:
        done = session.scalar(select(func.count()).select_from(Job).where(Job.status == "done"))
        effects = session.scalar(select(func.count()).select_from(Event)
                                 .where(Event.name == "test.effect"))
        attempts = session.scalar(select(func.max(Job.attempts)))
    assert (done, effects, attempts) == (60, 60, 1)


def test_sigterm_stops_the_worker_cleanly(db_url, store):
    worker = spawn_worker(db_url, lease_seconds=5)
    assert worker.stderr is not None
    for line in worker.stderr:  # wait until the signal handlers are in place
        if b"worker(s) started" in line:
            break

    worker.send_signal(signal.SIGTERM)

    assert worker.wait(timeout=10) == 0
