"""The append-only domain event log. A service records its event in the same
transaction as the state change it describes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple, cast

from sqlalchemy import BigInteger, ForeignKey, Index, String, Table
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from afterward.storage import bulk
from afterward.storage.db import Base
from afterward.storage.types import BigID, JSONType, UTCDateTime, utcnow


class EventName(StrEnum):
    order_created = "order.created"  # first time we hear of an order
    order_updated = "order.updated"  # totals, lines or addresses changed
    order_cancelled = "order.cancelled"
    order_refunded = "order.refunded"  # a refund, whole or partial
    customer_created = "customer.created"
    customer_updated = "customer.updated"
    customer_consent_changed = "customer.consent_changed"
    customer_account_opened = "customer.account_opened"  # customers.account_seen
    customer_erased = "customer.erased"  # personal data erased (privacy.py)
    product_created = "product.created"
    product_updated = "product.updated"
    shipment_created = "shipment.created"
    shipment_info_received = "shipment.info_received"
    shipment_in_transit = "shipment.in_transit"
    shipment_out_for_delivery = "shipment.out_for_delivery"
    shipment_available_for_pickup = "shipment.available_for_pickup"
    shipment_failed_attempt = "shipment.failed_attempt"
    shipment_delivered = "shipment.delivered"
    shipment_exception = "shipment.exception"
    shipment_returned_to_sender = "shipment.returned_to_sender"
    shipment_cancelled = "shipment.cancelled"
    shipment_expired = "shipment.expired"
    shipment_delayed = "shipment.delayed"
    shipment_stalled = "shipment.stalled"


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_store_subject", "store_id", "subject_type", "subject_id"),
        Index("ix_events_store_id", "store_id", "id"),
        # PostgreSQL only: consumers read in (txid, id) order (journeys/consumer.py).
        Index("ix_events_store_txid", "store_id", "txid", "id").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(BigID)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # PostgreSQL: the writing transaction's id, filled by the column's server default
    # (migration 0007); empty on SQLite, where commit order is id order.
    txid: Mapped[int | None] = mapped_column(BigInteger)


_EVENTS = cast(Table, Event.__table__)


class NewEvent(NamedTuple):
    """An event to record with `record_many`."""

    name: EventName | str
    subject_type: str
    subject_id: int
    payload: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime | None = None  # None: record_many's (a history written later)


def record(
    session: Session,
    *,
    store_id: int,
    name: EventName | str,
    subject_type: str,
    subject_id: int,
    payload: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> None:
    """Append one event in the caller's transaction."""
    now = utcnow()
    record_many(session, store_id=store_id, events=[
        NewEvent(name, subject_type, subject_id, payload or {}, occurred_at or now)],
        recorded_at=now)


def record_many(session: Session | Connection, *, store_id: int, events: Sequence[NewEvent],
                recorded_at: datetime | None = None) -> None:
    """Append the events, in this order, in the caller's transaction (storage/bulk.py):
    how every path writes events, one or a whole import's."""
    now = recorded_at or utcnow()
    bulk.insert_values(session, _EVENTS, _COLUMNS, [
        (store_id, str(e.name), e.subject_type, e.subject_id, e.payload, e.occurred_at,
         e.recorded_at or now) for e in events])


_COLUMNS = ("store_id", "name", "subject_type", "subject_id", "payload", "occurred_at",
            "recorded_at")
