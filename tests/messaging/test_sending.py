"""Exactly one send: a message per idempotency key, a worker that dies between
render and send, an SMTP server that is down or refuses, a crash in the middle of
the send (the documented at-least-once / at-most-once choice)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from afterward.commerce.models import Store
from afterward.jobs import Job
from afterward.messaging import service
from afterward.messaging.channels.email import EmailChannel
from afterward.messaging.models import Message
from afterward.messaging.pipeline import IN_FLIGHT_GRACE
from afterward.storage.types import utcnow
from afterward.worker import Worker
from tests.messaging.conftest import (
    SmtpServer,
    free_port,
    jobs_of,
    make_jobs_due,
    message_row,
    queue,
    run_jobs,
    shop,
)


class SimulatedCrash(BaseException):
    """Stands for the process dying: the worker does not catch BaseException."""


def confirmation(db, store_id, customer_id, order_id, **fields):
    values = {"customer_id": customer_id, "refs": {"order_id": order_id},
              "category": "order_confirmation", "template_key": "order_confirmation",
              "idempotency_key": f"order:{order_id}:confirmation"}
    values.update(fields)
    return queue(db, store_id, **values)


def no_quiet_hours(db, store_id):
    with db.transaction() as session:
        service.update_sending_settings(session, store_id=store_id, quiet_start="00:00",
                                        quiet_end="00:00")


def after_a_crash(db):
    """What time does after a dead worker: its job's lease and the grace period run out."""
    past = utcnow() - IN_FLIGHT_GRACE - timedelta(seconds=1)
    with db.transaction() as session:
        session.execute(update(Job).where(Job.status == "running").values(locked_until=past))
        session.execute(update(Message).where(Message.status == "sending")
                        .values(sending_at=past))


def test_the_same_idempotency_key_makes_one_message_and_one_job(db, make_store):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)

    first = confirmation(db, store.id, customer_id, order_id)
    second = confirmation(db, store.id, customer_id, order_id)

    assert first == second
    assert jobs_of(db) == [("messaging.prepare", "queued")]


def test_a_worker_that_dies_between_render_and_send_delivers_exactly_one_email(
        db, make_store, smtp):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    message_id = confirmation(db, store.id, customer_id, order_id)

    # the first worker renders and persists, then dies before it sends
    assert Worker(db, name="doomed").step() is True
    rendered = message_row(db, message_id)
    assert rendered.status == "ready"
    assert rendered.subject == "Your order 1001 is confirmed"
    assert smtp.mailbox.messages == []

    # a new worker picks up the send
    run_jobs(db)
    # and running again changes nothing
    make_jobs_due(db)
    run_jobs(db)

    assert len(smtp.mailbox.messages) == 1
    assert smtp.mailbox.messages[0]["Subject"] == "Your order 1001 is confirmed"
    assert message_row(db, message_id).status == "sent"
    assert jobs_of(db) == [("messaging.prepare", "done"), ("messaging.send", "done")]


def test_smtp_down_is_retried_and_nothing_is_lost_or_sent_twice(db, make_store,
                                                                  messaging_runtime):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    server = SmtpServer(port=free_port())  # nothing listens there yet
    messaging_runtime(smtp_url=server.url)
    message_id = confirmation(db, store.id, customer_id, order_id)
    started = utcnow()

    run_jobs(db)

    down = message_row(db, message_id)
    assert down.status == "ready"
    assert "unreachable" in (down.status_reason or "")
    with db.reading() as session:
        job = session.scalars(select(Job).where(Job.kind == "messaging.send")).one()
    assert (job.status, job.attempts) == ("queued", 1)
    # backing off: at least a second after the failure (jobs.backoff_seconds), which
    # came after `started` (however long a busy machine took since)
    assert job.run_at >= started + timedelta(seconds=1)

    server.start()
    try:
        make_jobs_due(db)
        run_jobs(db)
        make_jobs_due(db)
        run_jobs(db)
    finally:
        server.stop()

    assert len(server.mailbox.messages) == 1
    sent = message_row(db, message_id)
    assert (sent.status, sent.send_attempts, sent.status_reason) == ("sent", 2, None)


def test_a_temporary_refusal_is_retried(db, make_store, smtp):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    smtp.mailbox.replies = ["451 4.3.0 Try again later"]
    message_id = confirmation(db, store.id, customer_id, order_id)

    run_jobs(db)
    assert message_row(db, message_id).status_reason == \
        "message refused: 451 4.3.0 Try again later"
    make_jobs_due(db)
    run_jobs(db)

    assert len(smtp.mailbox.messages) == 1
    assert message_row(db, message_id).status == "sent"


