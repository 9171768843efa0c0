"""Messaging tables: templates (versioned), the message log, the suppression list,
the outbox, outbound webhook endpoints and each store's sending settings."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, NamedTuple

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from afterward.storage.db import Base
from afterward.storage.types import BigID, JSONType, UTCDateTime, utcnow


class MessageStatus(StrEnum):
    queued = "queued"  # created; waiting for its send time and the policy
    ready = "ready"  # policy passed, rendered and stored; waiting for the send job
    sending = "sending"  # handed to the channel; outcome not yet recorded
    sent = "sent"  # the channel accepted it
    delivered = "delivered"  # the provider reported delivery
    opened = "opened"
    clicked = "clicked"
    bounced = "bounced"
    failed = "failed"  # will not be sent; status_reason says why
    suppressed = "suppressed"  # the policy said no; status_reason says why


class SendRow(NamedTuple):
    """A message as the send step reads it: the columns an email is made of, and
    what decides whether it is one to send now."""

    id: int
    store_id: int
    channel: str
    status: str
    recipient: str | None
    idempotency_key: str
    purpose: str
    subject: str | None
    body_text: str | None
    body_html: str | None

    @classmethod
    def of(cls, message: Message | Draft) -> SendRow:
        """From a `Message`, or a message being prepared."""
        return cls(message.id, message.store_id, message.channel, message.status,
                   message.recipient, message.idempotency_key, message.purpose,
                   message.subject, message.body_text, message.body_html)


@dataclass(slots=True)
class Draft:
    """A queued message as the prepare step reads and changes it: a plain object, read
    and written back with one statement per batch (preparing.py), not an ORM row."""

    id: int
    store_id: int
    customer_id: int | None
    channel: str
    purpose: str
    category: str
    template_key: str | None
    template_id: int | None
    locale: str | None
    idempotency_key: str
    recipient: str | None
    payload: dict[str, Any]
    status: str
    status_reason: str | None
    send_after: datetime
    subject: str | None = None
    body_text: str | None = None
    body_html: str | None = None
    segments: int | None = None
    approved_at: datetime | None = None
    finished_at: datetime | None = None

    # The columns a draft is read from: its fields without a default, in their order
    # (set below the class).
    READ: ClassVar[tuple[str, ...]] = ()
    # The columns the prepare step writes back.
    WRITTEN: ClassVar[tuple[str, ...]] = (
        "recipient", "subject", "segments", "locale", "template_id", "status",
        "status_reason", "approved_at", "finished_at", "send_after")


Draft.READ = tuple(f.name for f in fields(Draft) if f.default is MISSING)


# Engagement only moves forward: a late "delivered" never hides an "opened".
STATUS_RANK = {
    MessageStatus.sent: 1,
    MessageStatus.delivered: 2,
    MessageStatus.opened: 3,
    MessageStatus.clicked: 4,
}

CHANNELS = ("email", "sms", "webhook")
PURPOSES = ("transactional", "marketing")
SUPPRESSION_REASONS = ("hard_bounce", "complaint", "unsubscribe", "manual")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class MessageTemplate(Base):
    """One version of a store's template for a (key, channel, locale); the highest
    version is the live one. Messages keep the id of the version they used."""

    __tablename__ = "message_templates"
    __table_args__ = (
        UniqueConstraint("store_id", "key", "channel", "locale", "version",
                         name="uq_message_templates_version"),
        CheckConstraint("channel IN ('email', 'sms')", name="message_template_channel"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str | None] = mapped_column(String(998))
    body: Mapped[str] = mapped_column(Text)  # MJML for email, plain text for SMS
    text_body: Mapped[str | None] = mapped_column(Text)  # email text part; derived if empty
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("store_id", "idempotency_key", name="uq_messages_idempotency"),
        # On PostgreSQL no index names a column a message's state changes write
        # (status, approved_at, ...): those updates stay heap-only, with the room
        # fillfactor 70 leaves on each page (migration 0009). SQLite has no such
        # updates, and keeps its status index for the admin's status filter.
        Index("ix_messages_budget", "customer_id", "purpose"),
        Index("ix_messages_store_created", "store_id", "created_at"),
        Index("ix_messages_store_status", "store_id", "status").ddl_if(dialect="sqlite"),
        CheckConstraint(_in("channel", CHANNELS), name="message_channel"),
        CheckConstraint(_in("purpose", PURPOSES), name="message_purpose"),
        CheckConstraint(_in("status", tuple(s.value for s in MessageStatus)),
                        name="message_status"),
        {"postgresql_with": {"fillfactor": 70}},
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    transport: Mapped[str | None] = mapped_column(String(16))  # which channel module sent it
    purpose: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(64))  # e.g. order_confirmation, review_request
    template_key: Mapped[str | None] = mapped_column(String(64))
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("message_templates.id", ondelete="SET NULL"))
    locale: Mapped[str | None] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    enrolment_id: Mapped[int | None] = mapped_column(BigInteger)
    step_key: Mapped[str | None] = mapped_column(String(64))
    recipient: Mapped[str | None] = mapped_column(String(500))
    subject: Mapped[str | None] = mapped_column(String(998))
    # refs (order_id, shipment_id...), data for the template, or the webhook body.
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    segments: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.queued.value)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    message_id_header: Mapped[str | None] = mapped_column(String(200))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    send_attempts: Mapped[int] = mapped_column(Integer, default=0)
    open_count: Mapped[int] = mapped_column(Integer, default=0)
    click_count: Mapped[int] = mapped_column(Integer, default=0)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # policy said yes
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # failed or suppressed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Loaded when asked for (the admin's message view, the API's detail): the hot
    # paths write and read message_bodies with statements of their own.
    body: Mapped[MessageBody | None] = relationship(lazy="select", passive_deletes=True)

    @property
    def body_text(self) -> str | None:
        return self.body.body_text if self.body is not None else None

    @body_text.setter
    def body_text(self, value: str | None) -> None:
        self._own_body().body_text = value

    @property
    def body_html(self) -> str | None:
        return self.body.body_html if self.body is not None else None

    @body_html.setter
    def body_html(self, value: str | None) -> None:
        self._own_body().body_html = value

    def _own_body(self) -> MessageBody:
        if self.body is None:
            if self.store_id is None:
                raise ValueError("a message's store comes before its body")
            self.body = MessageBody(store_id=self.store_id)
        return self.body


class MessageBody(Base):
    """A message's rendered text and HTML, in a row apart from the message's own. The
    message row changes three times after it is rendered (ready, sending, sent), and
    SQLite rewrites a whole record, overflow pages and all, at each change; here the
    ~10 KB of content is written once and the three changes rewrite ~300 bytes."""

    __tablename__ = "message_bodies"

    message_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)


class Suppression(Base):
    """An address we must not write to. Hard bounces and manual entries stop every
    message; complaints and unsubscribes stop marketing only."""

    __tablename__ = "message_suppressions"
    __table_args__ = (
        UniqueConstraint("store_id", "channel", "address", "reason",
                         name="uq_message_suppressions"),
        CheckConstraint(_in("reason", SUPPRESSION_REASONS), name="suppression_reason"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    detail: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxEntry(Base):
    """A rendered message kept in the database instead of leaving the machine."""

    __tablename__ = "message_outbox"
    __table_args__ = (Index("ix_message_outbox_store", "store_id", "id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str | None] = mapped_column(String(500))
    subject: Mapped[str | None] = mapped_column(String(998))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    # After a rotation the replaced secret signs deliveries too, until it expires.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    events: Mapped[list[str]] = mapped_column(JSONType, default=list)  # empty: every event
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MessagingSettings(Base):
    """A store's sender identity, quiet hours and contact budget (defaults when absent)."""

    __tablename__ = "messaging_settings"
    __table_args__ = (
        CheckConstraint("marketing_budget >= 0", name="messaging_budget_nonnegative"),
        CheckConstraint("budget_days > 0", name="messaging_budget_days_positive"),
    )

    store_id: Mapped[int] = mapped_column(
        ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    from_email: Mapped[str | None] = mapped_column(String(320))
    from_name: Mapped[str | None] = mapped_column(String(200))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    quiet_start: Mapped[str] = mapped_column(String(5), default="21:00")
    quiet_end: Mapped[str] = mapped_column(String(5), default="08:00")
    marketing_budget: Mapped[int] = mapped_column(Integer, default=3)
    budget_days: Mapped[int] = mapped_column(Integer, default=7)
    track_opens: Mapped[bool] = mapped_column(Boolean, default=True)
    track_clicks: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
