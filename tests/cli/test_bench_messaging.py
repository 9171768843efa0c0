"""`afterward bench messaging`: every figure as a JSON line, tiny sizes; the data it
loads is a store whose queued confirmations the worker can send."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from afterward.bench import messaging
from afterward.cli.main import app
from afterward.commerce.models import Consent
from afterward.jobs import Job
from afterward.journeys.models import Journey
from afterward.messaging.models import Message
from afterward.storage.db import Database
from tests.conftest import PG_URL

runner = CliRunner()

METRICS = {"messages": "count", "emails_per_s": "emails/s",
           "send_phase_emails_per_s": "emails/s", "emails_sent": "count",
           "emails_failed": "count", "worker_cpu_ms_per_email": "ms/email",
           "smtp_server_cpu_ms_per_email": "ms/email", "event_to_decision_p50_ms": "ms",
           "event_to_decision_p95_ms": "ms"}


@pytest.fixture(autouse=True)
def cli_env(monkeypatch, tmp_path):
    monkeypatch.setenv("AFTERWARD_SECRET_KEY", "cli-test-secret-0123456789")
    monkeypatch.chdir(tmp_path)


def test_the_load_queues_one_confirmation_per_customer(tmp_path):
    url = f"sqlite:///{tmp_path / 'load.db'}"
    messaging.load_store(url, 7)
    db = Database(url)
    try:
        with db.reading() as session:
            assert session.scalar(select(func.count(Message.id))) == 7
            assert session.scalar(select(func.count(Job.id)).where(
                Job.kind == "messaging.prepare")) == 7
            assert session.scalar(select(func.count(Consent.id))) == 14
            assert session.scalar(select(func.count(Journey.id)).where(
                Journey.enabled.is_(True))) > 0
    finally:
        db.dispose()


def test_bench_messaging_prints_every_figure_as_a_json_line(monkeypatch):
    monkeypatch.setattr(messaging, "LATENCY_SAMPLES", 2)
    result = runner.invoke(app, ["bench", "messaging", "--orders", "12", "--json"])
    assert result.exit_code == 0, result.output
    figures = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [f["metric"] for f in figures] == list(METRICS)
    for figure in figures:
        assert figure["suite"] == "messaging" and figure["backend"] == "sqlite"
        assert figure["unit"] == METRICS[figure["metric"]]
    values = {f["metric"]: f["value"] for f in figures}
    assert values["messages"] == values["emails_sent"] == 12
    assert values["emails_failed"] == 0
    assert values["emails_per_s"] > 0
    assert values["send_phase_emails_per_s"] >= values["emails_per_s"]
    assert 0 < values["event_to_decision_p50_ms"] <= values["event_to_decision_p95_ms"]


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (AFTERWARD_TEST_DATABASE_URL)")
def test_a_postgresql_server_on_this_machine_is_found_by_its_main_process():
    pid = messaging.local_server_pid(PG_URL)

    assert pid is not None
    assert Path(f"/proc/{pid}/comm").read_text().strip() in ("postgres", "postmaster")
    assert messaging.process_tree_cpu(pid, reaped=True) > 0


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (AFTERWARD_TEST_DATABASE_URL)")
def test_bench_messaging_on_postgresql_adds_the_database_s_cpu(monkeypatch):
    monkeypatch.setattr(messaging, "LATENCY_SAMPLES", 2)
    monkeypatch.setenv("AFTERWARD_BENCH_POSTGRES_URL", PG_URL)

    result = runner.invoke(app, ["bench", "messaging", "--orders", "12", "--json",
                                 "--backend", "postgresql"])

    assert result.exit_code == 0, result.output
    figures = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    names = [f["metric"] for f in figures]
    assert names == [*list(METRICS)[:7], "database_cpu_ms_per_email", *list(METRICS)[7:]]
    values = {f["metric"]: f["value"] for f in figures}
    assert values["emails_sent"] == 12 and values["database_cpu_ms_per_email"] > 0


def test_the_bench_s_smtp_server_takes_data_and_bdat_chunks_alike(tmp_path):
    import socket
    import time
    from urllib.parse import urlsplit

    def replies(sock: socket.socket, count: int) -> list[bytes]:
        got = b""
        while got.count(b"\r\n") < count:
            got += sock.recv(4096)
        return got.splitlines()

    with messaging._smtp_server(tmp_path) as (url, status, _pid):
        port = urlsplit(url).port
        with socket.create_connection(("127.0.0.1", port)) as sock:
            replies(sock, 1)  # greeting
            sock.sendall(b"EHLO t\r\n")
            assert b"250-CHUNKING" in replies(sock, 5)
            # when: one message by DATA, one in two BDAT chunks, one BDAT without RCPT
            sock.sendall(b"MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n")
            assert replies(sock, 3)[2].startswith(b"354")
            sock.sendall(b"Subject: one\r\n\r\nhi\r\n.\r\n")
            assert replies(sock, 1) == [b"250 2.0.0 Ok: queued"]
            sock.sendall(b"MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nBDAT 5\r\nSubjeBDAT 15 LAST\r\n"
                         b"ct: two\r\n\r\nhi\r\n")
            assert replies(sock, 4)[2:] == [b"250 2.0.0 Ok: chunk received",
                                           b"250 2.0.0 Ok: queued"]
            sock.sendall(b"BDAT 3 LAST\r\nabc")
            assert replies(sock, 1) == [b"503 5.5.1 RCPT first"]
        # then (the server writes its status five times a second)
        deadline = time.monotonic() + 10
        while messaging._read_status(status)["count"] < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert {k: messaging._read_status(status)[k] for k in ("count", "bytes")} == {
            "count": 2, "bytes": 2 * len(b"Subject: one\r\n\r\nhi\r\n")}
