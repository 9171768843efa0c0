"""Helpful votes on published reviews: one per review and voter (a keyed hash of the
voter's cookie id, never the id itself). The vote row is inserted with ON CONFLICT
DO NOTHING and only an inserted row adds to the review's count, in one atomic
UPDATE (helpful = helpful + 1): taps at once, from one process or several, count
once per voter."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from afterward.feedback import summaries
from afterward.feedback.models import Review, ReviewVote
from afterward.storage.types import utcnow

Outcome = Literal["counted", "again"]


def voter_hash(secret: str, voter_id: str) -> str:
    return hmac.new(secret.encode(), f"review-voter\n{voter_id}".encode(),
                    hashlib.sha256).hexdigest()


def vote(session: Session, *, store_id: int, review_id: int, voter: str, helpful: bool
         ) -> Outcome:
    """Count the voter's vote on a review the caller found published in this store;
    "again" when this voter already voted on it (nothing changes)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inserted = session.execute(
        insert(ReviewVote).values(store_id=store_id, review_id=review_id, voter=voter,
                                  helpful=helpful, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["review_id", "voter"])
        .returning(ReviewVote.id)).scalar()
    if inserted is None:
        return "again"
    # The review's row, then its product's summary (the order moderation takes them
    # in): the count moves the product's version, so the summary is stamped anew.
    # FOR NO KEY UPDATE, as the UPDATE below takes it: the vote rows inserted above
    # hold FOR KEY SHARE on the review (their foreign key), which FOR UPDATE would
    # wait on, two voters of one review each waiting for the other (PostgreSQL).
    sku = session.scalar(select(Review.sku).where(Review.id == review_id,
                                                  Review.store_id == store_id)
                         .with_for_update(key_share=True))  # FOR NO KEY UPDATE
    mark = summaries.before(session, store_id=store_id, sku=sku) if sku is not None else None
    column = Review.helpful if helpful else Review.unhelpful
    session.execute(update(Review).where(Review.id == review_id, Review.store_id == store_id)
                    .values({column: column + 1}))
    if mark is not None:
        summaries.after(session, mark)
    return "counted"


def voted(session: Session, *, voter: str | None, review_ids: Sequence[int]) -> dict[int, bool]:
    """The voter's votes among these reviews: review id -> helpful."""
    if not voter or not review_ids:
        return {}
    rows = session.execute(select(ReviewVote.review_id, ReviewVote.helpful).where(
        ReviewVote.voter == voter, ReviewVote.review_id.in_(list(review_ids))))
    return {int(review_id): bool(helpful) for review_id, helpful in rows}
