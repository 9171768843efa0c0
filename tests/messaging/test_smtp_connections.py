"""Each worker thread keeps its SMTP connection between messages and connects again
when the server dropped it; a dropped connection loses and doubles nothing. Content
is written for what the server takes: 8bit parts only where it offers 8BITMIME."""

from __future__ import annotations

from afterward.messaging.channels import ChannelConfig, Outgoing
from afterward.messaging.channels import email as email_channel
from afterward.messaging.channels.email import EmailChannel, close_connections
from tests.messaging.conftest import SmtpServer


def outgoing(n: int) -> Outgoing:
    return Outgoing(n, 1, "email", f"c{n}@example.com", f"key-{n}", subject=f"Hello {n}",
                    text="Hi", html="<p>Hi</p>", sender="Shop <shop@acme.example>")


def kept() -> list[object]:
    return list(email_channel._pool._kept().values())


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
