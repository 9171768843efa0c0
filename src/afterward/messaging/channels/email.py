"""Email over SMTP (stdlib smtplib): multipart/alternative, text and HTML.

AFTERWARD_SMTP_URL:
  smtp://user:pass@host:25             plain (local relay)
  smtp+starttls://user:pass@host:587   STARTTLS, refused if the server lacks it
  smtps://user:pass@host:465           TLS from the first byte
Query parameters: from=noreply@shop.example (default sender), timeout=10 (seconds),
helo=mail.shop.example (EHLO name; default: the sender's domain)."""

from __future__ import annotations

import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
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


@register("email")
class EmailChannel(Channel):
    def __init__(self, config: ChannelConfig) -> None:
        super().__init__(config)
        self.target = parse_smtp_url(config.smtp_url)  # a bad URL fails before anything is sent

    def send(self, message: Outgoing, session: Session) -> Receipt:
        target = self.target
        envelope_from = parseaddr(message.sender or "")[1] or target.sender
        if not envelope_from:
            raise ChannelError("no sender address: set from= in AFTERWARD_SMTP_URL",
                               transient=False)
        data = build_mime(message).as_bytes()
        reply = self._transmit(target, envelope_from, message.recipient, data)
        return Receipt("email", reply)

    def _transmit(self, target: SmtpTarget, envelope_from: str, recipient: str,
                  data: bytes) -> str:
        """The network call. Everything before DATA's final reply cannot have sent
        the message; a connection lost during DATA may have (maybe_sent).

        Each thread keeps its connection open between messages (RSET before the next
        one); a kept connection that the server has closed meanwhile is replaced
        before anything is sent. After any error the connection is dropped."""
        helo = target.helo or envelope_from.rpartition("@")[2] or "localhost"
        smtp: smtplib.SMTP | None = None
        stage = "connect"
        try:
            smtp = _pool.take(target, helo)
            _expect(smtp.mail(envelope_from), (250,), "sender refused")
            _expect(smtp.rcpt(recipient), (250, 251), "recipient refused")
            stage = "data"
            # data() raises when DATA itself is refused but returns the final reply.
            _expect(reply := smtp.data(data), (250,), "message refused")
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


class _Pool:
    """One open SMTP connection per thread and target, reused between messages."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _kept(self) -> dict[tuple[SmtpTarget, str], smtplib.SMTP]:
        kept: dict[tuple[SmtpTarget, str], smtplib.SMTP] | None = getattr(
            self._local, "kept", None)
        if kept is None:
            kept = self._local.kept = {}
        return kept

    def take(self, target: SmtpTarget, helo: str) -> smtplib.SMTP:
        smtp = self._kept().pop((target, helo), None)
        if smtp is not None:
            try:
                code, _ = smtp.rset()
                if code == 250:
                    return smtp
            except (OSError, smtplib.SMTPException):
                pass  # the server closed it while idle: connect again, nothing was sent
            _close(smtp)
        return _connect(target, helo)

    def give_back(self, target: SmtpTarget, helo: str, smtp: smtplib.SMTP) -> None:
        old = self._kept().pop((target, helo), None)
        if old is not None and old is not smtp:
            _quit(old)
        self._kept()[(target, helo)] = smtp

    def close_all(self) -> None:
        """Close this thread's kept connections."""
        kept = self._kept()
        while kept:
            _quit(kept.popitem()[1])


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
