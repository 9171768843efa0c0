"""SMTP connections: opened as AFTERWARD_SMTP_URL says (plain, STARTTLS or TLS, with
a login), and kept open per worker thread between messages."""

from __future__ import annotations

import smtplib
import ssl
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, unquote, urlsplit

_DEFAULT_PORTS = {"plain": 25, "starttls": 587, "tls": 465}
_SCHEMES = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "tls"}
# A kept connection used this recently is taken to be open (see smtp.transmit): servers
# close idle connections after minutes (Postfix: 300 s), not seconds.
RECENT_SECONDS = 2.0


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


Kept = dict[tuple[SmtpTarget, str], tuple[smtplib.SMTP, float]]


class Pool:
    """One open SMTP connection per thread and target, reused between messages."""

    def __init__(self) -> None:
        self._local = threading.local()

    def kept(self) -> Kept:
        """This thread's connections, with when each was last used."""
        kept: Kept | None = getattr(self._local, "kept", None)
        if kept is None:
            kept = self._local.kept = {}
        return kept

    def take(self, target: SmtpTarget, helo: str) -> tuple[smtplib.SMTP, bool, bool]:
        """A connection, whether it was kept from an earlier message, and whether it is
        new or was last used within RECENT_SECONDS."""
        entry = self.kept().pop((target, helo), None)
        if entry is not None:
            smtp, used = entry
            return smtp, True, time.monotonic() - used < RECENT_SECONDS
        return connect(target, helo), False, True

    def give_back(self, target: SmtpTarget, helo: str, smtp: smtplib.SMTP) -> None:
        old = self.kept().pop((target, helo), None)
        if old is not None and old[0] is not smtp:
            quit_quietly(old[0])
        self.kept()[(target, helo)] = (smtp, time.monotonic())

    def close_all(self) -> None:
        """Close this thread's kept connections."""
        kept = self.kept()
        while kept:
            quit_quietly(kept.popitem()[1][0])


pool = Pool()


def close_connections() -> None:
    """Close the calling thread's kept SMTP connections (a worker thread at exit)."""
    pool.close_all()


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    # Loading the system's CA store takes tens of milliseconds: once per process.
    return ssl.create_default_context()


def connect(target: SmtpTarget, helo: str) -> smtplib.SMTP:
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


def quit_quietly(smtp: smtplib.SMTP | None) -> None:
    """QUIT, or close when the server is gone already."""
    if smtp is None:
        return
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        close(smtp)


def close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        smtp.close()
