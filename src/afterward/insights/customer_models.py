"""What insights/recompute.py stores about each customer, versioned by run: a store's
runs (`insight_runs`), each customer's segment, RFM scores, P(alive), churn risk,
expected orders and lifetime value of a run (`customer_insights`), and when they will
run out of each product they buy again (`replenishment_dates`). Readers read the
store's latest *finished* run only (insights/stored.py), so a page never mixes two
runs; a recompute keeps the last KEEP_RUNS runs and deletes older ones. Nothing here
is the only copy of anything: a run is recomputed whole from the orders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from afterward.storage.db import Base
from afterward.storage.types import BigID, JSONType, UTCDateTime, utcnow


class InsightRun(Base):
    """One recompute of a store: `status` running (only ever seen inside its own
    transaction) or finished; how many customers it scored; `notes`: the models used
    and, where a model could not be fitted, the fallback and its reason
    ({"model": "btyd" | "heuristic", "reason": ..., "params": {...}, ...})."""

    __tablename__ = "insight_runs"
    __table_args__ = (
        Index("ix_insight_runs_store_status", "store_id", "status", "id"),
        CheckConstraint("status IN ('running', 'finished')", name="insight_run_status"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")
    customers: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class CustomerInsight(Base):
    """A customer's figures in one run. `p_alive` in [0, 1]; `churn_risk` low, medium
    or high (segments.churn_band); `clv_minor` the discounted value of the next year
    in the store's currency; `next_order_due` the earliest replenishment date (else
    the customer's own cadence), none when nothing says."""

    __tablename__ = "customer_insights"
    __table_args__ = (
        Index("ix_customer_insights_store_customer", "store_id", "customer_id", "run_id"),
        CheckConstraint("p_alive >= 0 AND p_alive <= 1", name="customer_insight_p_alive"),
        CheckConstraint("expected_orders_90d >= 0", name="customer_insight_expected"),
        CheckConstraint("clv_minor >= 0", name="customer_insight_clv"),
    )

    run_id: Mapped[int] = mapped_column(ForeignKey("insight_runs.id", ondelete="CASCADE"),
                                        primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"),
                                             primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    segment: Mapped[str] = mapped_column(String(16))
    rfm_recency: Mapped[int] = mapped_column(SmallInteger)
    rfm_frequency: Mapped[int] = mapped_column(SmallInteger)
    rfm_monetary: Mapped[int] = mapped_column(SmallInteger)
    p_alive: Mapped[float] = mapped_column(Float)
    churn_risk: Mapped[str] = mapped_column(String(8))
    expected_orders_90d: Mapped[float] = mapped_column(Float)
    clv_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    next_order_due: Mapped[date | None] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReplenishmentDate(Base):
    """When a customer will run out of a product (a SKU) in one run: the due date,
    the interval it was counted with and its basis (replenish.Due: own, blended or
    product)."""

    __tablename__ = "replenishment_dates"
    __table_args__ = (
        Index("ix_replenishment_dates_store_customer", "store_id", "customer_id", "run_id"),
        CheckConstraint("interval_days > 0", name="replenishment_interval"),
    )

    run_id: Mapped[int] = mapped_column(ForeignKey("insight_runs.id", ondelete="CASCADE"),
                                        primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"),
                                             primary_key=True)
    sku: Mapped[str] = mapped_column(String(100), primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    interval_days: Mapped[float] = mapped_column(Float)
    basis: Mapped[str] = mapped_column(String(8))


class CustomerSubscription(Base):
    """A product a customer buys on a schedule, in one run (insights/subscriptions.py):
    `source` flagged (bought on a subscription: OrderLine.subscription) or detected (a
    regular cadence); the interval, the last order and the next renewal expected;
    `status` active or lapsed (the renewal missed by more than a grace); the renewal's
    risk in [0, 1] and the `reasons` (a list of names) that drove it (migration 0029)."""

    __tablename__ = "customer_subscriptions"
    __table_args__ = (
        Index("ix_customer_subscriptions_store_customer", "store_id", "customer_id",
              "run_id"),
        Index("ix_customer_subscriptions_store_renewal", "store_id", "run_id",
              "next_renewal_on"),
        CheckConstraint("source IN ('flagged', 'detected')", name="subscription_source"),
        CheckConstraint("status IN ('active', 'lapsed')", name="subscription_status"),
        CheckConstraint("interval_days > 0", name="subscription_interval"),
        CheckConstraint("renewal_risk >= 0 AND renewal_risk <= 1", name="subscription_risk"),
    )

    run_id: Mapped[int] = mapped_column(ForeignKey("insight_runs.id", ondelete="CASCADE"),
                                        primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"),
                                             primary_key=True)
    sku: Mapped[str] = mapped_column(String(100), primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8))
    orders: Mapped[int] = mapped_column(Integer)
    interval_days: Mapped[float] = mapped_column(Float)
    last_order_on: Mapped[date] = mapped_column(Date)
    next_renewal_on: Mapped[date] = mapped_column(Date)
    renewal_risk: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)
