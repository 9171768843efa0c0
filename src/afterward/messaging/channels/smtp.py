"""One message's SMTP dialogue, on a connection kept from the previous message.

Everything before the content is sent cannot have sent the message; a connection
lost after that may have (maybe_sent). A kept connection that the server closed
meanwhile fails before any content went out: it is replaced and the envelope sent
again. MAIL, RCPT and DATA go in one write when the server offers PIPELINING (RFC
2920). The content is written for what the server takes (8BITMIME or not, mime.py).
After any error the connection is dropped.

When the server also offers CHUNKING (RFC 3030), a connection that was opened for this
message or used within RECENT_SECONDS sends MAIL, RCPT and the content as one BDAT ...
LAST in one write: one round trip a message instead of two (with a relay 20 ms away,
twice the messages per connection). A connection idle for longer may have been closed
by the server, which BDAT could only learn after the content went out; so it takes
the DATA path once, whose envelope finds that out before any content leaves."""

from __future__ import annotations

import re
import smtplib

from afterward.messaging.channels import ChannelError, Outgoing
from afterward.messaging.channels.mime import mime_bytes
from afterward.messaging.channels.smtp_pool import SmtpTarget, close, connect, pool, quit_quietly

Reply = tuple[int, bytes]


def transmit(target: SmtpTarget, envelope_from: str, message: Outgoing) -> str:
    """Send the message; the server's reply to its content (raises ChannelError)."""
    helo = target.helo or envelope_from.rpartition("@")[2] or "localhost"
    smtp: smtplib.SMTP | None = None
    stage = "connect"  # until the content may have left
    try:
        smtp, kept, recent = pool.take(target, helo)
        if recent and _chunking(smtp):
            stage = "data"  # the content leaves with the envelope
            reply = _chunked(smtp, envelope_from, message)
        else:
            try:
                data = _begin(smtp, envelope_from, message)
            except (OSError, smtplib.SMTPServerDisconnected):
                if not kept:
                    raise
                close(smtp)  # closed by the server while idle; nothing was sent
                smtp = None
                smtp = connect(target, helo)
                data = _begin(smtp, envelope_from, message)
            stage = "data"
            reply = _data(smtp, data)
    except BaseException as exc:
        error = _failure(exc, smtp, stage)
        if error is exc:
            raise
        raise error from exc
    pool.give_back(target, helo, smtp)
    return _text(reply[1])[:200]


def _failure(exc: BaseException, smtp: smtplib.SMTP | None, stage: str) -> BaseException:
    """What a failed dialogue raises (the connection quit or closed)."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        close(smtp)
        # Wrong credentials are the operator's to fix; keep the mail until they do.
        return ChannelError(f"SMTP login refused: {_text(exc.smtp_error)}", transient=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        quit_quietly(smtp)
        return refusal(exc.smtp_code, exc.smtp_error, "SMTP refused")
    close(smtp)
    if not isinstance(exc, OSError | smtplib.SMTPException):
        return exc
    if stage == "data":
        return ChannelError(f"connection lost during DATA: {exc!r}", transient=True,
                            maybe_sent=True)
    return ChannelError(f"SMTP server unreachable: {exc!r}", transient=True)


def _begin(smtp: smtplib.SMTP, envelope_from: str, message: Outgoing) -> bytes:
    """The content, written for what this server takes, after its envelope was
    accepted (up to the 354)."""
    data = mime_bytes(message, eight_bit=smtp.has_extn("8bitmime"))
    _envelope(smtp, envelope_from, message.recipient, eight_bit=not data.isascii())
    return data


def _data(smtp: smtplib.SMTP, data: bytes) -> Reply:
    """The content after DATA's 354, dot-stuffed (RFC 5321 4.5.2: a line that starts
    with "." gets another), and the server's reply."""
    if b"\n." in data:
        data = data.replace(b"\n.", b"\n..")
    if data.startswith(b"."):
        data = b"." + data
    smtp.send(_ended(data) + b".\r\n")
    _expect(reply := smtp.getreply(), (250,), "message refused")
    return reply


