"""Messaging use cases: queue a message (once per idempotency key), outbound
webhook endpoints and events, a store's sending settings, the suppression list,
and what comes back (opens, clicks, unsubscribes, bounces, complaints).
Takes a session, never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from afterward import jobs, outbound
from afterward.commerce import service as commerce
from afterward.commerce import validation
from afterward.commerce.models import Customer, Order
from afterward.commerce.validation import InvalidValue
from afterward.messaging.endpoints import (  # noqa: F401  (use cases of this module)
    add_webhook_endpoint,
    get_endpoint,
    put_webhook_endpoint,
    rotate_webhook_secret,
)
from afterward.messaging.facts import address_key
from afterward.messaging.models import (
    STATUS_RANK,
    SUPPRESSION_REASONS,
    Message,
    MessageStatus,
    MessagingSettings,
    Suppression,
    WebhookEndpoint,
)
from afterward.messaging.policy import Purpose
from afterward.messaging.tokens import CLICK, OPEN, UNSUBSCRIBE, LinkSigner
from afterward.storage.types import utcnow
from afterward.tracking.models import Shipment

PREPARE_JOB = "messaging.prepare"
SEND_JOB = "messaging.send"
# Another module's event for the outbound webhooks (payload: event_type, event_id,
# data): what afterward/outbound.py queues for modules that may not import messaging.
PUBLISH_WEBHOOK_JOB = outbound.PUBLISH_JOB
# The send step for many messages prepared together: one job, not one per message
# (each job is a row inserted, claimed and marked done). A message in it that must be
# tried again gets a SEND_JOB of its own, with backoff.
SEND_BATCH_JOB = "messaging.send_batch"
# With the jobs table's backoff (2 s doubling, capped at an hour) 16 attempts span
# about five hours: an SMTP server down for an afternoon loses nothing.
SEND_MAX_ATTEMPTS = 16
PERSON_CHANNELS = ("email", "sms")


def by_key(session: Session, *, store_id: int, idempotency_key: str) -> Message | None:
    return session.scalar(select(Message).where(
        Message.store_id == store_id, Message.idempotency_key == idempotency_key))


def get_message(session: Session, *, store_id: int, message_id: int) -> Message | None:
    return session.scalar(select(Message).where(
        Message.store_id == store_id, Message.id == message_id))


def list_messages(session: Session, *, store_id: int, status: str | None = None,
                  customer_id: int | None = None, limit: int = 50,
                  before_id: int | None = None) -> list[Message]:
    stmt = select(Message).where(Message.store_id == store_id)
    if status:
        stmt = stmt.where(Message.status == status)
    if customer_id is not None:
        stmt = stmt.where(Message.customer_id == customer_id)
    if before_id is not None:
        stmt = stmt.where(Message.id < before_id)
    return list(session.scalars(stmt.order_by(Message.id.desc()).limit(limit)))


def queue_message(
    session: Session, *, store_id: int, channel: str, purpose: str, category: str,
    idempotency_key: str, template_key: str, customer_id: int | None = None,
    recipient: str | None = None, refs: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None, send_after: datetime | None = None,
    locale: str | None = None, enrolment_id: int | None = None, step_key: str | None = None,
) -> Message:
    """Create the message once per idempotency key (a second call returns the first
    message and queues nothing), then queue its prepare step for `send_after`. A call
    that is wrong in itself is refused even when its key was used before."""
    if channel not in PERSON_CHANNELS:
        raise InvalidValue("channel", f"channel must be one of {', '.join(PERSON_CHANNELS)}")
    if purpose not in Purpose.__members__:
        raise InvalidValue("purpose", "purpose must be transactional or marketing")
    if not idempotency_key or len(idempotency_key) > 200:
        raise InvalidValue("idempotency_key", "an idempotency key is 1-200 characters")
    if send_after is not None and send_after.utcoffset() is None:
        raise InvalidValue("send_after", "send_after needs a time zone, e.g. 2026-03-01T10:00Z")
    if locale is not None:
        locale = validation.locale_tag(locale)
    if recipient is not None:
        recipient = (validation.email_address(recipient, "recipient") if channel == "email"
                     else validation.phone_e164(recipient, "recipient"))
    existing = by_key(session, store_id=store_id, idempotency_key=idempotency_key)
    if existing is not None:
        return existing
    refs = refs or {}
    _check_references(session, store_id, {"customer_id": customer_id,
                                          "order_id": refs.get("order_id"),
                                          "shipment_id": refs.get("shipment_id")})
    if customer_id is None and recipient is None and not refs.get("order_id"):
        raise InvalidValue("recipient", "a message needs a customer, an order or a recipient")
    message = Message(
        store_id=store_id, customer_id=customer_id, channel=channel, purpose=purpose,
        category=category[:64], template_key=template_key, idempotency_key=idempotency_key,
        recipient=recipient, locale=locale, enrolment_id=enrolment_id, step_key=step_key,
        payload={"refs": refs or {}, "data": data or {}}, status=MessageStatus.queued.value,
        send_after=send_after or utcnow(),
    )
    return _insert_once(session, message)


_REFERENCED: dict[str, type[Customer | Order | Shipment]] = {
    "customer_id": Customer, "order_id": Order, "shipment_id": Shipment}


def _check_references(session: Session, store_id: int, ids: dict[str, Any]) -> None:
    """Each id given names a row of the store (one query for all, reading no row)."""
    given = [(name, int(row_id)) for name, row_id in ids.items() if row_id is not None]
    if not given:
        return
    model = _REFERENCED
    found = session.execute(select(*(
        exists().where(model[name].id == row_id, model[name].store_id == store_id)
        for name, row_id in given))).one()
    for (name, _), present in zip(given, found, strict=True):
        if not present:
            raise validation.UnknownReference(name, f"no such {name[:-3]} in this store")


def _insert_once(session: Session, message: Message) -> Message:
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:
        # Someone inserted the same key between our look-up and our insert.
        existing = by_key(session, store_id=message.store_id,
                          idempotency_key=message.idempotency_key)
        if existing is None:
            raise
        return existing
    jobs.enqueue(session, PREPARE_JOB, {"message_id": message.id}, store_id=message.store_id,
                 run_at=message.send_after, max_attempts=SEND_MAX_ATTEMPTS)
    return message


# --- outbound webhooks ----------------------------------------------------------------

def queue_webhook_event(session: Session, *, store_id: int, event_type: str, event_id: str,
                        data: dict[str, Any]) -> list[Message]:
    """One delivery per subscribed endpoint, once per (endpoint, event id)."""
    endpoints = session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.store_id == store_id, WebhookEndpoint.active.is_(True)
    ).order_by(WebhookEndpoint.id))
    out = []
    for endpoint in endpoints:
        if endpoint.events and event_type not in endpoint.events:
            continue
        key = f"webhook:{endpoint.id}:{event_id}"
        existing = by_key(session, store_id=store_id, idempotency_key=key)
        if existing is not None:
            out.append(existing)
            continue
        body = {"id": event_id, "type": event_type, "created": utcnow().isoformat(),
                "data": data}
        out.append(_insert_once(session, Message(
            store_id=store_id, channel="webhook", purpose=Purpose.transactional.value,
            category=event_type[:64], idempotency_key=key, recipient=endpoint.url,
            payload={"endpoint_id": endpoint.id, "body": body},
            status=MessageStatus.queued.value, send_after=utcnow())))
    return out


# --- settings ------------------------------------------------------------------------

def sending_settings(session: Session, *, store_id: int) -> MessagingSettings:
    """The store's row, or the defaults (not added to the session)."""
    row = session.get(MessagingSettings, store_id)
    if row is not None:
        return row
    return MessagingSettings(store_id=store_id, quiet_start="21:00", quiet_end="08:00",
                             marketing_budget=3, budget_days=7, track_opens=True,
                             track_clicks=True)


