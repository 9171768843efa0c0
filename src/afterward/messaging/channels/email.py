"""Email over SMTP (stdlib smtplib): multipart/alternative, text and HTML.

AFTERWARD_SMTP_URL:
  smtp://user:pass@host:25             plain (local relay)
  smtp+starttls://user:pass@host:587   STARTTLS, refused if the server lacks it
  smtps://user:pass@host:465           TLS from the first byte
Query parameters: from=noreply@shop.example (default sender), timeout=10 (seconds),
helo=mail.shop.example (EHLO name; default: the sender's domain)."""

from __future__ import annotations

import binascii
import random
import re
import smtplib
import ssl
import threading
import time
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy.orm import Session

from afterward.messaging.channels import (
    Channel,
    ChannelConfig,
    ChannelError,
    Outgoing,
    Receipt,
    register,
)
from afterward.storage.types import utcnow

_DEFAULT_PORTS = {"plain": 25, "starttls": 587, "tls": 465}
_SCHEMES = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "tls"}


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    security: str  # plain | starttls | tls
    username: str | None = None
    password: str | None = None
    sender: str | None = None
    helo: str | None = None
    timeout: float = 10.0


@lru_cache(maxsize=64)
def parse_smtp_url(url: str) -> SmtpTarget:
    parts = urlsplit(url)
    security = _SCHEMES.get(parts.scheme.lower())
    if security is None or not parts.hostname:
        raise ValueError("AFTERWARD_SMTP_URL must look like smtp://user:pass@host:port "
                         "(or smtps://, smtp+starttls://)")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or _DEFAULT_PORTS[security],
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        sender=query.get("from"),
        helo=query.get("helo"),
        timeout=float(query.get("timeout", 10)),
    )


def build_mime(message: Outgoing) -> EmailMessage:
    mime = EmailMessage(policy=SMTP)
    mime["From"] = message.sender or ""
    mime["To"] = message.recipient
    # A header cannot carry a line break; a template that renders one must not inject headers.
    mime["Subject"] = " ".join((message.subject or "").split())
    mime["Date"] = format_datetime(utcnow())
    if message.message_id_header:
        mime["Message-ID"] = message.message_id_header
    if message.reply_to:
        mime["Reply-To"] = message.reply_to
    for name, value in message.headers.items():
        mime[name] = value
    mime.set_content(message.text or "", subtype="plain", charset="utf-8")
    if message.html:
        mime.add_alternative(message.html, subtype="html", charset="utf-8")
    return mime


def mime_bytes(message: Outgoing, *, eight_bit: bool = False) -> bytes:
    """The message as SMTP DATA: assembled directly (CRLF; 7bit parts, 8bit ones when
    `eight_bit` says the server takes them (RFC 6152), else quoted-printable) when
    every header is plain ASCII, the common case; else through EmailMessage."""
    fast = _fast_mime(message, eight_bit)
    return fast if fast is not None else build_mime(message).as_bytes()


def _fast_mime(message: Outgoing, eight_bit: bool = False) -> bytes | None:
    subject = " ".join((message.subject or "").split())
    headers = [("From", message.sender or ""), ("To", message.recipient),
               ("Subject", subject), ("Date", _date_header())]
    if message.message_id_header:
        headers.append(("Message-ID", message.message_id_header))
    if message.reply_to:
        headers.append(("Reply-To", message.reply_to))
    headers += list(message.headers.items())
    lines = []
    for name, value in headers:
        if not value.isascii() or "\r" in value or "\n" in value or len(value) > 900:
            if name != "Subject" or "\r" in value or "\n" in value:
                return None  # leave folding and encoding to the email package
            value = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
        lines.append(f"{name}: {value}")
    lines.append("MIME-Version: 1.0")
    text = _part("plain", message.text or "", eight_bit)
    if not message.html:
        return ("\r\n".join(lines) + "\r\n").encode() + text
    # "==" never occurs in q-p text, and a 7bit or 8bit part is one without BOUNDARY_MARK,
    # so the random part need not be secret (secrets asks the kernel, ~5 µs a message).
    boundary = f"{BOUNDARY_MARK}{random.getrandbits(64):016x}=="
    lines.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    mark = f"--{boundary}\r\n".encode()
    return b"".join((head, mark, text, b"\r\n", mark, _part("html", message.html, eight_bit),
                     b"\r\n", f"--{boundary}--\r\n".encode()))


BOUNDARY_MARK = "==aw-"
_MARK_BYTES = BOUNDARY_MARK.encode()
# RFC 5321 4.5.3.1.6: at most 998 characters on a line, before its CRLF.
MAX_LINE = 998


# A line of MAX_LINE + 1 bytes or more covers a whole aligned block of this size
# (2 * _BLOCK - 1 <= MAX_LINE + 1).
_BLOCK = (MAX_LINE + 2) // 2


