"""A long-running worker outlives steps that fail (the database away): it pauses,
longer each time in a row, and goes on; a worker run until idle still raises."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.exc import OperationalError

import tests.jobs_plugin  # noqa: F401  (registers the test handlers)
from afterward import jobs
from afterward.worker import Worker, _Trouble


class DatabaseAway(OperationalError):
    def __init__(self) -> None:
        super().__init__("SELECT 1", {}, Exception("connection refused"))


def failing_steps(worker: Worker, failures: int) -> list[str]:
    """Make the worker's first `failures` steps fail; returns what each step did."""
    real_step, seen = worker.step, []

    def step() -> bool:
        if len(seen) < failures:
            seen.append("failed")
            raise DatabaseAway
        found = real_step()
        seen.append("found" if found else "idle")
        if not found:
            worker.stop()
        return found

    worker.step = step  # type: ignore[method-assign]
    return seen


def test_a_worker_whose_steps_fail_pauses_and_then_runs_the_job(db, store, monkeypatch):
    monkeypatch.setattr(_Trouble, "FIRST_PAUSE", 0.01)
    with db.transaction() as session:
        jobs.enqueue(session, "test.record_effect", {}, store_id=store.id)
    worker = Worker(db, name="w", idle_sleep=0.01)
    seen = failing_steps(worker, failures=3)

    thread = threading.Thread(target=worker.run)
    thread.start()
    thread.join(timeout=30)

    assert not thread.is_alive()
    assert seen == ["failed", "failed", "failed", "found", "idle"]


def test_the_pause_doubles_while_steps_keep_failing_and_starts_over_after_one_works():
    trouble = _Trouble()

    pauses = [trouble.pause_after(DatabaseAway()) for _ in range(6)]
    trouble.over()

    assert pauses == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert trouble.pause_after(DatabaseAway()) == 0.5


def test_a_worker_run_until_idle_lets_the_error_through(db):
    worker = Worker(db, name="w")
    failing_steps(worker, failures=1)

    with pytest.raises(DatabaseAway):
        worker.run(until_idle=True)
