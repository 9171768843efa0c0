"""Tables behind carrier polling: one row per polled shipment, and one shared
request budget per carrier API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
from sqlalchemy.orm import Mapped, mapped_column

from afterward.storage.db import Base
from afterward.storage.types import BigID, JSONType, UTCDateTime, utcnow


class CarrierPoll(Base):
    """When a shipment is asked about next, through which adapter, and how it went.
    `generation` grows whenever a round is claimed or rescheduled; a round's job
    carries the generation it was made for, so a stale or duplicate job does nothing."""

    __tablename__ = "carrier_polls"
    __table_args__ = (
        UniqueConstraint("shipment_id"),
        Index("ix_carrier_polls_due", "active", "next_poll_at"),
        Index("ix_carrier_polls_store", "store_id"),
        CheckConstraint("failures >= 0", name="ck_carrier_polls_failures"),
        CheckConstraint("generation >= 0", name="ck_carrier_polls_generation"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    adapter: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    next_poll_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A rate-limit slot already reserved for the next round (it must not take another).
    slot_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive
    polls: Mapped[int] = mapped_column(Integer, default=0)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    stopped_reason: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CarrierRateLimit(Base):
    """A carrier API's request budget, shared by every worker on every machine.
    GCRA, a token bucket kept as one number: `tat_us` is the theoretical arrival
    time of the next request in microseconds since the epoch (integers, so the
    conditional UPDATE does its arithmetic the same way on SQLite and PostgreSQL)."""

    __tablename__ = "carrier_rate_limits"

    adapter: Mapped[str] = mapped_column(String(32), primary_key=True)
    tat_us: Mapped[int] = mapped_column(BigInteger, default=0)
