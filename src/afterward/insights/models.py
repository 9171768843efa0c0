"""What customers' words say, as computed by insights/words.py: a sentiment score per
text, the themes of a store's latest run, and the run itself (which model, how many
texts). Recomputed whole, nightly or on demand; nothing here is the only copy of
anything (the texts stay in their modules' tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from afterward.storage.db import Base
from afterward.storage.types import BigID, JSONType, UTCDateTime, utcnow


class TextSentiment(Base):
    """One text's score in [-1, 1]: `source` and `ref` name it in its module
    (CustomerText); `model` "vader" (the lexicon) or "learned:<version>"."""

    __tablename__ = "text_sentiments"
    __table_args__ = (
        UniqueConstraint("store_id", "source", "ref", name="uq_text_sentiments_text"),
        Index("ix_text_sentiments_store_sku", "store_id", "sku"),
        Index("ix_text_sentiments_store_customer", "store_id", "customer_id"),
        CheckConstraint("score >= -1 AND score <= 1", name="text_sentiment_score"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    ref: Mapped[int] = mapped_column(BigInteger)
    score: Mapped[float] = mapped_column(Float)
    model: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str | None] = mapped_column(String(100))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"))  # who wrote it (privacy.py)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TextTheme(Base):
    """A theme of a store's run `run`, store-wide or of one product's texts (`sku`): its
    label and key phrases, its texts' average
    sentiment, counts by month ("YYYY-MM" -> n), typical texts ({"source", "ref",
    "text", "score"}) and the products it touches most ({"sku", "count", "sentiment"})."""

    __tablename__ = "text_themes"
    __table_args__ = (
        Index("ix_text_themes_store_run", "store_id", "run", "sku", "position"),
        CheckConstraint("size > 0", name="text_theme_size"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    run: Mapped[int] = mapped_column(Integer)
    # None: a store-wide theme; a SKU: a theme of that product's own texts
    sku: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)  # 0: the largest (per store or SKU)
    label: Mapped[str] = mapped_column(String(300))
    phrases: Mapped[list[str]] = mapped_column(JSONType)
    sentiment: Mapped[float] = mapped_column(Float)
    size: Mapped[int] = mapped_column(Integer)
    months: Mapped[dict[str, int]] = mapped_column(JSONType)
    examples: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    products: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TextRun(Base):
    """A store's latest recompute: its number (themes carry it), the model its texts
    were scored with, how many texts (and rated ones) it read, when it finished."""

    __tablename__ = "text_runs"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          primary_key=True)
    run: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(64))
    texts: Mapped[int] = mapped_column(Integer)
    rated: Mapped[int] = mapped_column(Integer)
    themes: Mapped[int] = mapped_column(Integer)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
