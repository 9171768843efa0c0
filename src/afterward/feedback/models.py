"""Reviews, the requests that ask for them, their photos and helpful votes, and each
store's review settings (moderation rules, rewards, attributes per category)."""

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
from sqlalchemy.orm import Mapped, mapped_column

from afterward.storage.db import Base
from afterward.storage.types import BigID, JSONType, UTCDateTime, utcnow

REVIEW_STATUSES = ("pending", "published", "rejected")
REVIEW_SOURCES = ("link", "api", "import")  # "link": a verified buyer's signed form
REQUEST_STATUSES = ("open", "answered", "stopped")


class ReviewSettingsRow(Base):
    """A store's review settings document (auto-publish rules, flagged words, rewards,
    attributes per category); no row: the defaults."""

    __tablename__ = "review_settings"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewRequest(Base):
    """One request per order: its signed link opens one form for all its items.
    `status` open until answered in full or stopped (a return, a refund, expiry);
    reminders counts the reminders sent (at most 2)."""

    __tablename__ = "review_requests"
    __table_args__ = (
        UniqueConstraint("store_id", "order_id", name="uq_review_requests_store_order"),
        Index("ix_review_requests_store_status", "store_id", "status"),
        CheckConstraint("status IN ('open', 'answered', 'stopped')",
                        name="review_request_status"),
        CheckConstraint("reminders >= 0 AND reminders <= 2", name="review_request_reminders"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"))
    nonce: Mapped[str] = mapped_column(String(43))  # in the signed link; new one revokes
    status: Mapped[str] = mapped_column(String(16), default="open")
    stopped_reason: Mapped[str | None] = mapped_column(String(32))
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    locale: Mapped[str | None] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Review(Base):
    """A review of one product (by SKU). `verified_buyer`: it names an order of this
    store containing the SKU and the email matches (always so for `source` link).
    `rating` 1-5; `attributes` {name: 1-5} where the category has them; `flags` the
    moderation's findings (flagged words, links); `incentive` what it earned on
    moderation ("points", "code"), disclosed when published."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("store_id", "idempotency_key", name="uq_reviews_store_key"),
        UniqueConstraint("request_id", "sku", name="uq_reviews_request_sku"),
        Index("ix_reviews_store_sku_status", "store_id", "sku", "status", "published_at"),
        Index("ix_reviews_store_status", "store_id", "status", "id"),
        Index("ix_reviews_store_published", "store_id", "published_at", "id"),
        Index("ix_reviews_store_order", "store_id", "order_id"),
        Index("ix_reviews_store_customer", "store_id", "customer_id"),
        # publishing.version: whether a product's reviews changed, from the index alone
        Index("ix_reviews_store_sku_updated", "store_id", "sku", "updated_at"),
        # A product's pages in the "helpful" and "highest"/"lowest" orders (0028).
        Index("ix_reviews_sku_helpful", "store_id", "sku", "status", "helpful", "published_at",
              "id"),
        Index("ix_reviews_sku_rating", "store_id", "sku", "status", "rating", "published_at",
              "id"),
        # A product's newest reviews with photos (the gallery) from the index alone (0030).
        Index("ix_reviews_sku_photos", "store_id", "sku", "status", "has_photos",
              "published_at", "id"),
        CheckConstraint("rating >= 1 AND rating <= 5", name="review_rating"),
        CheckConstraint("status IN ('pending', 'published', 'rejected')",
                        name="review_status"),
        CheckConstraint("source IN ('link', 'api', 'import')", name="review_source"),
        CheckConstraint("helpful >= 0 AND unhelpful >= 0", name="review_votes_counts"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(100))
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_requests.id", ondelete="SET NULL"))
    rating: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    author_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320))
    locale: Mapped[str | None] = mapped_column(String(16))
    attributes: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    source: Mapped[str] = mapped_column(String(16))
    verified_buyer: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    flags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    reply: Mapped[str | None] = mapped_column(Text)  # the merchant's public reply
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    helpful: Mapped[int] = mapped_column(Integer, default=0)
    unhelpful: Mapped[int] = mapped_column(Integer, default=0)
    incentive: Mapped[str | None] = mapped_column(String(16))
    incentive_points: Mapped[int | None] = mapped_column(BigInteger)
    has_photos: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ReviewPhoto(Base):
    """A reviewer's photo: sniffed, capped, re-encoded (no EXIF, no GPS), at most 3 a
    review; `position` orders them."""

    __tablename__ = "review_photos"
    __table_args__ = (
        Index("ix_review_photos_review", "review_id"),
        Index("ix_review_photos_store_created", "store_id", "created_at"),
        CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'image/webp')",
                        name="review_photo_type"),
        CheckConstraint("width > 0 AND height > 0 AND byte_size > 0",
                        name="review_photo_size"),
        CheckConstraint("position >= 0 AND position < 3", name="review_photo_position"),
        UniqueConstraint("review_id", "position", name="uq_review_photos_position"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    byte_size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewVote(Base):
    """A helpful (or not) vote; one per review and voter (a hash of a cookie id)."""

    __tablename__ = "review_votes"
    __table_args__ = (
        UniqueConstraint("review_id", "voter", name="uq_review_votes_voter"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    voter: Mapped[str] = mapped_column(String(64))
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Surveys

SURVEY_KINDS = ("nps", "delivery", "csat")
SURVEY_SOURCES = ("link", "api")
SURVEY_SCALES = {"nps": (0, 10), "csat": (1, 5), "delivery": (0, 1)}  # delivery: 1 yes, 0 no
ALERT_STATUSES = ("open", "closed")


class SurveyResponse(Base):
    """One answer per order and survey kind: a second click (or an import for the same
    order) changes the score of this row, never adds one. `score`: NPS 0-10, CSAT 1-5,
    delivery 1 (everything arrived as expected) or 0 (it did not). `return_id` names
    the return a CSAT answer is about; `detractor` is kept with the row so the hold
    probe and the inbox need no rule of their own."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("store_id", "order_id", "survey", name="uq_survey_responses_order"),
        # covering: the results count scores per survey and period from the index alone
        Index("ix_survey_responses_store_survey_created", "store_id", "survey", "created_at",
              "score"),
        Index("ix_survey_responses_store_created", "store_id", "created_at"),  # comments
        Index("ix_survey_responses_store_customer", "store_id", "customer_id", "updated_at"),
        CheckConstraint("survey IN ('nps', 'delivery', 'csat')", name="survey_response_kind"),
        CheckConstraint("source IN ('link', 'api')", name="survey_response_source"),
        CheckConstraint(
            "(survey = 'nps' AND score >= 0 AND score <= 10) OR "
            "(survey = 'csat' AND score >= 1 AND score <= 5) OR "
            "(survey = 'delivery' AND score >= 0 AND score <= 1)",
            name="survey_response_score"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"))
    return_id: Mapped[int | None] = mapped_column(ForeignKey("returns.id", ondelete="SET NULL"))
    survey: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)
    detractor: Mapped[bool] = mapped_column(Boolean, default=False)
    comment: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SurveyAlert(Base):
    """A detractor's answer in the admin inbox: open until someone on the team closes
    it (`closed_by`: the admin's email). One per answer; a changed score that is still
    a detractor's keeps it, a new low score after it was closed opens it again."""

    __tablename__ = "survey_alerts"
    __table_args__ = (
        UniqueConstraint("response_id", name="uq_survey_alerts_response"),
        Index("ix_survey_alerts_store_status", "store_id", "status", "id"),
        CheckConstraint("status IN ('open', 'closed')", name="survey_alert_status"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    reason: Mapped[str] = mapped_column(String(32))  # "nps_detractor", "csat_low", ...
    closed_by: Mapped[str | None] = mapped_column(String(320))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ReviewSummary(Base):
    """A product's published reviews summed up (feedback/summaries.py): count, stars'
    histogram, each attribute's sum and count, reviews with photos. Kept by the
    services in the transaction of each change. `reviews` and `changed_at` are the
    product's version (publishing.version) it was written at: it is read only while
    that version holds, so a change made some other way (a bulk load) is never hidden
    behind it; the plain aggregate answers until the next change writes it again."""

    __tablename__ = "review_summaries"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          primary_key=True)
    sku: Mapped[str] = mapped_column(String(100), primary_key=True)
    stars_1: Mapped[int] = mapped_column(Integer, default=0)
    stars_2: Mapped[int] = mapped_column(Integer, default=0)
    stars_3: Mapped[int] = mapped_column(Integer, default=0)
    stars_4: Mapped[int] = mapped_column(Integer, default=0)
    stars_5: Mapped[int] = mapped_column(Integer, default=0)
    # {name: [sum of the ratings, reviews that rated it]}
    attributes: Mapped[dict[str, list[float]]] = mapped_column(JSONType, default=dict)
    with_photos: Mapped[int] = mapped_column(Integer, default=0)
    reviews: Mapped[int] = mapped_column(Integer, default=0)  # in any status: the version
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
