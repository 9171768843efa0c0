"""Each worker thread keeps its SMTP connection between messages and connects again
when the server dropped it; a dropped connection loses and doubles nothing. Content
is written for what the server takes: 8bit parts only where it offers 8BITMIME, and
as one BDAT chunk with the envelope where it offers CHUNKING."""

from __future__ import annotations

import pytest

from afterward.messaging.channels import ChannelConfig, ChannelError, Outgoing, smtp_pool
from afterward.messaging.channels.email import EmailChannel
from afterward.messaging.channels.smtp_pool import close_connections
from tests.messaging.conftest import SmtpServer


def outgoing(n: int) -> Outgoing:
    return Outgoing(n, 1, "email", f"c{n}@example.com", f"key-{n}", subject=f"Hello {n}",
                    text="Hi", html="<p>Hi</p>", sender="Shop <shop@acme.example>")


def kept() -> list[object]:
    return [smtp for smtp, _ in smtp_pool.pool.kept().values()]


def test_one_connection_carries_many_messages(smtp_server):
    close_connections()
    channel = EmailChannel(ChannelConfig(smtp_url=smtp_server.url))
    channel.send(outgoing(1), None)  # type: ignore[arg-type]
    [first] = kept()
    channel.send(outgoing(2), None)  # type: ignore[arg-type]
    channel.send(outgoing(3), None)  # type: ignore[arg-type]
    assert kept() == [first]
    assert [m["To"] for m in smtp_server.mailbox.messages] == [
        "c1@example.com", "c2@example.com", "c3@example.com"]
    close_connections()
    assert kept() == []


def test_a_connection_the_server_dropped_is_replaced(smtp_server):
    close_connections()
    channel = EmailChannel(ChannelConfig(smtp_url=smtp_server.url))
    channel.send(outgoing(1), None)  # type: ignore[arg-type]
    [stale] = kept()
    smtp_server.stop()  # drops every connection
    again = SmtpServer(port=smtp_server.port).start()
    try:
        receipt = channel.send(outgoing(2), None)  # type: ignore[arg-type]
        assert receipt.transport == "email"
        [fresh] = kept()
        assert fresh is not stale
        assert [m["To"] for m in again.mailbox.messages] == ["c2@example.com"]
        assert [m["To"] for m in smtp_server.mailbox.messages] == ["c1@example.com"]
    finally:
        close_connections()
        again.stop()


def test_a_server_with_8bitmime_gets_8bit_parts_announced_in_mail_from():
    server = SmtpServer().start()
    close_connections()
    try:
        EmailChannel(ChannelConfig(smtp_url=server.url)).send(grüße(1), None)  # type: ignore[arg-type]
        EmailChannel(ChannelConfig(smtp_url=server.url)).send(outgoing(2), None)  # type: ignore[arg-type]
    finally:
        close_connections()
        server.stop()

    umlauts, ascii_only = server.mailbox.messages
    options = [e.mail_options for e in server.mailbox.envelopes]
    assert options == [["BODY=8BITMIME"], []]
    assert [p["Content-Transfer-Encoding"] for p in umlauts.iter_parts()] == ["8bit", "8bit"]
    assert [p["Content-Transfer-Encoding"] for p in ascii_only.iter_parts()] == ["7bit", "7bit"]
    assert umlauts.get_body(("plain",)).get_content() == "Grüße, 12,00 €\r\n"
    assert umlauts.get_body(("html",)).get_content() == "<p>Grüße, 12,00 €</p>\r\n"


def test_a_server_without_8bitmime_gets_quoted_printable():
    server = SmtpServer(eight_bit=False).start()
    close_connections()
    try:
        EmailChannel(ChannelConfig(smtp_url=server.url)).send(grüße(1), None)  # type: ignore[arg-type]
    finally:
        close_connections()
        server.stop()

    (received,) = server.mailbox.messages
    assert server.mailbox.envelopes[0].mail_options == []
    assert server.mailbox.envelopes[0].original_content.isascii()
    assert [p["Content-Transfer-Encoding"] for p in received.iter_parts()] == [
        "quoted-printable", "quoted-printable"]
    assert received.get_body(("plain",)).get_content() == "Grüße, 12,00 €\r\n"


def grüße(n: int) -> Outgoing:
    return Outgoing(n, 1, "email", f"c{n}@example.com", f"key-{n}", subject="Grüße",
                    text="Grüße, 12,00 €", html="<p>Grüße, 12,00 €</p>",
                    sender="Shop <shop@acme.example>")


