"""Email over SMTP: the message as MIME (mime.py), sent in an SMTP dialogue (smtp.py)
on a connection kept per worker thread (smtp_pool.py).

AFTERWARD_SMTP_URL:
  smtp://user:pass@host:25             plain (local relay)
  smtp+starttls://user:pass@host:587   STARTTLS, refused if the server lacks it
  smtps://user:pass@host:465           TLS from the first byte
Query parameters: from=noreply@shop.example (default sender), timeout=10 (seconds),
helo=mail.shop.example (EHLO name; default: the sender's domain)."""

from __future__ import annotations

from email.utils import parseaddr
from functools import lru_cache

from sqlalchemy.orm import Session

from afterward.messaging.channels import (
    Channel,
    ChannelConfig,
    ChannelError,
    Outgoing,
    Receipt,
    register,
)
from afterward.messaging.channels.smtp import transmit
from afterward.messaging.channels.smtp_pool import SmtpTarget, parse_smtp_url


@register("email")
class EmailChannel(Channel):
    def __init__(self, config: ChannelConfig) -> None:
        super().__init__(config)
        self.target = parse_smtp_url(config.smtp_url)  # a bad URL fails before anything is sent

    def send(self, message: Outgoing, session: Session) -> Receipt:
        envelope_from = _address_of(message.sender or "") or self.target.sender
        if not envelope_from:
            raise ChannelError("no sender address: set from= in AFTERWARD_SMTP_URL",
                               transient=False)
        return Receipt("email", self._transmit(self.target, envelope_from, message))

    def _transmit(self, target: SmtpTarget, envelope_from: str, message: Outgoing) -> str:
        """The network call (smtp.py; tests replace this one method)."""
        return transmit(target, envelope_from, message)


@lru_cache(maxsize=256)
def _address_of(sender: str) -> str:
    return parseaddr(sender)[1]
