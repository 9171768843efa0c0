"""Conversations with the assistant and their messages. A conversation belongs to one
store and sees at most one order (the one it was opened from, or looked up with two
facts); `public_id` (192 random bits) is the `conversation_id` shoppers and integrators
hold. A message's `client_id` makes a retried POST land once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from afterward.storage.db import Base
from afterward.storage.types import BigID, JSONType, UTCDateTime, utcnow

CHANNELS = ("widget", "api")
STATUSES = ("bot", "open", "assigned", "closed")
AUTHORS = ("shopper", "bot", "agent")


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("public_id", name="uq_conversations_public_id"),
        Index("ix_conversations_store_status", "store_id", "status", "updated_at"),
        Index("ix_conversations_store_customer", "store_id", "customer_id"),
        CheckConstraint("channel IN ('widget', 'api')", name="conversation_channel"),
        CheckConstraint("status IN ('bot', 'open', 'assigned', 'closed')",
                        name="conversation_status"),
        CheckConstraint("csat_score IS NULL OR (csat_score >= 1 AND csat_score <= 5)",
                        name="conversation_csat"),
        CheckConstraint("others_in_row >= 0", name="conversation_others_in_row"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    public_id: Mapped[str] = mapped_column(String(43))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    shipment_id: Mapped[int | None] = mapped_column(
        ForeignKey("shipments.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8), default="bot")
    assignee: Mapped[str | None] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(16), default="en")
    handoff_reason: Mapped[str | None] = mapped_column(String(32))
    others_in_row: Mapped[int] = mapped_column(Integer, default=0)
    # The action the assistant proposed and waits to be confirmed: {"id", "kind", ...}.
    pending_action: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    csat_score: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConversationMessage(Base):
    __tablename__ = "conversation_messages"
    __table_args__ = (
        UniqueConstraint("store_id", "client_id", name="uq_conversation_messages_client"),
        Index("ix_conversation_messages_conversation", "conversation_id", "id"),
        CheckConstraint("author IN ('shopper', 'bot', 'agent')", name="conversation_author"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(8))
    author_name: Mapped[str | None] = mapped_column(String(320))  # an agent's sign-in
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[float | None] = mapped_column(Float)
    # A shopper's message: the id its client gave (a retry carries the same one).
    client_id: Mapped[str | None] = mapped_column(String(64))
    # A bot's answer: the shopper message it answers, its actions and whether it handed off.
    reply_to_id: Mapped[int | None] = mapped_column(BigID)
    actions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    handoff: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