def sent_through(server: SmtpServer, *messages: Outgoing) -> list[str]:
    """Send the messages on one channel; what each send's receipt said."""
    close_connections()
    try:
        channel = EmailChannel(ChannelConfig(smtp_url=server.url))
        return [channel.send(m, None).provider_id or "" for m in messages]  # type: ignore[arg-type]
    finally:
        close_connections()
        server.stop()


def test_a_server_with_chunking_gets_each_message_as_one_bdat_chunk():
    # given: a line that DATA would dot-stuff, and 8bit parts
    server = SmtpServer(chunking=True).start()
    dotted = Outgoing(1, 1, "email", "c1@example.com", "key-1", subject="Grüße",
                      text=".a line that starts with a dot\nGrüße", html="<p>Grüße</p>",
                      sender="Shop <shop@acme.example>")
    # when
    receipts = sent_through(server, dotted, outgoing(2), outgoing(3))
    # then
    assert receipts == ["2.0.0 Ok: queued as TEST"] * 3
    assert server.commands == ["BDAT", "BDAT", "BDAT"]
    first, second, third = server.mailbox.messages
    assert [m["To"] for m in (first, second, third)] == [
        "c1@example.com", "c2@example.com", "c3@example.com"]
    assert first.get_body(("plain",)).get_content() == (
        ".a line that starts with a dot\r\nGrüße\r\n")
    assert [e.mail_options for e in server.mailbox.envelopes] == [["BODY=8BITMIME"], [], []]
    raw = server.mailbox.envelopes[0].original_content
    assert b"\r\n.a line" in raw and b"\r\n..a line" not in raw  # not dot-stuffed
    assert raw.endswith(b"--\r\n")


def test_a_connection_idle_for_a_while_takes_the_data_path_once(monkeypatch):
    # given: a kept connection counts as idle at once
    monkeypatch.setattr(smtp_pool, "RECENT_SECONDS", 0.0)
    server = SmtpServer(chunking=True).start()
    # when
    sent_through(server, outgoing(1), outgoing(2))
    # then: the first on its new connection, the second checked by DATA's envelope
    assert server.commands == ["BDAT", "DATA"]
    assert [m["To"] for m in server.mailbox.messages] == ["c1@example.com", "c2@example.com"]


def test_an_idle_connection_the_server_dropped_is_replaced_before_any_content_leaves(
        monkeypatch):
    monkeypatch.setattr(smtp_pool, "RECENT_SECONDS", 0.0)
    server = SmtpServer(chunking=True).start()
    close_connections()
    channel = EmailChannel(ChannelConfig(smtp_url=server.url))
    channel.send(outgoing(1), None)  # type: ignore[arg-type]
    server.stop()  # drops every connection
    again = SmtpServer(port=server.port, chunking=True).start()
    try:
        # when
        receipt = channel.send(outgoing(2), None)  # type: ignore[arg-type]
    finally:
        close_connections()
        again.stop()
    # then
    assert receipt.transport == "email"
    assert [m["To"] for m in server.mailbox.messages] == ["c1@example.com"]
    assert [m["To"] for m in again.mailbox.messages] == ["c2@example.com"]


def test_a_refused_recipient_is_a_refusal_with_bdat_and_nothing_is_delivered():
    server = SmtpServer(chunking=True)

    async def refuse(server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such user"

    server.mailbox.handle_RCPT = refuse  # type: ignore[attr-defined]
    server.start()
    with pytest.raises(ChannelError) as refused:
        sent_through(server, outgoing(1))

    assert (str(refused.value), refused.value.transient, refused.value.maybe_sent) == (
        "recipient refused: 550 5.1.1 No such user", False, False)
    assert server.mailbox.messages == []
    assert server.commands == ["BDAT"]


def test_a_connection_lost_after_the_bdat_chunk_went_out_may_have_sent_it():
    server = SmtpServer(chunking=True, drop_at_bdat=True).start()
    with pytest.raises(ChannelError) as lost:
        sent_through(server, outgoing(1))

    assert (lost.value.transient, lost.value.maybe_sent) == (True, True)
    assert str(lost.value).startswith("connection lost during DATA")
    assert server.commands == ["BDAT"]


def test_a_server_that_refuses_mail_and_hangs_up_surely_took_nothing():
    server = SmtpServer(chunking=True, close_at_mail=True).start()
    with pytest.raises(ChannelError) as refused:
        sent_through(server, outgoing(1))

    assert (str(refused.value), refused.value.transient, refused.value.maybe_sent) == (
        "sender refused: 421 4.3.2 Shutting down", True, False)
    assert server.mailbox.messages == []
