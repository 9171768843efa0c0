"""A message goes out in two jobs.

prepare (queued -> ready | suppressed | failed, or deferred): the policy, then
render and persist, then queue the send job; all in the worker's transaction,
fenced on the job's lease, so it happens once.

deliver (ready -> sending -> sent): first `sending` is committed in its own
transaction, then the channel is called with no transaction open, then `sent` is
committed in another. A crash between prepare and deliver leaves `ready`: the
retry sends exactly once. Failures that surely sent nothing (connection refused,
4xx from SMTP) go back to `ready` and retry with backoff.

The one window we cannot see into is a crash after `sending` was committed and
before `sent` was: the provider may or may not have the message, and SMTP offers
no way to ask. A retry that finds `sending` (after a grace period, so an attempt
still in flight on a slow worker is never doubled) decides by what is at stake:
- transactional email and SMS: resend (at least once). Losing an order
  confirmation or a tracking link costs more than a rare duplicate, and the resent
  email carries the same Message-ID, so mail clients and threads collapse it;
- marketing: do not resend (at most once); the message is `failed` with the
  reason. A lost promotion is cheap; a duplicate one erodes trust and the budget;
- webhooks: resend; receivers dedupe on X-Afterward-Delivery;
- the outbox: its write commits together with `sent`, so `sending` there means
  it surely did not happen; resend."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from email.utils import formataddr
from functools import lru_cache
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.orm import Session

from afterward.commerce.models import Store
from afterward.messaging import policy, preparing, runtime
from afterward.messaging.channels import (
    Channel,
    ChannelError,
    Outgoing,
    Receipt,
    channel_named,
    transport_for,
)
from afterward.messaging.channels.smtp_pool import parse_smtp_url
from afterward.messaging.endpoints import signing_secrets
from afterward.messaging.models import (
    Message,
    MessageStatus,
    MessagingSettings,
    SendRow,
    WebhookEndpoint,
)
from afterward.messaging.preparing import finish
from afterward.messaging.service import SEND_MAX_ATTEMPTS, sending_settings
from afterward.storage.db import side_transaction
from afterward.storage.types import utcnow

# An attempt younger than this may still be talking to the provider.
IN_FLIGHT_GRACE = timedelta(minutes=5)


_MESSAGES = cast(Table, Message.__table__)


class RetryLater(Exception):
    """The job should run again with backoff; the message is safe where it is."""


# --- step 1: policy, render, persist -------------------------------------------------

def prepare(session: Session, *, message_id: int, now: datetime | None = None) -> str:
    """One message's step 1 (a batch of one: see preparing.py)."""
    outcomes = preparing.prepare_many(session, message_ids=[message_id], now=now or utcnow())
    return outcomes[message_id]


# --- step 2: send --------------------------------------------------------------------

def deliver(session: Session, *, message_id: int, attempt: int = 1) -> str:
    """`session` is the worker's; it stays unused so that no transaction is open
    while the channel talks to the network."""
    last_attempt = attempt >= SEND_MAX_ATTEMPTS
    claimed = _claim(session, message_id, last_attempt)
    if claimed is None:
        return "skipped"
    outgoing, channel = claimed
    try:
        with side_transaction(session) as own:
            receipt = channel.send(outgoing, own)
            _mark_sent(own, message_id, receipt)
    except ChannelError as exc:
        return after_failure(session, message_id, exc, last_attempt)
    except Exception as exc:  # a bug, not the network: we cannot say what left
        unknown = ChannelError(f"unexpected error: {exc!r}", transient=True, maybe_sent=True)
        return after_failure(session, message_id, unknown, last_attempt)
    return "sent"


def _claim(session: Session, message_id: int, last_attempt: bool
           ) -> tuple[Outgoing, Channel] | None:
    rt = runtime.current()
    now = utcnow()
    with side_transaction(session) as own:
        message = own.scalar(select(Message).where(Message.id == message_id).with_for_update())
        if message is None:
            return None
        if message.status == MessageStatus.sending.value:
            if message.sending_at and now - message.sending_at < IN_FLIGHT_GRACE:
                raise RetryLater("the previous attempt may still be in flight")
            if not resend_is_safe(message):
                finish(message, MessageStatus.failed, "outcome unknown: the worker stopped "
                        "during the send; not resent, to never send marketing twice", now)
                return None
        elif message.status != MessageStatus.ready.value:
            return None
        try:
            channel = channel_named(transport_for(message.channel, rt.channels), rt.channels)
            outgoing = _outgoing(own, message)
        except ValueError as exc:  # configuration, or a webhook endpoint gone
            if not last_attempt and not isinstance(exc, _Gone):
                raise RetryLater(str(exc)) from exc
            finish(message, MessageStatus.failed, str(exc), now)
            return None
        message.status, message.sending_at = MessageStatus.sending.value, now
        message.send_attempts += 1
        message.transport = channel.name
        message.message_id_header = outgoing.message_id_header
    return outgoing, channel