def update_sending_settings(session: Session, *, store_id: int, **changes: Any
                            ) -> MessagingSettings:
    allowed = {"from_email", "from_name", "reply_to", "quiet_start", "quiet_end",
               "marketing_budget", "budget_days", "track_opens", "track_clicks"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidValue(sorted(unknown)[0], "not a messaging setting")
    for name in ("quiet_start", "quiet_end"):
        if name in changes:
            changes[name] = validation.clock_time(changes[name], name)
    for name in ("from_email", "reply_to"):
        if changes.get(name):
            changes[name] = validation.email_address(changes[name], name)
    if changes.get("marketing_budget", 0) < 0:
        raise InvalidValue("marketing_budget", "the budget is 0 or more messages")
    if changes.get("budget_days", 1) < 1:
        raise InvalidValue("budget_days", "the budget period is at least one day")
    row = session.get(MessagingSettings, store_id)
    if row is None:
        row = sending_settings(session, store_id=store_id)
        session.add(row)
    for name, value in changes.items():
        setattr(row, name, value)
    session.flush()
    return row



# --- suppression list ----------------------------------------------------------------

def suppress(session: Session, *, store_id: int, channel: str, address: str, reason: str,
             message_id: int | None = None, detail: str | None = None) -> bool:
    """Add an address to the list; False when it is already there for that reason."""
    if reason not in SUPPRESSION_REASONS:
        raise InvalidValue("reason", f"reason must be one of {', '.join(SUPPRESSION_REASONS)}")
    key = address_key(channel, address)
    found = session.scalar(select(Suppression.id).where(
        Suppression.store_id == store_id, Suppression.channel == channel,
        Suppression.address == key, Suppression.reason == reason))
    if found is not None:
        return False
    session.add(Suppression(store_id=store_id, channel=channel, address=key, reason=reason,
                            message_id=message_id, detail=(detail or "")[:500] or None))
    session.flush()
    return True


def unsuppress(session: Session, *, store_id: int, channel: str, address: str,
               reason: str | None = None) -> int:
    stmt = delete(Suppression).where(Suppression.store_id == store_id,
                                     Suppression.channel == channel,
                                     Suppression.address == address_key(channel, address))
    if reason:
        stmt = stmt.where(Suppression.reason == reason)
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


# --- what comes back -----------------------------------------------------------------

def advance(message: Message, status: MessageStatus, at: datetime | None = None) -> None:
    """Engagement moves a sent message forward, never back."""
    at = at or utcnow()
    stamp = {MessageStatus.delivered: "delivered_at", MessageStatus.opened: "opened_at",
             MessageStatus.clicked: "clicked_at"}[status]
    if getattr(message, stamp) is None:
        setattr(message, stamp, at)
    current = MessageStatus(message.status)
    if current in STATUS_RANK and STATUS_RANK[status] > STATUS_RANK[current]:
        message.status = status.value


def record_delivery(session: Session, *, store_id: int, message_id: int) -> Message | None:
    message = get_message(session, store_id=store_id, message_id=message_id)
    if message is not None:
        advance(message, MessageStatus.delivered)
    return message


def record_open(session: Session, *, token: str, links: LinkSigner) -> Message | None:
    message_id, _ = links.read(OPEN, token)
    message = session.get(Message, message_id, with_for_update=True)  # counts add up
    if message is not None:
        message.open_count += 1
        advance(message, MessageStatus.opened)
    return message


def record_click(session: Session, *, token: str, links: LinkSigner) -> str:
    """Returns where to redirect. The URL comes from the signed token, so the
    redirect cannot be pointed anywhere else (no open redirect)."""
    message_id, target = links.read(CLICK, token)
    message = session.get(Message, message_id, with_for_update=True)  # counts add up
    if message is not None:
        message.click_count += 1
        advance(message, MessageStatus.opened)
        advance(message, MessageStatus.clicked)
    return target or "/"


def unsubscribe(session: Session, *, token: str, links: LinkSigner) -> Message | None:
    """One-click unsubscribe (RFC 8058): marketing consent off for that channel and the
    address on the suppression list, whoever the address belongs to now."""
    message_id, _ = links.read(UNSUBSCRIBE, token)
    message = session.get(Message, message_id)
    if message is None or not message.recipient:
        return None
    _stop_marketing(session, message, reason="unsubscribe", source="unsubscribe")
    return message


def record_bounce(session: Session, *, store_id: int, message_id: int, permanent: bool,
                  detail: str | None = None) -> Message | None:
    message = get_message(session, store_id=store_id, message_id=message_id)
    if message is None:
        return None
    message.status = MessageStatus.bounced.value
    message.bounced_at = utcnow()
    message.status_reason = (detail or ("hard bounce" if permanent else "soft bounce"))[:500]
    if permanent and message.recipient:
        suppress(session, store_id=store_id, channel=message.channel,
                 address=message.recipient, reason="hard_bounce", message_id=message.id,
                 detail=detail)
    return message


def record_complaint(session: Session, *, store_id: int, message_id: int) -> Message | None:
    message = get_message(session, store_id=store_id, message_id=message_id)
    if message is not None and message.recipient:
        _stop_marketing(session, message, reason="complaint", source="complaint")
    return message


def _stop_marketing(session: Session, message: Message, *, reason: str, source: str) -> None:
    assert message.recipient is not None
    suppress(session, store_id=message.store_id, channel=message.channel,
             address=message.recipient, reason=reason, message_id=message.id)
    if message.customer_id is not None and message.channel in PERSON_CHANNELS:
        commerce.set_consent(session, store_id=message.store_id, customer_id=message.customer_id,
                             channel=message.channel, purpose=Purpose.marketing.value,
                             granted=False, source=source)


# --- provider reports (delivery status callbacks, bounce and complaint webhooks) -------

def by_provider_id(session: Session, *, store_id: int, channel: str,
                   provider_message_id: str) -> Message | None:
    return session.scalar(select(Message).where(
        Message.store_id == store_id, Message.channel == channel,
        Message.provider_message_id == provider_message_id).limit(1))


def by_message_id_header(session: Session, *, store_id: int, header: str) -> Message | None:
    value = header.strip()
    if value and not value.startswith("<"):
        value = f"<{value}>"
    return session.scalar(select(Message).where(
        Message.store_id == store_id, Message.message_id_header == value).limit(1))


def record_failure(session: Session, *, store_id: int, message_id: int, detail: str,
                   permanent: bool) -> Message | None:
    """The provider could not send it at all; a permanent cause (no such number, a
    landline) lists the address so nothing more is tried there."""
    message = get_message(session, store_id=store_id, message_id=message_id)
    if message is None:
        return None
    now = utcnow()
    message.status, message.status_reason = MessageStatus.failed.value, detail[:500]
    message.finished_at = message.finished_at or now
    if permanent and message.recipient:
        suppress(session, store_id=store_id, channel=message.channel, address=message.recipient,
                 reason="hard_bounce", message_id=message.id, detail=detail)
    return message


def record_opt_out(session: Session, *, store_id: int, message_id: int,
                   source: str) -> Message | None:
    """The recipient opted out at the provider (an SMS 'STOP'): as an unsubscribe."""
    message = get_message(session, store_id=store_id, message_id=message_id)
    if message is not None and message.recipient:
        _stop_marketing(session, message, reason="unsubscribe", source=source)
    return message
