"""Journey tables: journeys and their saved versions, enrolments with their step
history, and the durable cursors of event consumers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from afterward.storage.db import Base
from afterward.storage.types import BigID, JSONType, UTCDateTime, utcnow


class EnrolmentStatus(StrEnum):
    active = "active"  # in the journey: waiting for its next step
    completed = "completed"  # ran to the end
    exited = "exited"  # left early: exit_reason says why (an exit event, a holdout...)


class Journey(Base):
    __tablename__ = "journeys"
    __table_args__ = (UniqueConstraint("store_id", "key", name="uq_journeys_store_key"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)  # the latest saved
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    # Only events after this one enrol (no journey replays the history before it was on).
    enabled_after_event_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class JourneyVersion(Base):
    """A saved definition; never changed. Enrolments keep the version they started with."""

    __tablename__ = "journey_versions"
    __table_args__ = (
        UniqueConstraint("journey_id", "version", name="uq_journey_versions"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Enrolment(Base):
    __tablename__ = "journey_enrolments"
    __table_args__ = (
        # One active enrolment per journey and entry (customer or subject): the key is
        # set while active and cleared when the enrolment ends.
        UniqueConstraint("journey_id", "active_key", name="uq_journey_enrolments_active"),
        UniqueConstraint("journey_id", "trigger_event_id", name="uq_journey_enrolments_trigger"),
        CheckConstraint("status IN ('active', 'completed', 'exited')",
                        name="journey_enrolment_status"),
        CheckConstraint("holdout_group IS NULL OR holdout_group IN ('control', 'treatment')",
                        name="journey_enrolment_group"),
        Index("ix_journey_enrolments_store_status", "store_id", "status"),
        Index("ix_journey_enrolments_entry", "journey_id", "entry_key"),
        Index("ix_journey_enrolments_customer", "store_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("journey_versions.id",
                                                       ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    shipment_id: Mapped[int | None] = mapped_column(
        ForeignKey("shipments.id", ondelete="SET NULL"))
    trigger_event_id: Mapped[int] = mapped_column(BigInteger)
    entry_key: Mapped[str] = mapped_column(String(100))
    active_key: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default=EnrolmentStatus.active.value)
    exit_reason: Mapped[str | None] = mapped_column(String(200))
    holdout_group: Mapped[str | None] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waiting_event: Mapped[str | None] = mapped_column(String(100))
    # Bumped each time a step job is queued; a job carrying an older number is stale.
    seq: Mapped[int] = mapped_column(Integer, default=0)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EnrolmentStep(Base):
    """What happened to an enrolment, one row per step taken (append-only)."""

    __tablename__ = "journey_enrolment_steps"
    __table_args__ = (Index("ix_journey_enrolment_steps_enrolment", "enrolment_id", "id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("journey_enrolments.id", ondelete="CASCADE"))
    step_key: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