def resend_is_safe(message: Message) -> bool:
    if message.transport == "outbox" or message.channel == "webhook":
        return True
    return message.purpose == policy.Purpose.transactional.value


MARK_SENT = update(_MESSAGES).where(
    _MESSAGES.c.id == bindparam("message_id"),
    # Not IN (...): an expanding list is compiled again on every execution.
    or_(*(_MESSAGES.c.status == s.value
          for s in (MessageStatus.sending, MessageStatus.ready, MessageStatus.failed))),
).values(status=MessageStatus.sent.value, sent_at=bindparam("now"),
         transport=bindparam("transport"), provider_message_id=bindparam("provider_id"),
         status_reason=None, finished_at=None, updated_at=bindparam("now"))


def _mark_sent(own: Session, message_id: int, receipt: Receipt) -> None:
    own.connection().execute(MARK_SENT, mark_sent_values(message_id, receipt))


def mark_sent_values(message_id: int, receipt: Receipt) -> dict[str, Any]:
    return {"message_id": message_id, "now": utcnow(), "transport": receipt.transport,
            "provider_id": receipt.provider_id}


def after_failure(session: Session, message_id: int, exc: ChannelError,
                   last_attempt: bool) -> str:
    retry = exc.transient and not last_attempt
    with side_transaction(session) as own:
        message = own.get(Message, message_id)
        assert message is not None
        if retry and exc.maybe_sent:
            message.status_reason = f"outcome unknown, will decide on retry: {exc}"[:500]
        elif retry:
            message.status, message.status_reason = MessageStatus.ready.value, str(exc)[:500]
        else:
            reason = f"outcome unknown: {exc}" if exc.maybe_sent else str(exc)
            finish(message, MessageStatus.failed, reason, utcnow())
    if retry:
        raise RetryLater(str(exc)) from exc
    return "failed"


class _Gone(ValueError):
    pass


def _outgoing(session: Session, message: Message) -> Outgoing:
    if message.channel == "webhook":
        endpoint = session.get(WebhookEndpoint, message.payload.get("endpoint_id"))
        if endpoint is None or not endpoint.active:
            raise _Gone("webhook endpoint removed or disabled")
        current, *previous = signing_secrets(endpoint, now=utcnow())
        return Outgoing(message.id, message.store_id, "webhook", endpoint.url,
                        message.idempotency_key, payload=message.payload.get("body", {}),
                        signing_secret=current, previous_signing_secrets=tuple(previous))
    if not message.recipient:
        raise _Gone("no recipient")
    store = session.get(Store, message.store_id) if message.channel == "email" else None
    settings = sending_settings(session, store_id=message.store_id) if store else None
    return person_outgoing(SendRow.of(message), store, settings)


def person_outgoing(message: SendRow, store: Store | None,
                    settings: MessagingSettings | None) -> Outgoing:
    """An email or SMS with a recipient, as its channel takes it (an email needs its
    store and the store's sending settings)."""
    assert message.recipient is not None
    if message.channel == "sms":
        return Outgoing(message.id, message.store_id, "sms", message.recipient,
                        message.idempotency_key, text=message.body_text)
    assert store is not None and settings is not None
    return email_outgoing(message, store, settings)


def email_outgoing(message: SendRow, store: Store, settings: MessagingSettings) -> Outgoing:
    assert message.recipient is not None
    address = sender_address(settings, store)
    domain = address.rpartition("@")[2]
    digest = hashlib.sha256(f"{message.store_id}:{message.idempotency_key}".encode())
    headers = {}
    if message.purpose == policy.Purpose.marketing.value:
        links = runtime.current().links
        mailto = links.unsubscribe_mailto(message.id, f"unsubscribe@{domain}")
        headers["List-Unsubscribe"] = f"<{links.unsubscribe_url(message.id)}>, <{mailto}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return Outgoing(
        message.id, message.store_id, "email", message.recipient, message.idempotency_key,
        subject=message.subject, text=message.body_text, html=message.body_html,
        sender=_sender(settings.from_name or store.name, address),
        reply_to=settings.reply_to or store.support_email,
        message_id_header=f"<{digest.hexdigest()[:32]}@{domain}>", headers=headers)


@lru_cache(maxsize=256)
def _sender(name: str, address: str) -> str:
    # A header cannot carry a line break: a name typed with one is folded to spaces,
    # as the subject is (else building the message fails on every attempt).
    return formataddr((" ".join(name.split()), address))


def sender_address(settings: MessagingSettings, store: Store) -> str:
    """The store's own sender, else the SMTP URL's from=, else its support address,
    else no-reply at the public host."""
    smtp_url = runtime.current().channels.smtp_url
    smtp_from = parse_smtp_url(smtp_url).sender if smtp_url else None
    host = urlsplit(runtime.current().public_url).hostname or "localhost"
    return settings.from_email or smtp_from or store.support_email or f"no-reply@{host}"
