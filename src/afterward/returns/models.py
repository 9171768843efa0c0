"""Returns (RMAs) and their lines, the quantities each order line has had claimed,
refund requests, and store credit: an append-only ledger with a balance per customer."""

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
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from afterward.storage.db import Base
from afterward.storage.types import BigID, JSONType, UTCDateTime, utcnow

STATUSES = ("requested", "approved", "label_issued", "in_transit", "rejected", "received",
            "resolved")
LABEL_STATUSES = ("pending", "issued", "failed")  # a carrier's label (None: our own PDF)
RESOLUTIONS = ("refund", "store_credit", "exchange", "keep")


class ReturnPolicyRow(Base):
    """A store's policy document (returns/policy.py); no row: the defaults."""

    __tablename__ = "return_policies"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Return(Base):
    __tablename__ = "returns"
    __table_args__ = (
        UniqueConstraint("store_id", "number", name="uq_returns_store_number"),
        UniqueConstraint("store_id", "idempotency_key", name="uq_returns_store_key"),
        UniqueConstraint("label_token", name="uq_returns_label_token"),
        Index("ix_returns_store_order", "store_id", "order_id"),
        Index("ix_returns_store_customer", "store_id", "customer_id"),
        Index("ix_returns_store_status", "store_id", "status"),
        Index("ix_returns_inbound_shipment", "inbound_shipment_id"),
        CheckConstraint("status IN ('requested', 'approved', 'label_issued', 'in_transit', "
                        "'rejected', 'received', 'resolved')", name="return_status"),
        CheckConstraint("label_status IS NULL OR label_status IN ('pending', 'issued', "
                        "'failed')", name="return_label_status"),
        CheckConstraint("resolution IN ('refund', 'store_credit', 'exchange', 'keep')",
                        name="return_resolution"),
        CheckConstraint("value_minor >= 0 AND refund_minor >= 0 AND credit_minor >= 0 "
                        "AND fee_minor >= 0 AND bonus_minor >= 0", name="return_money"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16))
    resolution: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    value_minor: Mapped[int] = mapped_column(BigInteger)  # what the items cost the shopper
    refund_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    credit_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    bonus_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # An exchange: the SKU, what it costs (all units) and the difference the shopper
    # pays (> 0) or gets back (< 0, refunded); the order made for it once received.
    exchange_for_sku: Mapped[str | None] = mapped_column(String(100))
    exchange_minor: Mapped[int | None] = mapped_column(BigInteger)
    difference_minor: Mapped[int | None] = mapped_column(BigInteger)
    exchange_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"))
    review_reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_basis: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    label_token: Mapped[str] = mapped_column(String(43))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # A gift returned by its recipient (migration 0015): no refund to the buyer; the
    # credit goes to the recipient's own customer record in this store.
    gift_recipient_email: Mapped[str | None] = mapped_column(String(320))
    gift_recipient_name: Mapped[str | None] = mapped_column(String(200))
    gift_customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"))
    # A carrier's label (migration 0016): asked for by a job once approved; the parcel
    # it sends is an inbound shipment whose scans move the return (returns/inbound.py).
    label_carrier: Mapped[str | None] = mapped_column(String(32))
    label_status: Mapped[str | None] = mapped_column(String(16))
    label_error: Mapped[str | None] = mapped_column(String(500))
    carrier_shipment_id: Mapped[str | None] = mapped_column(String(100))
    carrier_label_url: Mapped[str | None] = mapped_column(String(1000))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    inbound_shipment_id: Mapped[int | None] = mapped_column(
        ForeignKey("shipments.id", ondelete="SET NULL"))
    label_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    in_transit_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An instant exchange: the exchange order is made at the parcel's first scan.
    instant_exchange: Mapped[bool] = mapped_column(Boolean, default=False,
                                                   server_default=false())

    lines: Mapped[list[ReturnLine]] = relationship(
        cascade="all, delete-orphan", order_by="ReturnLine.id", lazy="selectin")


class ReturnLine(Base):
    __tablename__ = "return_lines"
    __table_args__ = (
        Index("ix_return_lines_return", "return_id"),
        CheckConstraint("quantity > 0", name="return_line_quantity"),
        CheckConstraint("received_quantity >= 0 AND received_quantity <= quantity",
                        name="return_line_received"),
        CheckConstraint("unit_paid_minor >= 0", name="return_line_paid"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_paid_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(Text)
    received_quantity: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[bool | None] = mapped_column(Boolean)
    condition: Mapped[str | None] = mapped_column(String(16))
    restock: Mapped[bool | None] = mapped_column(Boolean)
    photo_required: Mapped[bool] = mapped_column(Boolean, default=False)  # 0015


class ReturnPhoto(Base):
    """A shopper's photo of a return line: re-encoded (no EXIF, no GPS), at most 3 per
    line. Uploaded in the portal before the return exists, it waits for it
    (`return_id` empty, named by its `token`) and is attached on confirmation."""

    __tablename__ = "return_photos"
    __table_args__ = (
        UniqueConstraint("token", name="uq_return_photos_token"),
        Index("ix_return_photos_return", "return_id"),
        Index("ix_return_photos_store_created", "store_id", "created_at"),
        CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'image/webp')",
                        name="return_photo_type"),
        CheckConstraint("width > 0 AND height > 0 AND byte_size > 0",
                        name="return_photo_size"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"))
    return_id: Mapped[int | None] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"))
    return_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("return_lines.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(43))
    content_type: Mapped[str] = mapped_column(String(16))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    byte_size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClaimedQuantity(Base):
    """How many units of an order line returns have claimed: changed only by atomic
    UPDATEs, and never more than were bought (CHECK), however requests interleave."""

    __tablename__ = "return_claims"
    __table_args__ = (
        CheckConstraint("claimed >= 0 AND claimed <= bought", name="return_claims_bounds"),
    )

    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    bought: Mapped[int] = mapped_column(Integer)
    claimed: Mapped[int] = mapped_column(Integer, default=0)


class RefundRequest(Base):
    """A refund asked of the store platform for a return: one per return, ever."""

    __tablename__ = "return_refund_requests"
    __table_args__ = (
        UniqueConstraint("return_id", name="uq_return_refund_requests_return"),
        CheckConstraint("amount_minor > 0", name="return_refund_amount"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditAccount(Base):
    """A customer's store credit balance, kept by atomic UPDATEs beside the ledger."""

    __tablename__ = "store_credit_accounts"
    __table_args__ = (
        UniqueConstraint("store_id", "customer_id", name="uq_store_credit_accounts"),
        CheckConstraint("balance_minor >= 0", name="store_credit_balance_nonnegative"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    currency: Mapped[str] = mapped_column(String(3))
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditEntry(Base):
    """One change of a balance, never updated or deleted."""

    __tablename__ = "store_credit_entries"
    __table_args__ = (
        UniqueConstraint("store_id", "idempotency_key", name="uq_store_credit_entries_key"),
        Index("ix_store_credit_entries_account", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(
        ForeignKey("store_credit_accounts.id", ondelete="CASCADE"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # return, bonus, spend, adjustment
    return_id: Mapped[int | None] = mapped_column(ForeignKey("returns.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
