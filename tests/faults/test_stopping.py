"""SIGTERM stops `afterward serve` and `afterward worker` within the grace period
(AFTERWARD_SHUTDOWN_GRACE_SECONDS, 2 here) and a margin, whatever a request or a job
is doing: in-flight requests and the job in hand get the grace, then go; a job cut
off runs again once its lease is over, with its effect once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import create_engine, select, text

import tests.jobs_plugin  # noqa: F401  (the long job, in this process too)
from afterward import jobs
from afterward.commerce.models import Order, OrderLine
from afterward.events import Event
from afterward.jobs import Job
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.worker import Worker
from tests.factories import order_body
from tests.faults.helpers import count, job_states, tracebacks, wait_for
from tests.servers import ServerProcess, WorkerProcess, http_client

pytestmark = pytest.mark.slow

GRACE, MARGIN = 2, 6  # seconds: the stop must come within GRACE + MARGIN
SETTINGS = {"plugins": "tests.jobs_plugin", "job_lease_seconds": "2",
            "shutdown_grace_seconds": str(GRACE)}


def a_long_job(db: Database, store_id: int) -> int:
    with db.transaction() as session:
        job_id = jobs.enqueue(session, "test.record_effect", {"first_attempt_sleep": 60},
                              store_id=store_id)
    assert job_id is not None
    return job_id


def effects(db: Database) -> list[dict]:
    with db.reading() as session:
        return list(session.scalars(select(Event.payload).where(Event.name == "test.effect")))


def run_again_after_its_lease(db: Database, job_id: int) -> None:
    """Another worker (here, in this process) once the cut-off job's lease is over."""
    with db.reading() as session:
        lease_ends = session.scalar(select(Job.locked_until).where(Job.id == job_id))
    assert lease_ends is not None
    time.sleep(max(0.0, (lease_ends - utcnow()).total_seconds()) + 0.1)
    Worker(db, name="after-the-stop", lease_seconds=2).run(until_idle=True)


def test_sigterm_stops_a_worker_in_a_long_job_within_the_grace_and_the_job_runs_again(
        db, db_url, store):
    # given a worker in the middle of a job that outlasts the grace period
    job_id = a_long_job(db, store.id)
    worker = WorkerProcess(db_url, **SETTINGS)
    try:
        wait_for(lambda: job_states(db, [job_id]) == {job_id: ("running", 1)},
                 what="the worker in the job")
        # when
        took = worker.terminate()
    finally:
        worker.kill()
    # then it went within the grace, and the job's uncommitted effect with it
    assert took < GRACE + MARGIN
    assert worker.process.returncode == 0
    assert (job_states(db, [job_id]), effects(db)) == ({job_id: ("running", 1)}, [])
    # and the job runs again once its lease is over, its effect once
    run_again_after_its_lease(db, job_id)
    assert (job_states(db, [job_id]), effects(db)) == ({job_id: ("done", 2)}, [{"attempt": 2}])


@contextmanager
def writes_blocked(db: Database, release: threading.Event) -> Iterator[None]:
    """Order writes wait behind the server's job. On SQLite they do anyway: the job's
    transaction holds the database's one write lock. On PostgreSQL a table lock held
    by this test stands in for it, until `release` is set or the block ends."""
    if db.backend == "sqlite":
        yield
        return
    engine = create_engine(db.url)
    with engine.connect() as conn:
        conn.execute(text("LOCK TABLE orders IN EXCLUSIVE MODE"))
        releaser = threading.Thread(target=lambda: (release.wait(), conn.rollback()))
        releaser.start()
        try:
            yield
        finally:
            release.set()
            releaser.join()
    engine.dispose()


@dataclass
class Readers:
    """Clients reading in a loop until the server stops listening; what they got."""

    url: str
    auth: dict[str, str]
    answers: list[int] = field(default_factory=list)
    ends: list[str] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self, n: int) -> None:
        self.threads = [threading.Thread(target=self._read) for _ in range(n)]
        for thread in self.threads:
            thread.start()

    def _read(self) -> None:
        with http_client(base_url=self.url, headers=self.auth, timeout=20) as client:
            while True:
                try:
                    self.answers.append(client.get("/api/v1/orders").status_code)
                except httpx.TransportError as exc:  # refused, or a kept connection closed
                    self.ends.append(type(exc).__name__)
                    return

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=30)


