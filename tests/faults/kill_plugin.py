"""Loaded into `afterward worker` subprocesses through AFTERWARD_PLUGINS by the fault
tests: wraps the real handler (and batch handler) of the job kind named in
AFTERWARD_TEST_KILL_KIND, so that the first time a job of that kind runs its first
attempt, the handler does all its work and then, before returning, writes its
process id and job ids to AFTERWARD_TEST_INSIDE_FILE and waits to be killed.
Only once per test: with the file there, every later run goes straight through.
Before taking any job the worker waits for AFTERWARD_TEST_GO_FILE to exist, so a
test can start it (a second or so) while it builds the job."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy.orm import Session

from afterward import jobs, worker
from afterward.jobs import JobContext

KIND = os.environ["AFTERWARD_TEST_KILL_KIND"]
INSIDE = Path(os.environ["AFTERWARD_TEST_INSIDE_FILE"])
GO = Path(os.environ["AFTERWARD_TEST_GO_FILE"])
# The event nudge consumes journeys' events without their job; for the consume job
# to be the one that does the work, this test's workers leave it to the job.
NUDGE_OFF = KIND == "journeys.consume"


def wait_to_be_killed(batch: list[JobContext]) -> None:
    if INSIDE.exists() or all(job.attempt > 1 for job in batch):
        return
    partial = INSIDE.with_suffix(".partial")
    ids = " ".join(str(job.job_id) for job in batch)
    partial.write_text(f"{os.getpid()} {ids}")
    os.replace(partial, INSIDE)  # the test reads it whole or not at all
    time.sleep(120)


def wrap_plain(run: jobs.Handler) -> jobs.Handler:
    def inside_then_wait(session: Session, job: JobContext) -> None:
        run(session, job)
        session.flush()
        wait_to_be_killed([job])

    return inside_then_wait


def wrap_batch(run: jobs.BatchRun) -> jobs.BatchRun:
    def inside_then_wait(session: Session, batch: list[JobContext]) -> dict[int, Exception]:
        failed = run(session, batch)
        session.flush()
        wait_to_be_killed(batch)
        return failed

    return inside_then_wait


def install() -> None:
    plain, batch = jobs.handler_for(KIND), jobs.batch_handler_for(KIND)
    if plain is None:
        raise LookupError(f"no handler for {KIND!r}: the kill plugin has nothing to wrap")
    jobs.handler(KIND)(wrap_plain(plain))  # drops the batch variant; put back below
    if batch is not None:
        jobs.batch_handler(KIND, size=batch.size, own_transactions=batch.own_transactions)(
            wrap_batch(batch.run))
    if NUDGE_OFF:
        worker.EventNudge.maybe_consume = lambda self: 0  # type: ignore[method-assign]


def wait_for_go() -> None:
    while not GO.exists():
        time.sleep(0.02)


install()
wait_for_go()
