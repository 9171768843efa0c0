"""Loyalty: a store's program document, an account per customer with its counters,
the append-only ledger of points, and what each order has earned so far.

The account's counters (`points_balance`, `points_pending`, `points_debt`,
`lifetime_points`) are moved only by atomic `UPDATE ... SET x = x + :d` beside the
entry that explains the move, and CHECKs keep them at zero or above: a balance is
read from one row, never summed from the ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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

KINDS = ("earn", "release", "redeem", "expire", "adjust", "clawback")
SOURCES = ("order", "return", "review", "referral", "admin", "birthday", "program")
REFERRAL_STATUSES = ("pending", "review", "ordered", "rewarded", "rejected", "void")


class LoyaltyProgramRow(Base):
    """A store's program document (loyalty/program.py); no row: no program yet."""

    __tablename__ = "loyalty_programs"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoyaltyAccount(Base):
    __tablename__ = "loyalty_accounts"
    __table_args__ = (
        UniqueConstraint("store_id", "customer_id", name="uq_loyalty_accounts_customer"),
        CheckConstraint("points_balance >= 0", name="loyalty_balance_nonnegative"),
        CheckConstraint("points_pending >= 0", name="loyalty_pending_nonnegative"),
        CheckConstraint("points_debt >= 0", name="loyalty_debt_nonnegative"),
        CheckConstraint("lifetime_points >= 0", name="loyalty_lifetime_nonnegative"),
        Index("ix_loyalty_accounts_referral_code", "referral_code", unique=True),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    points_balance: Mapped[int] = mapped_column(BigInteger, default=0)  # spendable
    points_pending: Mapped[int] = mapped_column(BigInteger, default=0)  # not yet
    # Points taken back that the balance could no longer cover: paid first from
    # whatever the account is credited next (never a negative balance).
    points_debt: Mapped[int] = mapped_column(BigInteger, default=0)
    lifetime_points: Mapped[int] = mapped_column(BigInteger, default=0)
    tier: Mapped[str | None] = mapped_column(String(32))
    tier_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Spend fell below the tier: kept until then (the program's tier_grace_days).
    tier_kept_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last `loyalty.points_expiring` reminder: when the points it named expire.
    expiring_notice_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The member's referral link is /r/<this>: 128 random bits, unique across stores
    # (the link names no store), given when the account opens (loyalty/referrals.py).
    referral_code: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoyaltyEntry(Base):
    """One change of an account, never updated (erasure only blanks `reason`).
    `points` is what the entry means (+ earned, - taken); the deltas are how it moved
    the counters, so the ledger replays exactly to the account row."""

    __tablename__ = "loyalty_entries"
    __table_args__ = (
        UniqueConstraint("store_id", "idempotency_key", name="uq_loyalty_entries_key"),
        Index("ix_loyalty_entries_account", "account_id", "id"),
        CheckConstraint("kind IN ('earn', 'release', 'redeem', 'expire', 'adjust', "
                        "'clawback')", name="loyalty_entry_kind"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(
        ForeignKey("loyalty_accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(BigInteger)
    balance_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    pending_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    debt_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    reason: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int | None] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    pending_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoyaltyOrder(Base):
    """What one order has earned so far: recomputed on every event about it, and the
    difference posted (loyalty/orders.py). `pending_points` are this order's points
    still pending, released once when `pending_until` passes."""

    __tablename__ = "loyalty_orders"
    __table_args__ = (
        Index("ix_loyalty_orders_due", "store_id", "released_at", "pending_until"),
        Index("ix_loyalty_orders_account", "account_id", "placed_at"),
        CheckConstraint("pending_points >= 0", name="loyalty_order_pending_nonnegative"),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"),
                                          primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(
        ForeignKey("loyalty_accounts.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer, default=0)
    earned_points: Mapped[int] = mapped_column(BigInteger, default=0)  # net, all posts
    pending_points: Mapped[int] = mapped_column(BigInteger, default=0)
    kept_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # goods still kept
    multiplier_percent: Mapped[int] = mapped_column(Integer, default=100)
    bonus_points: Mapped[int] = mapped_column(BigInteger, default=0)  # first order
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pending_until: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoyaltyReferral(Base):
    """A friend referred by a member: one per friend's mailbox in a store (its
    canonical spelling, loyalty/referral_checks.py). `pending` (signed up), `ordered`
    (the first order is linked, waiting until it can no longer be returned),
    `review` (a fraud signal: an admin decides), `rewarded` (the referrer was paid,
    once), `rejected` (by an admin), `void` (the order was refunded or cancelled)."""

    __tablename__ = "loyalty_referrals"
    __table_args__ = (
        UniqueConstraint("store_id", "friend_mailbox", name="uq_loyalty_referrals_mailbox"),
        Index("ix_loyalty_referrals_referrer", "store_id", "referrer_customer_id",
              "created_at"),
        Index("ix_loyalty_referrals_status", "store_id", "status"),
        Index("ix_loyalty_referrals_device", "store_id", "device_hash"),
        CheckConstraint("status IN ('pending', 'review', 'ordered', 'rewarded', 'rejected', "
                        "'void')", name="loyalty_referral_status"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    referrer_customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"))
    friend_email: Mapped[str | None] = mapped_column(String(320))  # as typed; erasable
    friend_mailbox: Mapped[str] = mapped_column(String(320))  # canonical (or a hash, erased)
    friend_customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    signals: Mapped[list[str]] = mapped_column(JSONType, default=list)
    cleared: Mapped[list[str]] = mapped_column(JSONType, default=list)  # approved signals
    channel: Mapped[str] = mapped_column(String(16), default="api")  # link, api
    device_hash: Mapped[str | None] = mapped_column(String(64))
    code_id: Mapped[int | None] = mapped_column(
        ForeignKey("discount_codes.id", ondelete="SET NULL"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    points: Mapped[int] = mapped_column(BigInteger, default=0)  # paid to the referrer
    decision_reason: Mapped[str | None] = mapped_column(String(300))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rewarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