def test_a_permanent_refusal_fails_the_message_without_retrying(db, make_store, smtp):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    smtp.mailbox.replies = ["550 5.1.1 No such user"]
    message_id = confirmation(db, store.id, customer_id, order_id)

    run_jobs(db)

    failed = message_row(db, message_id)
    assert (failed.status, failed.status_reason) == ("failed", "message refused: 550 5.1.1 "
                                                                "No such user")
    assert jobs_of(db) == [("messaging.prepare", "done"), ("messaging.send", "done")]
    assert smtp.mailbox.messages == []


def test_after_the_last_attempt_the_message_fails_visibly(db, make_store, messaging_runtime,
                                                          monkeypatch):
    import afterward.messaging.pipeline as pipeline

    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    messaging_runtime(smtp_url=f"smtp://127.0.0.1:{free_port()}?from=a%40b.example")
    monkeypatch.setattr(pipeline, "SEND_MAX_ATTEMPTS", 2)
    message_id = confirmation(db, store.id, customer_id, order_id)

    run_jobs(db)
    make_jobs_due(db)
    run_jobs(db)

    failed = message_row(db, message_id)
    assert failed.status == "failed"
    assert failed.status_reason.startswith("SMTP server unreachable")
    assert failed.send_attempts == 2


@pytest.mark.parametrize(("purpose", "emails", "status"), [
    ("transactional", 1, "sent"),  # resent: at least once
    ("marketing", 0, "failed"),  # not resent: at most once
])
def test_a_crash_before_the_smtp_call_is_decided_by_purpose(
        db, make_store, smtp, monkeypatch, purpose, emails, status):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id, marketing=True)
    no_quiet_hours(db, store.id)
    message_id = confirmation(db, store.id, customer_id, order_id, purpose=purpose)

    def die(*args, **kwargs):
        raise SimulatedCrash

    monkeypatch.setattr(EmailChannel, "_transmit", die)
    Worker(db).step()  # prepare
    with pytest.raises(SimulatedCrash):
        Worker(db).step()  # dies in the middle of the send
    assert message_row(db, message_id).status == "sending"
    monkeypatch.undo()
    after_a_crash(db)

    run_jobs(db)

    assert len(smtp.mailbox.messages) == emails
    assert message_row(db, message_id).status == status


@pytest.mark.parametrize(("purpose", "emails", "status"), [
    ("transactional", 2, "sent"),  # the duplicate carries the same Message-ID
    ("marketing", 1, "failed"),
])
def test_a_crash_after_the_server_accepted_is_the_documented_window(
        db, make_store, smtp, monkeypatch, purpose, emails, status):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id, marketing=True)
    no_quiet_hours(db, store.id)
    message_id = confirmation(db, store.id, customer_id, order_id, purpose=purpose)
    real = EmailChannel._transmit

    def send_then_die(self, *args, **kwargs):
        real(self, *args, **kwargs)
        raise SimulatedCrash

    monkeypatch.setattr(EmailChannel, "_transmit", send_then_die)
    Worker(db).step()
    with pytest.raises(SimulatedCrash):
        Worker(db).step()
    monkeypatch.undo()
    after_a_crash(db)

    run_jobs(db)

    mails = smtp.mailbox.messages
    assert len(mails) == emails
    assert len({m["Message-ID"] for m in mails}) == 1
    final = message_row(db, message_id)
    assert final.status == status
    if status == "failed":
        assert final.status_reason.startswith("outcome unknown")


def test_an_attempt_still_in_flight_is_never_doubled(db, make_store, smtp, monkeypatch):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    message_id = confirmation(db, store.id, customer_id, order_id)
    monkeypatch.setattr(EmailChannel, "_transmit",
                        lambda *a, **k: (_ for _ in ()).throw(SimulatedCrash()))
    Worker(db).step()
    with pytest.raises(SimulatedCrash):
        Worker(db).step()
    monkeypatch.undo()
    # the lease runs out, but the attempt began moments ago: it may still be talking
    with db.transaction() as session:
        session.execute(update(Job).where(Job.status == "running")
                        .values(locked_until=utcnow() - timedelta(seconds=1)))

    run_jobs(db)

    assert smtp.mailbox.messages == []
    waiting = message_row(db, message_id)
    assert waiting.status == "sending"
    with db.reading() as session:
        job = session.scalars(select(Job).where(Job.kind == "messaging.send")).one()
    assert job.status == "queued"
    assert "may still be in flight" in (job.last_error or "")


