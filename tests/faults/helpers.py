"""What the fault tests share: waiting for a condition, reading the jobs table,
counting rows, and what the SMTP server received."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select

from afterward.jobs import Job, JobStatus
from afterward.messaging.models import Message
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from tests.messaging.conftest import Mailbox


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, *, what: str) -> Any:
    """Poll until `predicate()` is truthy and return it; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not in {timeout:.0f} s: {what}")


def eventually(check: Callable[[], None], timeout: float = 30.0) -> None:
    """Run `check` until it passes; after `timeout`, its last AssertionError fails the
    test. For outcomes that arrive in steps while a worker runs: a fast replay's steps
    are due milliseconds apart, so a moment with no job due can come between two."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            check()
            return
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
        time.sleep(0.05)


def count(db: Database, model: Any, *where: Any) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def unfinished_jobs(db: Database) -> int:
    """Jobs someone should be doing now: running, or queued and due."""
    return count(db, Job, or_(Job.status == JobStatus.running.value,
                              (Job.status == JobStatus.queued.value) & (Job.run_at <= utcnow())))


def job_states(db: Database, job_ids: list[int]) -> dict[int, tuple[str, int]]:
    with db.reading() as session:
        return {job.id: (job.status, job.attempts)
                for job in session.scalars(select(Job).where(Job.id.in_(job_ids)))}


def dead_jobs(db: Database) -> list[tuple[str, str | None]]:
    with db.reading() as session:
        return [(job.kind, job.last_error) for job in session.scalars(
            select(Job).where(Job.status == JobStatus.dead.value))]


def read_inside(path: Path) -> tuple[int, list[int]] | None:
    """(pid, job ids) that the kill plugin wrote from inside a handler, once it has."""
    if not path.exists():
        return None
    pid, *job_ids = path.read_text().split()
    return int(pid), [int(job_id) for job_id in job_ids]


def received_message_ids(mailbox: Mailbox) -> Counter[str]:
    return Counter(str(message["Message-ID"]) for message in mailbox.messages)


def assert_each_sent_and_received_once(db: Database, mailbox: Mailbox,
                                       message_ids: list[int]) -> None:
    with db.reading() as session:
        rows = list(session.scalars(select(Message).where(Message.id.in_(message_ids))))
    assert sorted((m.id, m.status) for m in rows) == [(i, "sent") for i in sorted(message_ids)]
    headers = [m.message_id_header for m in rows]
    received = received_message_ids(mailbox)
    assert {h: received[h] for h in headers} == dict.fromkeys(headers, 1)


def tracebacks(log: Path) -> list[str]:
    """Lines of a child's log that start a traceback (a thread that died, a bug)."""
    return [line for line in log.read_text(errors="replace").splitlines()
            if line.startswith(("Traceback", "Exception in"))]
