"""Inbound webhook receipts: one row per distinct delivery, for idempotency."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from afterward.storage.db import Base
from afterward.storage.types import BigID, JSONType, UTCDateTime, utcnow


class WebhookReceipt(Base):
    __tablename__ = "webhook_receipts"
    __table_args__ = (UniqueConstraint("store_id", "provider", "delivery_key"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(64))
    # sha256 of the raw body: the same body twice is the same delivery.
    delivery_key: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HeldDelivery(Base):
    """A delivery that arrived before what it refers to (a fulfillment before its
    order); replayed when the order arrives, so nothing is dropped."""

    __tablename__ = "held_deliveries"
    __table_args__ = (UniqueConstraint("store_id", "provider", "delivery_key"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(64))
    waiting_for: Mapped[str] = mapped_column(String(100), index=True)
    delivery_key: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict] = mapped_column(JSONType)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