def _chunking(smtp: smtplib.SMTP) -> bool:
    return bool(smtp.has_extn("chunking") and smtp.has_extn("pipelining"))


def _ended(data: bytes) -> bytes:
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _chunked(smtp: smtplib.SMTP, envelope_from: str, message: Outgoing) -> Reply:
    """MAIL, RCPT and the content as one BDAT chunk (RFC 3030), in one write; the
    server's reply to BDAT. No dot-stuffing: BDAT says how many bytes follow. A
    refused sender or recipient fails the BDAT too (there is no mail transaction to
    add it to), so the first refusal is the error, read before anything else: a
    server that refuses MAIL and hangs up (421) has surely not taken the message."""
    data = _ended(mime_bytes(message, eight_bit=smtp.has_extn("8bitmime")))
    commands = _envelope_commands(envelope_from, message.recipient,
                                  eight_bit=not data.isascii())
    smtp.send("".join(f"{c}\r\n" for c in commands).encode()
              + f"BDAT {len(data)} LAST\r\n".encode() + data)
    _expect(smtp.getreply(), (250,), "sender refused")
    _expect(smtp.getreply(), (250, 251), "recipient refused")
    _expect(reply := smtp.getreply(), (250,), "message refused")
    return reply


_PLAIN_ADDRESS = re.compile(r'[^\s<>"(),;:\\\[\]@]+@[^\s<>"(),;:\\\[\]@]+')


def _angle(address: str) -> str:
    """The address as SMTP wants it, <local@domain> (what smtplib.quoteaddr gives)."""
    return f"<{address}>" if _PLAIN_ADDRESS.fullmatch(address) else smtplib.quoteaddr(address)


def _envelope_commands(envelope_from: str, recipient: str, *, eight_bit: bool) -> list[str]:
    """MAIL and RCPT. `eight_bit`: the content has 8bit parts, so MAIL says
    BODY=8BITMIME (RFC 6152)."""
    if any(c in address for address in (envelope_from, recipient) for c in "\r\n"):
        raise ChannelError("an address with a line break", transient=False)
    body = " BODY=8BITMIME" if eight_bit else ""
    return [f"MAIL FROM:{_angle(envelope_from)}{body}", f"RCPT TO:{_angle(recipient)}"]


def _envelope(smtp: smtplib.SMTP, envelope_from: str, recipient: str, *,
              eight_bit: bool = False) -> None:
    """MAIL, RCPT and DATA, up to the server's 354 (go ahead with the content)."""
    commands = [*_envelope_commands(envelope_from, recipient, eight_bit=eight_bit), "DATA"]
    if smtp.has_extn("pipelining"):
        smtp.send("".join(f"{c}\r\n" for c in commands))
        replies = [smtp.getreply() for _ in commands]
    else:
        replies = _one_by_one(smtp, commands)
    mail, *rest = replies
    _expect(mail, (250,), "sender refused")
    if rest:
        _expect(rest[0], (250, 251), "recipient refused")
    if len(rest) > 1 and rest[1][0] != 354:
        raise smtplib.SMTPDataError(rest[1][0], rest[1][1])


def _one_by_one(smtp: smtplib.SMTP, commands: list[str]) -> list[Reply]:
    """Each command's reply, waiting for it before the next; up to the first refusal."""
    replies: list[Reply] = []
    for command in commands:
        smtp.putcmd(command)
        replies.append(smtp.getreply())
        if replies[-1][0] >= 400:
            break
    return replies


def refusal(code: int, reply: bytes | str, what: str) -> ChannelError:
    # 4xx: try again later (greylisting, full queue); 5xx: this message will never go.
    return ChannelError(f"{what}: {code} {_text(reply)}", transient=400 <= code < 500)


def _expect(response: Reply, codes: tuple[int, ...], what: str) -> None:
    code, reply = response
    if code not in codes:
        raise refusal(code, reply, what)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
