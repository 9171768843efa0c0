"""PostgreSQL restarted under load, under a real `afterward serve` (API and worker):
every request gets an answer within the client's timeout (a 2xx, or a 503 in the
error shape with Retry-After; never a hang, never a 500), writes succeed again once
it is back without restarting the server, every order that got a 2xx is stored
exactly once, an order that got an error is stored whole or not at all, and the
server's worker runs its jobs again. The cluster is the test's own (its directory,
its port): other tests are untouched."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from afterward.commerce import stores
from afterward.commerce.models import Order, OrderLine
from afterward.jobs import Job
from afterward.storage.db import Database
from afterward.storage.migrate import upgrade
from afterward.storage.types import utcnow
from tests.factories import order_body
from tests.faults.helpers import dead_jobs, tracebacks, wait_for
from tests.servers import CLIENT_TIMEOUT, ROOT, ServerProcess, http_client

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("AFTERWARD_TEST_DATABASE_URL"),
                       reason="restarts a PostgreSQL cluster of its own: runs in the "
                              "PostgreSQL pass (AFTERWARD_TEST_DATABASE_URL set)"),
]
SCRIPT = ROOT / "scripts" / "pg-throwaway.sh"
WRITERS = 4


@dataclass(frozen=True)
class Cluster:
    url: str
    directory: Path

    def restart(self) -> None:
        subprocess.run(["bash", str(SCRIPT), "restart", str(self.directory)], check=True,
                       timeout=60)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    directory = Path(tempfile.mkdtemp(prefix="afterward-pg-restart-"))
    started = subprocess.run(["bash", str(SCRIPT), "start", str(directory)], check=True,
                             capture_output=True, text=True, timeout=120)
    try:
        yield Cluster(started.stdout.strip(), directory)
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", str(directory)], timeout=60)
        subprocess.run(["rm", "-rf", str(directory)])


@dataclass
class Answer:
    number: str
    status: int | None  # None: no answer (a transport error or the client's timeout)
    body: object
    retry_after: str | None
    at: float


@dataclass
class Writers:
    """Threads creating orders one after another until told to stop."""

    url: str
    auth: dict[str, str]
    answers: list[Answer] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def run(self, n: int) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._write, args=(f"W{i}",)) for i in range(n)]
        for thread in threads:
            thread.start()
        return threads

    def _write(self, prefix: str) -> None:
        with http_client(base_url=self.url, headers=self.auth,
                          timeout=CLIENT_TIMEOUT) as client:
            for n in range(10_000):
                if self.stopping.is_set():
                    return
                self.answers.append(self._one(client, f"{prefix}-{n}"))

    def _one(self, client: httpx.Client, number: str) -> Answer:
        try:
            response = client.post("/api/v1/orders", json=order_body(number))
        except httpx.TransportError as exc:
            return Answer(number, None, repr(exc), None, time.monotonic())
        body = response.json() if response.headers.get("content-type") == \
            "application/json" else response.text
        return Answer(number, response.status_code, body, response.headers.get("retry-after"),
                      time.monotonic())

    def created_since(self, moment: float) -> set[str]:
        return {a.number.split("-")[0] for a in self.answers
                if a.status == 201 and a.at > moment}


def stored_orders(db: Database) -> dict[str, tuple[int, ...]]:
    """Order number -> the number of lines of each order stored under it."""
    with db.reading() as session:
        rows = session.execute(select(Order.number, func.count(OrderLine.id))
                               .outerjoin(OrderLine, OrderLine.order_id == Order.id)
                               .group_by(Order.id, Order.number))
        stored: dict[str, tuple[int, ...]] = {}
        for number, lines in rows:
            stored[number] = (*stored.get(number, ()), lines)
        return stored


def a_store(url: str) -> dict[str, str]:
    upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        store = stores.create_store(session, slug="busy", name="Busy", currency="EUR",
                                    timezone="UTC")
        key = stores.issue_api_key(session, store=store)
    db.dispose()
    return {"Authorization": f"Bearer {key}"}


def jobs_left(db: Database) -> list[tuple[str, str, int]]:
    """Jobs not done yet, other than the periodic ones waiting for their slot."""
    with db.transaction() as session:  # a job backing off from the outage: due now
        session.execute(update(Job).where(Job.status == "queued", Job.dedupe_key.is_(None))
                        .values(run_at=utcnow()))
        return [tuple(row) for row in session.execute(
            select(Job.kind, Job.status, Job.attempts).where(
                Job.status != "done", Job.dedupe_key.is_(None)))]


def test_the_database_restarted_under_load_loses_nothing_and_doubles_nothing(cluster):
    # given a server, and clients writing orders as fast as it answers
    auth = a_store(cluster.url)
    # a job cut off by the restart comes back when its lease (2 s here) runs out
    server = ServerProcess(cluster.url, shutdown_grace_seconds="2",
                           job_lease_seconds="2").wait_ready()
    db = Database(cluster.url)
    writers = Writers(server.url, auth)
    threads = writers.run(WRITERS)
    try:
        wait_for(lambda: len(writers.answers) >= 20, what="orders written before")
        # when PostgreSQL restarts under them
        cluster.restart()
        back = time.monotonic()
        # then writes succeed again, from every client, without restarting the server
        wait_for(lambda: len(writers.created_since(back)) == WRITERS, what="writes again")
    finally:
        writers.stopping.set()
        for thread in threads:
            thread.join(timeout=CLIENT_TIMEOUT + 5)
    try:
        assert_every_answer_a_success_or_a_503(writers.answers)
        assert_orders_stored_once_and_whole(db, writers.answers)
        wait_for(lambda: not jobs_left(db), timeout=60, what="the server's worker at work again")
        assert jobs_left(db) == []
        assert dead_jobs(db) == []
        assert server.process.poll() is None  # the same server all along
    finally:
        server.terminate()
        db.dispose()
    assert (server.errors_logged(), tracebacks(server.log)) == ("", [])


def assert_every_answer_a_success_or_a_503(answers: list[Answer]) -> None:
    outcomes = {(a.status, a.retry_after) for a in answers}
    assert outcomes == {(201, None), (503, "5")}, outcomes  # the restart was felt
    for answer in answers:
        if answer.status == 503:
            assert answer.body == {"error": {
                "code": "unavailable", "field": None,
                "message": "the database is unavailable for a moment: try again shortly"}}


def assert_orders_stored_once_and_whole(db: Database, answers: list[Answer]) -> None:
    stored = stored_orders(db)
    created = {a.number for a in answers if a.status == 201}
    refused = {a.number for a in answers if a.status == 503}
    assert {number: stored.get(number) for number in created} == dict.fromkeys(created, (3,))
    # an error may come after a commit the server made but never confirmed: whole, once
    assert {number: stored[number] for number in refused if number in stored} == dict.fromkeys(
        refused & stored.keys(), (3,))
    assert stored.keys() <= created | refused
