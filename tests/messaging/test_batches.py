"""Many due messages at once: prepared and sent in batches, with the same policy and
the same exactly-once states as one at a time; SMTP PIPELINING where the server
offers it; the MIME the fast path builds reads back as what was rendered."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from afterward.jobs import Job
from afterward.messaging import pipeline, sending, service
from afterward.messaging.channels import ChannelConfig, Outgoing
from afterward.messaging.channels.email import EmailChannel
from afterward.messaging.channels.mime import mime_bytes
from afterward.messaging.channels.smtp_pool import close_connections
from afterward.messaging.models import Message, OutboxEntry
from afterward.storage.types import utcnow
from afterward.worker import Worker
from tests.messaging.conftest import (
    Mailbox,
    SmtpServer,
    jobs_of,
    make_jobs_due,
    message_row,
    queue,
    run_jobs,
    shop,
)


class SimulatedCrash(BaseException):
    """Stands for the process dying: the worker does not catch BaseException."""


class PipeliningMailbox(Mailbox):
    """aiosmtpd reads pipelined commands fine; this makes it say so in EHLO."""

    def __init__(self) -> None:
        super().__init__()
        self.ehlos = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.ehlos += 1
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


def confirmations(db, store_id, customer_id, order_id, count, **fields):
    return [queue(db, store_id, customer_id=customer_id, refs={"order_id": order_id},
                  category="order_confirmation", template_key="order_confirmation",
                  idempotency_key=f"k{i}", **fields) for i in range(count)]


def outgoing(n: int, **fields) -> Outgoing:
    values = {"subject": f"Hello {n}", "text": "Hi", "html": "<p>Hi</p>",
              "sender": "Shop <shop@acme.example>"}
    values.update(fields)
    return Outgoing(n, 1, "email", f"c{n}@example.com", f"key-{n}", **values)


def test_a_batch_sends_each_message_once_on_one_connection(db, make_store, smtp):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    ids = confirmations(db, store.id, customer_id, order_id, 5)

    assert Worker(db).step() is True  # one batch prepares all five
    assert {message_row(db, i).status for i in ids} == {"ready"}
    assert Worker(db).step() is True  # and one send-batch job sends them

    assert len(smtp.mailbox.messages) == 5
    assert [message_row(db, i).status for i in ids] == ["sent"] * 5
    assert len({m["Message-ID"] for m in smtp.mailbox.messages}) == 5
    with db.reading() as session:
        jobs = session.scalars(select(Job).order_by(Job.id)).all()
    assert [(j.kind, j.status) for j in jobs] == [("messaging.prepare", "done")] * 5 + [
        ("messaging.send_batch", "done")]
    assert jobs[-1].payload == {"message_ids": ids}


def test_the_worker_that_prepared_a_batch_sends_it_next_without_reading_it_back(
        db, make_store, smtp):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    ids = confirmations(db, store.id, customer_id, order_id, 5)
    worker = Worker(db)
    worker.step()  # prepares the five, and asks for their send batch next
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert worker.step() is True
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)

    assert [message_row(db, i).status for i in ids] == ["sent"] * 5
    assert [m["Subject"] for m in smtp.mailbox.messages] == ["Your order 1001 is confirmed"] * 5
    assert not [s for s in statements if "body_html" in s and s.lstrip().startswith("SELECT")]


def test_a_message_of_a_batch_that_must_wait_gets_a_send_job_of_its_own(db, make_store, smtp):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    ids = confirmations(db, store.id, customer_id, order_id, 3)
    smtp.mailbox.replies = [None, "451 4.3.0 Try again later"]
    Worker(db).step()  # prepare

    Worker(db).step()  # the batch: the second is refused for now

    assert [message_row(db, i).status for i in ids] == ["sent", "ready", "sent"]
    with db.reading() as session:
        retry = session.scalars(select(Job).where(Job.kind == "messaging.send")).one()
        batch = session.scalars(select(Job).where(Job.kind == "messaging.send_batch")).one()
    assert (retry.status, retry.payload, retry.max_attempts) == (
        "queued", {"message_id": ids[1], "attempts_before": 1}, 15)
    assert batch.status == "done"
    assert retry.run_at > batch.finished_at  # after the backoff
    make_jobs_due(db)
    run_jobs(db)
    assert [message_row(db, i).status for i in ids] == ["sent"] * 3
    assert len(smtp.mailbox.messages) == 3
    assert message_row(db, ids[1]).send_attempts == 2


def test_a_batch_run_again_after_a_crash_sends_the_rest_and_nothing_twice(
        db, make_store, smtp, monkeypatch):
    ids = three_prepared_and_a_crash_at_the_second_send(db, make_store, monkeypatch)
    with db.transaction() as session:  # the dead worker's lease runs out
        session.execute(update(Job).where(Job.status == "running")
                        .values(locked_until=utcnow() - timedelta(seconds=1)))

    Worker(db).step()

    # the first is not sent again, the third goes now; the second, caught mid-send,
    # waits for its own job (an attempt may still be in flight: see pipeline.py)
    assert [message_row(db, i).status for i in ids] == ["sent", "sending", "sent"]
    assert [m["To"] for m in smtp.mailbox.messages] == ["ada@example.com"] * 2
    assert jobs_of(db)[-2:] == [("messaging.send_batch", "done"), ("messaging.send", "queued")]


def test_each_message_of_a_batch_is_recorded_as_one_sent_alone_would_be(db, make_store, smtp):
    # given: three prepared confirmations
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    ids = confirmations(db, store.id, customer_id, order_id, 3)
    Worker(db).step()
    # when: one batch sends them (each `sent` rides with the next one's `sending`)
    Worker(db).step()
    # then
    rows = [message_row(db, i) for i in ids]
    assert [(r.status, r.transport, r.send_attempts, r.status_reason, r.finished_at)
            for r in rows] == [("sent", "email", 1, None, None)] * 3
    assert all(r.sent_at is not None and r.sending_at is not None
               and r.sending_at <= r.sent_at for r in rows)
    assert [r.message_id_header for r in rows] == [m["Message-ID"]
                                                   for m in smtp.mailbox.messages]
    assert all(r.provider_message_id for r in rows)


def test_a_batch_for_the_outbox_leaves_each_message_as_one_sent_alone_would(
        db, make_store, monkeypatch):
    # given: four prepared confirmations and no SMTP server (the outbox); the last one
    # is sent alone, the one-message way
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    ids = confirmations(db, store.id, customer_id, order_id, 4)
    Worker(db).step()
    with db.transaction() as session:
        assert pipeline.deliver(session, message_id=ids[-1]) == "sent"
    alone = []
    one_by_one = sending._one_by_one
    monkeypatch.setattr(sending, "_one_by_one", lambda session, send, failures: (
        alone.append(send.message_id), one_by_one(session, send, failures)))
    # when: the batch's send job runs
    Worker(db).step()
    # then: the other three were written to the outbox in one go (the one already sent
    # was left to pipeline.deliver), and every message reads as the one sent alone does
    assert alone == [ids[-1]]
    with db.reading() as session:
        entries = {e.message_id: e for e in session.scalars(select(OutboxEntry))}
    rows = [message_row(db, i) for i in ids]
    assert sorted(entries) == ids
    assert [(r.status, r.transport, r.send_attempts, r.status_reason, r.finished_at,
             r.provider_message_id) for r in rows] == [
        ("sent", "outbox", 1, None, None, f"outbox:{entries[r.id].id}") for r in rows]
    assert all(r.sending_at is not None and r.sent_at is not None
               and r.sending_at <= r.sent_at for r in rows)
    assert [(e.channel, e.recipient, e.subject, e.headers["Message-ID"])
            for e in (entries[i] for i in ids)] == [
        ("email", "ada@example.com", r.subject, r.message_id_header) for r in rows]
    assert [e.headers.keys() for e in entries.values()] == [
        entries[ids[-1]].headers.keys()] * 4
    assert jobs_of(db)[-1] == ("messaging.send_batch", "done")


def test_the_contact_budget_counts_messages_approved_earlier_in_the_same_batch(
        db, make_store, smtp):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id, marketing=True)
    with db.transaction() as session:
        service.update_sending_settings(session, store_id=store.id, quiet_start="00:00",
                                        quiet_end="00:00", marketing_budget=2)
    ids = confirmations(db, store.id, customer_id, order_id, 3, purpose="marketing")

    Worker(db).step()

    outcomes = [(message_row(db, i).status, message_row(db, i).status_reason) for i in ids]
    assert outcomes == [("ready", None), ("ready", None), ("suppressed", "contact_budget")]


def three_prepared_and_a_crash_at_the_second_send(db, make_store, monkeypatch) -> list[int]:
    """Three confirmations prepared; the send batch dies (as the process would) while
    the second one is being sent."""
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    ids = confirmations(db, store.id, customer_id, order_id, 3)
    Worker(db).step()  # prepare
    real = EmailChannel._transmit
    calls = []

    def second_one_dies(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise SimulatedCrash
        return real(self, *args, **kwargs)

    monkeypatch.setattr(EmailChannel, "_transmit", second_one_dies)
    with pytest.raises(SimulatedCrash):
        Worker(db).step()
    monkeypatch.setattr(EmailChannel, "_transmit", real)
    return ids


def test_a_crash_in_the_middle_of_a_batch_leaves_at_most_one_message_in_doubt(
        db, make_store, smtp, monkeypatch):
    ids = three_prepared_and_a_crash_at_the_second_send(db, make_store, monkeypatch)

    assert [message_row(db, i).status for i in ids] == ["sent", "sending", "ready"]
    assert len(smtp.mailbox.messages) == 1


def test_pipelining_sends_the_envelope_in_one_write_when_the_server_offers_it():
    mailbox = PipeliningMailbox()
    server = SmtpServer()
    server.mailbox = mailbox
    server.start()
    close_connections()
    try:
        channel = EmailChannel(ChannelConfig(smtp_url=server.url))
        for n in (1, 2, 3):
            assert channel.send(outgoing(n), None).transport == "email"  # type: ignore[arg-type]
    finally:
        close_connections()
        server.stop()

    assert [m["To"] for m in mailbox.messages] == [
        "c1@example.com", "c2@example.com", "c3@example.com"]
    assert mailbox.ehlos == 1  # one connection for all three


def test_a_refused_recipient_is_a_refusal_with_pipelining_too():
    class Refusing(PipeliningMailbox):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            return "550 5.1.1 No such user"

    mailbox = Refusing()
    server = SmtpServer()
    server.mailbox = mailbox
    server.start()
    close_connections()
    try:
        channel = EmailChannel(ChannelConfig(smtp_url=server.url))
        from afterward.messaging.channels import ChannelError

        with pytest.raises(ChannelError) as refused:
            channel.send(outgoing(1), None)  # type: ignore[arg-type]
    finally:
        close_connections()
        server.stop()

    assert (str(refused.value), refused.value.transient) == (
        "recipient refused: 550 5.1.1 No such user", False)
    assert mailbox.messages == []


def test_the_mime_reads_back_as_what_was_rendered():
    text = "Grüße,\n.a line that starts with a dot\nand a long one " + "x" * 120 + "\n"
    html = '<p style="color:red">Grüße = 100 %</p>\n' + "<br>" * 60
    data = mime_bytes(outgoing(7, subject="Ihre Bestellung ist bestätigt", text=text,
                               html=html, reply_to="help@acme.example",
                               message_id_header="<abc@acme.example>",
                               headers={"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}))

    parsed = email.message_from_bytes(data, policy=email.policy.default)

    assert all(len(line) <= 78 for line in data.split(b"\r\n"))
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert parsed["Subject"] == "Ihre Bestellung ist bestätigt"
    assert (parsed["From"], parsed["To"], parsed["Reply-To"], parsed["Message-ID"]) == (
        "Shop <shop@acme.example>", "c7@example.com", "help@acme.example",
        "<abc@acme.example>")
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed.get_content_type() == "multipart/alternative"
    def content(kind: str) -> str:  # line breaks travel as CRLF
        return parsed.get_body((kind,)).get_content().replace("\r\n", "\n")

    assert content("plain") == text
    assert content("html") == html + "\n"


def test_a_header_that_is_not_plain_ascii_is_encoded_and_reads_back():
    data = mime_bytes(outgoing(8, sender="Café Ünïcode <shop@acme.example>"))

    parsed = email.message_from_bytes(data, policy=email.policy.default)

    assert parsed["From"] == "Café Ünïcode <shop@acme.example>"
    assert parsed.get_body(("plain",)).get_content().strip() == "Hi"


def test_run_jobs_sends_a_burst_of_messages_once_each(db, make_store, smtp):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    ids = confirmations(db, store.id, customer_id, order_id, 120)

    run_jobs(db)

    assert len(smtp.mailbox.messages) == 120
    with db.reading() as session:
        sent = session.scalars(select(Message.status).where(Message.id.in_(ids))).all()
    assert sent == ["sent"] * 120


def test_an_ascii_part_in_short_lines_travels_as_7bit_and_reads_back_unchanged():
    html = '<p style="color:red">Total = 100 %</p>\n.starts with a dot\n' + "<br>" * 200
    data = mime_bytes(outgoing(9, text="Thanks.\nSee you.\n", html=html))

    parsed = email.message_from_bytes(data, policy=email.policy.default)
    parts = {p.get_content_type(): p for p in parsed.iter_parts()}

    assert [p["Content-Transfer-Encoding"] for p in parts.values()] == ["7bit", "7bit"]
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    assert parts["text/plain"].get_content().replace("\r\n", "\n") == "Thanks.\nSee you.\n"
    assert parts["text/html"].get_content().replace("\r\n", "\n") == html + "\n"


@pytest.mark.parametrize("eight_bit", [False, True])
def test_a_line_longer_than_smtp_carries_or_a_boundary_lookalike_goes_quoted_printable(
        eight_bit):
    long_line = "<p>" + "é" * 500 + "</p>"  # 1,007 bytes in UTF-8
    lookalike = "a ==aw-0123456789abcdef== b"
    data = mime_bytes(outgoing(10, text=lookalike, html=long_line), eight_bit=eight_bit)

    parsed = email.message_from_bytes(data, policy=email.policy.default)
    parts = {p.get_content_type(): p for p in parsed.iter_parts()}

    assert [p["Content-Transfer-Encoding"] for p in parts.values()] == [
        "quoted-printable", "quoted-printable"]
    assert all(len(line) <= 78 for line in data.split(b"\r\n"))
    assert parts["text/plain"].get_content().replace("\r\n", "\n") == lookalike + "\n"
    assert parts["text/html"].get_content().replace("\r\n", "\n") == long_line + "\n"


def test_lines_that_start_with_a_dot_arrive_as_they_were_written():
    server = SmtpServer()
    server.start()
    close_connections()
    text = ".first\n..second\nthird .\n.\nlast\n"
    try:
        EmailChannel(ChannelConfig(smtp_url=server.url)).send(
            outgoing(11, text=text, html=None), None)  # type: ignore[arg-type]
    finally:
        close_connections()
        server.stop()

    [received] = server.mailbox.messages
    assert received.get_content().replace("\r\n", "\n") == text


def test_on_sqlite_a_batch_finds_its_orders_lines_and_parcels_by_key_not_by_reading_the_store(
        tmp_path, messaging_runtime):
    """SQLite has no statistics unless asked; `store_id = ? AND id IN (...)` made it
    read every order and line of the store for each batch."""
    from afterward.commerce import stores
    from afterward.messaging import preparing
    from afterward.storage.db import Database
    from afterward.storage.migrate import upgrade

    messaging_runtime(public_url="https://shop.example")
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    upgrade(url)
    db = Database(url)
    try:
        with db.transaction() as session:
            store_id = stores.create_store(session, slug="acme", name="Acme",
                                           currency="USD", timezone="UTC").id
        customer_id, order_id, shipment_id, _ = shop(db, store_id)
        (confirmation,) = confirmations(db, store_id, customer_id, order_id, 1)
        shipped = queue(db, store_id, customer_id=customer_id, idempotency_key="shipped",
                        refs={"shipment_id": shipment_id})
        selects: list[tuple[str, object]] = []

        def seen(conn, cursor, statement, parameters, *args) -> None:
            if statement.lstrip().startswith("SELECT"):
                selects.append((" ".join(statement.split()), parameters))

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            with db.transaction() as session:
                assert preparing.prepare_many(session, message_ids=[confirmation, shipped],
                                              now=utcnow()) == {confirmation: "ready",
                                                                shipped: "ready"}
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        with db.engine.connect() as conn:
            plans = [(statement.split(" WHERE ")[0].split(" FROM ")[-1], [
                row[3] for row in conn.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", parameters)])
                for statement, parameters in selects]
    finally:
        db.dispose()

    assert ("orders", ["SEARCH orders USING INTEGER PRIMARY KEY (rowid=?)"]) in plans
    assert ("order_lines", [
        "SEARCH order_lines USING INDEX ix_order_lines_order (order_id=?)",
        "USE TEMP B-TREE FOR RIGHT PART OF ORDER BY"]) in plans
    assert ("shipments", ["SEARCH shipments USING INTEGER PRIMARY KEY (rowid=?)"]) in plans
    assert not [(table, plan) for table, plan in plans
                if any(step.endswith("(store_id=?)") or step.startswith("SCAN")
                       for step in plan)]