def lines_fit(body: bytes) -> bool:
    """No line of `body` is longer than MAX_LINE bytes. When every aligned block of
    _BLOCK bytes holds a line break, no line can be (a search per block: ~3 µs for
    10 KB, where measuring every line took ~25 µs); only otherwise are lines measured."""
    find = body.find
    for start in range(0, len(body), _BLOCK):
        if find(b"\n", start, start + _BLOCK) < 0:
            return max(map(len, body.split(b"\n"))) <= MAX_LINE
    return True


_date = threading.local()


def _date_header() -> str:
    """The Date header for now, written once a second per thread (email.utils's
    format_datetime cost ~4% of the send step)."""
    now = utcnow()
    second = int(now.timestamp())
    if getattr(_date, "second", None) != second:
        _date.second, _date.text = second, format_datetime(now.replace(microsecond=0))
    return str(_date.text)


def _part(subtype: str, content: str, eight_bit: bool = False) -> bytes:
    """A text part as it is, when SMTP carries its lines unchanged: 7bit when it is
    ASCII (a rendered email often is), 8bit UTF-8 when the server takes 8BITMIME (one
    with a price in euros, or a name with an accent); else quoted-printable, which
    costs ~0.1 ms per 10 KB."""
    if not content.endswith("\n"):
        content += "\n"
    if "\r" in content:  # a search is ~1 µs; the copy a replace makes, ~11 µs per 10 KB
        content = content.replace("\r\n", "\n")
    body = content.encode()
    plain = body.isascii()
    if (plain or eight_bit) and b"\r" not in body and b"\x00" not in body and \
            _MARK_BYTES not in body and lines_fit(body):
        encoding = "7bit" if plain else "8bit"
    else:
        encoding, body = "quoted-printable", binascii.b2a_qp(body, istext=True)
    return (f"Content-Type: text/{subtype}; charset=\"utf-8\"\r\n"
            f"Content-Transfer-Encoding: {encoding}\r\n\r\n").encode() + \
        body.replace(b"\n", b"\r\n")


@register("email")
class EmailChannel(Channel):
    def __init__(self, config: ChannelConfig) -> None:
        super().__init__(config)
        self.target = parse_smtp_url(config.smtp_url)  # a bad URL fails before anything is sent

    def send(self, message: Outgoing, session: Session) -> Receipt:
        target = self.target
        envelope_from = _address_of(message.sender or "") or target.sender
        if not envelope_from:
            raise ChannelError("no sender address: set from= in AFTERWARD_SMTP_URL",
                               transient=False)
        reply = self._transmit(target, envelope_from, message)
        return Receipt("email", reply)

    def _transmit(self, target: SmtpTarget, envelope_from: str, message: Outgoing) -> str:
        """The network call. Everything before the content is sent cannot have sent
        the message; a connection lost after that may have (maybe_sent).

        Each thread keeps its connection open between messages. A kept connection
        that the server closed meanwhile fails before any content went out: it is
        replaced and the envelope sent again. MAIL, RCPT and DATA go in one write when
        the server offers PIPELINING (RFC 2920). The content is written for what the
        server takes (8BITMIME or not). After any error the connection is dropped.

        When the server also offers CHUNKING (RFC 3030), a connection that was opened
        for this message or used within RECENT_SECONDS sends MAIL, RCPT and the
        content as one BDAT ... LAST in one write: one round trip a message instead of
        two (with a relay 20 ms away, twice the messages per connection). A
        connection idle for longer may have been closed by the server, which BDAT
        could only learn after the content went out; so it takes the DATA path once,
        whose envelope finds that out before any content leaves."""
        helo = target.helo or envelope_from.rpartition("@")[2] or "localhost"
        smtp: smtplib.SMTP | None = None
        stage = "connect"
        try:
            smtp, kept, recent = _pool.take(target, helo)
            if recent and _chunking(smtp):
                stage = "data"  # the content leaves with the envelope
                reply = _chunked(smtp, envelope_from, message)
            else:
                try:
                    data = _begin(smtp, envelope_from, message)
                except (OSError, smtplib.SMTPServerDisconnected):
                    if not kept:
                        raise
                    _close(smtp)  # closed by the server while idle; nothing was sent
                    smtp = None
                    smtp = _connect(target, helo)
                    data = _begin(smtp, envelope_from, message)
                stage = "data"
                # Dot-stuffing (RFC 5321 4.5.2): a line that starts with "." gets another.
                if b"\n." in data:
                    data = data.replace(b"\n.", b"\n..")
                if data.startswith(b"."):
                    data = b"." + data
                smtp.send(_ended(data) + b".\r\n")
                _expect(reply := smtp.getreply(), (250,), "message refused")
        except smtplib.SMTPAuthenticationError as exc:
            _close(smtp)
            # Wrong credentials are the operator's to fix; keep the mail until they do.
            raise ChannelError(f"SMTP login refused: {_text(exc.smtp_error)}",
                               transient=True) from exc
        except smtplib.SMTPResponseException as exc:
            _quit(smtp)
            raise _refusal(exc.smtp_code, exc.smtp_error, "SMTP refused") from exc
        except (OSError, smtplib.SMTPException) as exc:
            _close(smtp)
            if stage == "data":
                raise ChannelError(f"connection lost during DATA: {exc!r}", transient=True,
                                   maybe_sent=True) from exc
            raise ChannelError(f"SMTP server unreachable: {exc!r}", transient=True) from exc
        except BaseException:
            _close(smtp)
            raise
        _pool.give_back(target, helo, smtp)
        return _text(reply[1])[:200]