def test_a_template_that_fails_at_send_time_fails_that_message_alone(db, make_store, smtp):
    from afterward.messaging import templates
    from afterward.messaging.context import sample_context
    from afterward.messaging.templates import TemplateSource
    from tests.messaging.conftest import make_customer, make_order, make_product

    store = make_store("acme")
    with db.transaction() as session:
        customer = make_customer(session, store.id)
        tea = make_product(session, store.id, "TEA-1", "Green tea")
        order_id = make_order(session, store.id, customer, "1001", [(tea, 1)]).id  # not shipped
        customer_id = customer.id
        # valid against the sample, which has a shipment; this order has none yet
        templates.save_template(
            session, store_id=store.id, key="needs_shipment", channel="email", locale="en",
            source=TemplateSource(
                "Parcel {{ shipment.tracking_number }}",
                "<mjml><mj-body><mj-section><mj-column><mj-text>{{ shipment.carrier }}"
                "</mj-text></mj-column></mj-section></mj-body></mjml>"),
            sample=sample_context(session.get(Store, store.id)))
    broken = confirmation(db, store.id, customer_id, order_id, template_key="needs_shipment",
                          idempotency_key="broken")
    fine = confirmation(db, store.id, customer_id, order_id)

    run_jobs(db)

    failed = message_row(db, broken)
    assert failed.status == "failed"
    assert failed.status_reason == ("template: subject, line 1: 'None' has no attribute "
                                    "'tracking_number'")
    assert message_row(db, fine).status == "sent"
    assert [m["Subject"] for m in smtp.mailbox.messages] == ["Your order 1001 is confirmed"]


def test_a_missing_template_fails_the_message_visibly(db, make_store):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    message_id = confirmation(db, store.id, customer_id, order_id, template_key="nope")

    run_jobs(db)

    failed = message_row(db, message_id)
    assert (failed.status, failed.status_reason) == (
        "failed", "template: template: no email template 'nope'")


def test_many_messages_each_go_once(db, make_store, smtp):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    ids = [confirmation(db, store.id, customer_id, order_id, idempotency_key=f"k{i}")
           for i in range(12)]

    run_jobs(db)

    assert len(smtp.mailbox.messages) == 12
    with db.reading() as session:
        statuses = session.scalars(select(func.count()).select_from(Message)
                                   .where(Message.id.in_(ids), Message.status == "sent"))
        assert statuses.one() == 12


@pytest.mark.slow
def test_a_killed_worker_process_between_render_and_send_delivers_one_email(
        db, db_url, make_store, smtp):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).parent.parent.parent
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    message_id = confirmation(db, store.id, customer_id, order_id)

    def spawn(*plugins: str) -> subprocess.Popen:
        env = {**os.environ, "AFTERWARD_DATABASE_URL": db_url,
               "AFTERWARD_SMTP_URL": smtp.url, "AFTERWARD_SECRET_KEY": "k" * 32,
               "AFTERWARD_PLUGINS": ",".join(plugins), "AFTERWARD_JOB_LEASE_SECONDS": "2",
               "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        return subprocess.Popen([sys.executable, "-m", "afterward.cli.__main__", "worker"],
                                env=env, cwd=root, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def wait_for(predicate, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError("condition not met in time")

    def send_job_running() -> bool:
        return ("messaging.send", "running") in jobs_of(db)

    doomed = spawn("tests.messaging.hang_plugin")
    try:
        wait_for(send_job_running)  # rendered and committed, now inside the send step
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
    finally:
        if doomed.poll() is None:
            doomed.kill()
    assert message_row(db, message_id).status == "ready"
    assert smtp.mailbox.messages == []

    survivor = spawn()
    try:
        wait_for(lambda: message_row(db, message_id).status == "sent")
        time.sleep(1.0)  # give a second send, if there were one, the time to arrive
    finally:
        survivor.send_signal(signal.SIGTERM)
        survivor.wait(timeout=10)

    assert len(smtp.mailbox.messages) == 1
    assert smtp.mailbox.messages[0]["Subject"] == "Your order 1001 is confirmed"


def test_a_bad_smtp_url_keeps_the_message_until_it_is_fixed(db, make_store, messaging_runtime,
                                                            smtp_server):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    messaging_runtime(smtp_url="smtp:/nonsense")
    message_id = confirmation(db, store.id, customer_id, order_id)

    run_jobs(db)
    assert message_row(db, message_id).status == "ready"  # never marked sending

    messaging_runtime(smtp_url=smtp_server.url)
    make_jobs_due(db)
    run_jobs(db)

    assert message_row(db, message_id).status == "sent"
    assert len(smtp_server.mailbox.messages) == 1
