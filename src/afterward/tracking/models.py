"""Shipments (parcels) and their carrier events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from afterward.storage.db import Base
from afterward.storage.types import BigID, JSONType, UTCDateTime, utcnow


class Shipment(Base):
    __tablename__ = "shipments"
    __table_args__ = (
        UniqueConstraint("token"),
        Index("ix_shipments_store_tracking", "store_id", "tracking_number"),
        Index("ix_shipments_store_order", "store_id", "order_id"),
        Index("ix_shipments_store_external", "store_id", "external_id"),
        Index("ix_shipments_store_status", "store_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    external_id: Mapped[str | None] = mapped_column(String(100))
    direction: Mapped[str] = mapped_column(String(8), default="outbound")
    carrier: Mapped[str | None] = mapped_column(String(32))
    service: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(String(43))
    status: Mapped[str] = mapped_column(String(24), default="pending")
    substatus: Mapped[str | None] = mapped_column(String(64))
    provider_status: Mapped[str | None] = mapped_column(String(100))
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_location: Mapped[str | None] = mapped_column(String(200))
    last_message: Mapped[str | None] = mapped_column(String(500))
    # The carrier's own delivery estimate, from the delivery that carried the latest event.
    carrier_estimated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by: Mapped[str | None] = mapped_column(String(100))
    exception_reason: Mapped[str | None] = mapped_column(String(300))
    origin_region: Mapped[str | None] = mapped_column(String(64))
    destination_region: Mapped[str | None] = mapped_column(String(64))
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The promise to the shopper: set from the first window, never moved later on its own.
    promised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The delivery-date model's window after the latest event (tracking/eta.py), the
    # fallback level it came from, and the verdicts: delayed (the window ended after the
    # promised day, tracking/lateness.py: `shipment.delayed` was recorded) and stalled
    # (no scan for longer than the carrier allows), each set once.
    eta_earliest: Mapped[datetime | None] = mapped_column(UTCDateTime)
    eta_likely: Mapped[datetime | None] = mapped_column(UTCDateTime)
    eta_latest: Mapped[datetime | None] = mapped_column(UTCDateTime)
    eta_level: Mapped[str | None] = mapped_column(String(32))
    delayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    events: Mapped[list[TrackingEvent]] = relationship(
        back_populates="shipment",
        cascade="all, delete-orphan",
        order_by="TrackingEvent.occurred_at",
        lazy="selectin",
    )
    lines: Mapped[list[ShipmentLine]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class ShipmentLine(Base):
    """Which order lines (and how many) travel in a parcel."""

    __tablename__ = "shipment_lines"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shipments.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(default=1)


class TrackingEvent(Base):
    __tablename__ = "tracking_events"
    __table_args__ = (
        UniqueConstraint("shipment_id", "dedupe_key"),
        Index("ix_tracking_events_shipment_time", "shipment_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(24))
    substatus: Mapped[str | None] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(32), default="manual")
    provider_status: Mapped[str | None] = mapped_column(String(100))
    message: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(200))
    signed_by: Mapped[str | None] = mapped_column(String(100))
    dedupe_key: Mapped[str] = mapped_column(String(64))
    raw: Mapped[dict | None] = mapped_column(JSONType)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    shipment: Mapped[Shipment] = relationship(back_populates="events")


class UnknownCarrierStatus(Base):
    """A provider status we have no mapping for: its events are kept (shown at the
    closest stage, substatus "unknown:<status>") and counted here, so someone can
    add the mapping."""

    __tablename__ = "unknown_carrier_statuses"
    __table_args__ = (
        UniqueConstraint("store_id", "provider", "provider_status"),
        CheckConstraint("occurrences >= 1", name="ck_unknown_carrier_statuses_occurrences"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(32))
    provider_status: Mapped[str] = mapped_column(String(100))
    closest_status: Mapped[str] = mapped_column(String(24))
    occurrences: Mapped[int] = mapped_column(default=1)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
