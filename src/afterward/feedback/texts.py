"""Reviews as customers' texts for the text models (Module.texts): title and body, with
their stars (the free labels the learned sentiment model trains on). Rejected reviews
(spam, abuse) are left out; pending and published ones are what customers said."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.customer_texts import CustomerText
from afterward.feedback.models import Review

BATCH = 2000


def review_text(title: str | None, body: str | None) -> str:
    """'Title. Body' (no doubled stop), or whichever is there; '' when neither."""
    title = " ".join((title or "").split())
    body = " ".join((body or "").split())
    if title and body:
        return f"{title}{'' if title[-1] in '.!?' else '.'} {body}"
    return title or body


def read(session: Session, *, store_id: int, since: datetime | None) -> Iterator[CustomerText]:
    query = (select(Review.id, Review.title, Review.body, Review.submitted_at, Review.rating,
                    Review.sku, Review.customer_id)
             .where(Review.store_id == store_id, Review.status != "rejected")
             .order_by(Review.submitted_at, Review.id)
             .execution_options(yield_per=BATCH))
    if since is not None:
        query = query.where(Review.submitted_at >= since)
    for review_id, title, body, at, rating, sku, customer_id in session.execute(query):
        text = review_text(title, body)
        if text:
            yield CustomerText(source="review", ref=review_id, text=text, at=at,
                               rating=rating, sku=sku, customer_id=customer_id)