_PLAIN_ADDRESS = re.compile(r'[^\s<>"(),;:\\\[\]@]+@[^\s<>"(),;:\\\[\]@]+')


@lru_cache(maxsize=256)
def _address_of(sender: str) -> str:
    return parseaddr(sender)[1]


def _angle(address: str) -> str:
    """The address as SMTP wants it, <local@domain> (what smtplib.quoteaddr gives)."""
    return f"<{address}>" if _PLAIN_ADDRESS.fullmatch(address) else smtplib.quoteaddr(address)


def _begin(smtp: smtplib.SMTP, envelope_from: str, message: Outgoing) -> bytes:
    """The content, written for what this server takes, after its envelope was
    accepted (up to the 354)."""
    data = mime_bytes(message, eight_bit=smtp.has_extn("8bitmime"))
    _envelope(smtp, envelope_from, message.recipient, eight_bit=not data.isascii())
    return data


def _chunking(smtp: smtplib.SMTP) -> bool:
    return bool(smtp.has_extn("chunking") and smtp.has_extn("pipelining"))


def _ended(data: bytes) -> bytes:
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _chunked(smtp: smtplib.SMTP, envelope_from: str, message: Outgoing) -> tuple[int, bytes]:
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
        replies = []
        for command in commands:
            smtp.putcmd(command)
            replies.append(smtp.getreply())
            if replies[-1][0] >= 400:
                break
    mail, *rest = replies
    _expect(mail, (250,), "sender refused")
    if rest:
        _expect(rest[0], (250, 251), "recipient refused")
    if len(rest) > 1 and rest[1][0] != 354:
        raise smtplib.SMTPDataError(rest[1][0], rest[1][1])


# A kept connection used this recently is taken to be open (see _transmit): servers
# close idle connections after minutes (Postfix: 300 s), not seconds.
RECENT_SECONDS = 2.0


class _Pool:
    """One open SMTP connection per thread and target, reused between messages."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _kept(self) -> dict[tuple[SmtpTarget, str], tuple[smtplib.SMTP, float]]:
        kept: dict[tuple[SmtpTarget, str], tuple[smtplib.SMTP, float]] | None = getattr(
            self._local, "kept", None)
        if kept is None:
            kept = self._local.kept = {}
        return kept

    def take(self, target: SmtpTarget, helo: str) -> tuple[smtplib.SMTP, bool, bool]:
        """A connection, whether it was kept from an earlier message, and whether it is
        new or was last used within RECENT_SECONDS."""
        entry = self._kept().pop((target, helo), None)
        if entry is not None:
            smtp, used = entry
            return smtp, True, time.monotonic() - used < RECENT_SECONDS
        return _connect(target, helo), False, True

    def give_back(self, target: SmtpTarget, helo: str, smtp: smtplib.SMTP) -> None:
        old = self._kept().pop((target, helo), None)
        if old is not None and old[0] is not smtp:
            _quit(old[0])
        self._kept()[(target, helo)] = (smtp, time.monotonic())

    def close_all(self) -> None:
        """Close this thread's kept connections."""
        kept = self._kept()
        while kept:
            _quit(kept.popitem()[1][0])


_pool = _Pool()


def close_connections() -> None:
    """Close the calling thread's kept SMTP connections (a worker thread at exit)."""
    _pool.close_all()


_SSL_CONTEXT: ssl.SSLContext | None = None


def _ssl_context() -> ssl.SSLContext:
    # Loading the system's CA store takes tens of milliseconds: once per process.
    global _SSL_CONTEXT
    if _SSL_CONTEXT is None:
        _SSL_CONTEXT = ssl.create_default_context()
    return _SSL_CONTEXT


def _connect(target: SmtpTarget, helo: str) -> smtplib.SMTP:
    if target.security == "tls":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(target.host, target.port, local_hostname=helo,
                                              timeout=target.timeout, context=_ssl_context())
    else:
        smtp = smtplib.SMTP(target.host, target.port, local_hostname=helo,
                            timeout=target.timeout)
    try:
        smtp.ehlo()
        if target.security == "starttls":
            smtp.starttls(context=_ssl_context())
            smtp.ehlo()
        if target.username:
            smtp.login(target.username, target.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _refusal(code: int, reply: bytes | str, what: str) -> ChannelError:
    # 4xx: try again later (greylisting, full queue); 5xx: this message will never go.
    return ChannelError(f"{what}: {code} {_text(reply)}", transient=400 <= code < 500)


def _expect(response: tuple[int, bytes], codes: tuple[int, ...], what: str) -> None:
    code, reply = response
    if code not in codes:
        raise _refusal(code, reply, what)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _quit(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        _close(smtp)


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        smtp.close()
