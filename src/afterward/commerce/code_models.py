"""Codes a shopper types at checkout: gift cards (a sum of money), discounts (a sum or
a percentage), free shipping and a free product (by SKU), issued from store credit,
loyalty rewards, journeys' personal offers or by hand. A discount may be limited to
products (`skus`) or `categories`; any code may expire (`expires_at`). Single use:
`issued` becomes `used` (with the order) or `cancelled`, each once, by a conditional
UPDATE (commerce/codes.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
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

KINDS = ("gift_card", "discount", "free_shipping", "free_product")
KIND_CHECK = "kind IN ('gift_card', 'discount', 'free_shipping', 'free_product')"
# Gift cards and discounts are worth an amount or a percentage; free shipping and a
# free product neither (a free product names its SKU in `skus`: codes.issue checks).
VALUE_CHECK = (
    "(kind IN ('gift_card', 'discount') AND ((value_minor IS NOT NULL AND value_minor > 0"
    " AND currency IS NOT NULL AND percent IS NULL) OR (value_minor IS NULL AND percent > 0"
    " AND percent <= 100))) OR (kind IN ('free_shipping', 'free_product') AND value_minor"
    " IS NULL AND percent IS NULL)")
STATUSES = ("issued", "used", "cancelled")


class DiscountCode(Base):
    __tablename__ = "discount_codes"
    __table_args__ = (
        UniqueConstraint("store_id", "code", name="uq_discount_codes_store_code"),
        UniqueConstraint("store_id", "source", "idempotency_key",
                         name="uq_discount_codes_store_key"),
        Index("ix_discount_codes_store_customer", "store_id", "customer_id"),
        Index("ix_discount_codes_store_enrolment", "store_id", "enrolment_id"),
        CheckConstraint(KIND_CHECK, name="discount_code_kind"),
        CheckConstraint("status IN ('issued', 'used', 'cancelled')",
                        name="discount_code_status"),
        CheckConstraint(VALUE_CHECK, name="discount_code_value"),
        CheckConstraint("(status = 'used') = (used_at IS NOT NULL)",
                        name="discount_code_used"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    value_minor: Mapped[int | None] = mapped_column(BigInteger)
    percent: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3))
    # What it applies to (None: the whole order): product SKUs, product categories.
    skus: Mapped[list[str] | None] = mapped_column(JSONType)
    categories: Mapped[list[str] | None] = mapped_column(JSONType)
    source: Mapped[str] = mapped_column(String(32))  # store_credit, loyalty, journey, manual
    source_id: Mapped[str | None] = mapped_column(String(100))  # a journey: its key
    # A journey's personal offer: the enrolment it was issued to (journeys' row; no
    # foreign key, commerce knows no journey table), for the journey's results.
    enrolment_id: Mapped[int | None] = mapped_column(BigInteger)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="issued")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id",
                                                                 ondelete="SET NULL"))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