def post_order(url: str, auth: dict[str, str], number: str,
               out: list[httpx.Response | str]) -> tuple[threading.Thread, threading.Event]:
    """The order POSTed from a thread; the event is set once its connection is open
    (a GET on it answered), so a busy machine cannot delay the connect past the stop."""
    connected = threading.Event()

    def post() -> None:
        try:
            with http_client(base_url=url, headers=auth, timeout=30) as client:
                client.get("/healthz")
                connected.set()
                out.append(client.post("/api/v1/orders", json=order_body(number)))
        except httpx.TransportError as exc:
            out.append(type(exc).__name__)
        finally:
            connected.set()

    thread = threading.Thread(target=post)
    thread.start()
    return thread, connected


def write_waiting(db: Database) -> bool:
    """On PostgreSQL: a statement of this database waits for a lock (the order's
    insert, behind the test's table lock). SQLite shows no such thing: True."""
    if db.backend == "sqlite":
        return True
    with db.reading() as session:
        return bool(session.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")))


WITHIN, PAST = GRACE * 0.75, 60.0  # the server's job: done within the grace, or not


@pytest.mark.parametrize("job_seconds", [WITHIN, PAST], ids=["job-within-grace",
                                                            "job-past-grace"])
def test_sigterm_stops_a_busy_server_within_the_grace(db, db_url, store, job_seconds):
    # given a server whose worker is in a job, readers, and an order waiting behind the job
    server = ServerProcess(db_url, **SETTINGS).wait_ready()
    with db.transaction() as session:
        job_id = jobs.enqueue(session, "test.record_effect",
                              {"first_attempt_sleep": job_seconds}, store_id=store.id)
    readers, written, release = Readers(server.url, store.auth), [], threading.Event()
    try:
        wait_for(lambda: job_states(db, [job_id]) == {job_id: ("running", 1)},
                 what="the worker in the job")
        with writes_blocked(db, release):
            writer, connected = post_order(server.url, store.auth, "BLOCKED-1", written)
            assert connected.wait(timeout=30)
            readers.start(4)
            wait_for(lambda: len(readers.answers) >= 8, what="the readers answered")
            wait_for(lambda: write_waiting(db), what="the order waiting behind the lock")
            assert job_states(db, [job_id]) == {job_id: ("running", 1)}
            # when
            if job_seconds == WITHIN:
                threading.Timer(GRACE / 2, release.set).start()
            took = server.terminate()
            readers.join()
            writer.join(timeout=30)
    finally:
        server.kill()
    # then it went within the grace
    assert (took < GRACE + MARGIN, server.process.returncode) == (True, 0)
    assert (set(readers.answers), len(readers.ends)) == ({200}, 4)
    assert (server.errors_logged(), tracebacks(server.log)) == ("", [])
    [answer] = written
    assert not isinstance(answer, str), answer  # an answer, never a dropped connection
    if job_seconds == WITHIN:
        assert_job_and_write_finished_in_the_grace(db, job_id, answer)
    else:
        assert_job_and_write_cut_off(db, job_id, answer)


def assert_job_and_write_finished_in_the_grace(db: Database, job_id: int,
                                               answer: httpx.Response) -> None:
    assert (job_states(db, [job_id]), effects(db)) == ({job_id: ("done", 1)}, [{"attempt": 1}])
    assert answer.status_code == 201, answer.text
    assert (count(db, Order, Order.number == "BLOCKED-1"), count(db, OrderLine)) == (1, 3)


def assert_job_and_write_cut_off(db: Database, job_id: int, answer: httpx.Response) -> None:
    assert (answer.status_code, answer.headers.get("retry-after")) == (503, "5")
    assert answer.json() == {"error": {"code": "unavailable", "field": None,
                                       "message": "the server is stopping: try again shortly"}}
    assert (count(db, Order), count(db, OrderLine)) == (0, 0)
    assert (job_states(db, [job_id]), effects(db)) == ({job_id: ("running", 1)}, [])
    # the job cut off runs again once its lease is over, its effect once
    run_again_after_its_lease(db, job_id)
    assert (job_states(db, [job_id]), effects(db)) == ({job_id: ("done", 2)}, [{"attempt": 2}])
