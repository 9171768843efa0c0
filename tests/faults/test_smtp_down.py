"""The SMTP server down for a while under a real `afterward serve` (API and worker):
messages due meanwhile are retried with backoff, none is marked sent and none is
lost, the API keeps answering, and when the server is back each message is
delivered exactly once (counted by Message-ID in what the server received)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from afterward.jobs import Job
from afterward.messaging.models import Message
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from tests.factories import order_body
from tests.faults.helpers import received_message_ids, tracebacks, wait_for
from tests.messaging.conftest import SmtpServer
from tests.servers import ServerProcess, http_client

pytestmark = pytest.mark.slow

SEND_KINDS = ("messaging.send", "messaging.send_batch")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def served(db_url: str, smtp: SmtpServer) -> Iterator[ServerProcess]:
    server = ServerProcess(db_url, smtp_url=smtp.url + "&timeout=3",
                           shutdown_grace_seconds="2").wait_ready()
    yield server
    server.terminate()
    assert (server.errors_logged(), tracebacks(server.log)) == ("", [])


def queue_confirmations(api: httpx.Client, numbers: list[str]) -> list[int]:
    """An order each, and its confirmation email, through the API."""
    ids = []
    for number in numbers:
        order = api.post("/api/v1/orders", json=order_body(
            number, email=f"{number.lower()}@example.com",
            customer={"email": f"{number.lower()}@example.com"}))
        assert order.status_code == 201, order.text
        message = api.post("/api/v1/messages", json={
            "channel": "email", "category": "order_confirmation",
            "template_key": "order_confirmation", "idempotency_key": f"confirm-{number}",
            "customer_id": order.json()["customer_id"], "order_id": order.json()["id"]})
        assert message.status_code == 201, message.text
        ids.append(message.json()["id"])
    return ids


def messages(db: Database, ids: list[int]) -> list[Message]:
    with db.reading() as session:
        return list(session.scalars(select(Message).where(Message.id.in_(ids))
                                    .order_by(Message.id)))


def all_sent(db: Database, ids: list[int]) -> bool:
    return [m.status for m in messages(db, ids)] == ["sent"] * len(ids)


def each_tried_twice(db: Database, ids: list[int]) -> bool:
    return all(m.send_attempts >= 2 for m in messages(db, ids))


def send_jobs(db: Database) -> list[Any]:
    with db.reading() as session:
        return list(session.execute(select(Job.kind, Job.status, Job.attempts, Job.last_error)
                                    .where(Job.kind.in_(SEND_KINDS))))


def skip_the_backoff(db: Database) -> None:
    with db.transaction() as session:
        session.execute(update(Job).where(Job.status == "queued", Job.kind.in_(SEND_KINDS))
                        .values(run_at=utcnow()))


def test_mail_due_while_smtp_is_down_is_retried_and_delivered_once_when_it_is_back(
        db, store, smtp, served):
    api = http_client(base_url=served.url, headers=store.auth, timeout=20)
    # given mail that went out while the server was up
    before = queue_confirmations(api, ["A-1", "A-2"])
    wait_for(lambda: all_sent(db, before), what="the first mail sent")
    # when the server goes away, and more mail is due
    smtp.stop()
    during = queue_confirmations(api, ["B-1", "B-2", "B-3"])  # the API still answers
    wait_for(lambda: each_tried_twice(db, during), what="each retried once after a refusal")
    # then nothing of it is marked sent or given up, each waits for its retry
    assert {m.status for m in messages(db, during)} <= {"ready", "sending"}
    assert [m.sent_at for m in messages(db, during)] == [None] * 3
    listed = api.get("/api/v1/messages", params={"status": "sent"})
    assert sorted(m["id"] for m in listed.json()["items"]) == before
    refused = [job for job in send_jobs(db) if job.last_error]
    assert refused and all("Connection refused" in job.last_error for job in refused)
    # when the server comes back on its address
    back = SmtpServer(smtp.port).start()
    try:
        skip_the_backoff(db)
        wait_for(lambda: all_sent(db, during), what="the mail sent once the server is back")
    finally:
        back.stop()
    # then each message went out exactly once, over both lives of the server
    received = received_message_ids(smtp.mailbox) + received_message_ids(back.mailbox)
    headers = [m.message_id_header for m in messages(db, before + during)]
    assert received == dict.fromkeys(headers, 1)
    assert {job.status for job in send_jobs(db)} == {"done"}
