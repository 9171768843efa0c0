"""Feedback's part of a customer's export and erasure (afterward/privacy.py): the
reviews they wrote (theirs by customer, or by their email address), their photos
(described, not their bytes) and their review requests. Erasure anonymises each
review (the author's name becomes "Anonymous", the email goes, the customer link
goes), deletes its photos and unlinks the requests; the rating and the words stay, as
published reviews of the products (the store's content, no longer anyone's)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session

from afterward.commerce.models import Customer
from afterward.commerce.privacy import plain
from afterward.feedback import summaries
from afterward.feedback.models import Review, ReviewPhoto, ReviewRequest
from afterward.privacy import changed, section

ANONYMOUS = "Anonymous"
_REVIEW_FIELDS = ("id", "sku", "order_id", "rating", "title", "body", "author_name", "email",
                  "locale", "attributes", "source", "verified_buyer", "status",
                  "reject_reason", "reply", "incentive", "incentive_points", "submitted_at",
                  "published_at")
_PHOTO_FIELDS = ("review_id", "position", "content_type", "width", "height", "byte_size",
                 "created_at")
_REQUEST_FIELDS = ("id", "order_id", "status", "reminders", "locale", "expires_at",
                   "answered_at", "created_at")


def _theirs(session: Session, store_id: int, customer_id: int) -> ColumnElement[bool]:
    email = session.scalar(select(Customer.email).where(Customer.id == customer_id,
                                                        Customer.store_id == store_id))
    mine = Review.customer_id == customer_id
    return or_(mine, func.lower(Review.email) == email.lower()) if email else mine


@section("feedback")
class FeedbackSection:
    @staticmethod
    def export(session: Session, store_id: int, customer_id: int) -> dict[str, Any] | None:
        reviews = list(session.scalars(select(Review).where(
            Review.store_id == store_id, _theirs(session, store_id, customer_id))
            .order_by(Review.id)))
        requests = list(session.scalars(select(ReviewRequest).where(
            ReviewRequest.store_id == store_id, ReviewRequest.customer_id == customer_id)
            .order_by(ReviewRequest.id)))
        if not reviews and not requests:
            return None
        photos: list[ReviewPhoto] = list(session.scalars(select(ReviewPhoto).where(
            ReviewPhoto.store_id == store_id,
            ReviewPhoto.review_id.in_([r.id for r in reviews]))
            .order_by(ReviewPhoto.review_id, ReviewPhoto.position))) if reviews else []
        return {"reviews": [{n: plain(getattr(r, n)) for n in _REVIEW_FIELDS}
                            for r in reviews],
                "review_photos": [{n: plain(getattr(p, n)) for n in _PHOTO_FIELDS}
                                  for p in photos],
                "review_requests": [{n: plain(getattr(q, n)) for n in _REQUEST_FIELDS}
                                    for q in requests]}

    @staticmethod
    def erase(session: Session, store_id: int, customer_id: int) -> dict[str, int]:
        ids = list(session.scalars(select(Review.id).where(
            Review.store_id == store_id, _theirs(session, store_id, customer_id))))
        rows = {"reviews": 0, "review_photos": 0, "review_requests": 0}
        if ids:
            rows["review_photos"] = changed(session.execute(delete(ReviewPhoto).where(
                ReviewPhoto.store_id == store_id, ReviewPhoto.review_id.in_(ids))))
            skus = sorted(set(session.scalars(select(Review.sku).where(
                Review.store_id == store_id, Review.id.in_(ids)))))
            rows["reviews"] = changed(session.execute(update(Review).where(
                Review.store_id == store_id, Review.id.in_(ids)).values(
                author_name=ANONYMOUS, email=None, customer_id=None, has_photos=False)))
            for sku in skus:  # their photos are gone from the products' summaries
                summaries.refresh(session, store_id=store_id, sku=sku)
        rows["review_requests"] = changed(session.execute(update(ReviewRequest).where(
            ReviewRequest.store_id == store_id, ReviewRequest.customer_id == customer_id)
            .values(customer_id=None)))
        return rows


# The survey answers are a section of their own ("surveys"); importing it registers it.
from afterward.feedback import survey_privacy  # noqa: E402, F401
