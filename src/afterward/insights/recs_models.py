"""Fitted recommendations of a store (insights/recs_store.py), versioned by run: the
products that go with each SKU (co-purchase statistics) and a list per customer
(TIFU-KNN; the store's popular list is the one with no customer). Readers use the
store's latest finished run only (recs_serve.py); a new run replaces the older ones in
the same transaction. Nothing here is the only copy of anything: the orders stay."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from afterward.storage.db import Base
from afterward.storage.types import BigID, UTCDateTime


class RecommendationRun(Base):
    """One fit: what it read (orders, customers, SKUs) and when it finished (None:
    being written; never read)."""

    __tablename__ = "recommendation_runs"
    __table_args__ = (Index("ix_recommendation_runs_store", "store_id", "finished_at"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(32))  # the per-customer model: "tifu_knn"
    orders: Mapped[int] = mapped_column(Integer)
    customers: Mapped[int] = mapped_column(Integer)
    skus: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecommendationPair(Base):
    """`other_sku` goes with `sku` (position 0: the best): in `together` orders with
    it; `confidence` = together / orders with `sku`; `lift` = confidence / the share
    of orders with `other_sku`."""

    __tablename__ = "recommendation_pairs"
    __table_args__ = (Index("ix_recommendation_pairs_run_sku", "run_id", "sku", "position"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(ForeignKey("recommendation_runs.id",
                                                   ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    other_sku: Mapped[str] = mapped_column(String(100))
    together: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float] = mapped_column(Float)
    lift: Mapped[float] = mapped_column(Float)


class RecommendationItem(Base):
    """A customer's list (TIFU-KNN's score), or the store's popular list (no customer;
    score: the share of orders with the SKU), best first."""

    __tablename__ = "recommendation_items"
    __table_args__ = (
        Index("ix_recommendation_items_run_customer", "run_id", "customer_id", "position"),
        Index("ix_recommendation_items_store_customer", "store_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(ForeignKey("recommendation_runs.id",
                                                   ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
