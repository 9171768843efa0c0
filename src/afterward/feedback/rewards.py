"""What a published review earns, once, whatever its rating (settings.Rewards):
loyalty points (the program's review bonus, and its photo bonus on top for a review
with a photo: afterward.loyalty.bonuses, keyed per review so never twice) or a
single-use discount code for the next order (afterward.commerce.codes, keyed per
review). The review records what it earned (`incentive`, `incentive_points`), so the
published review can say so."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from afterward.commerce import codes
from afterward.commerce.models import Store
from afterward.feedback.models import Review
from afterward.feedback.settings import ReviewSettings

CODE_SOURCE = "review"


def give(session: Session, *, review: Review, settings: ReviewSettings,
         now: datetime) -> None:
    rule = settings.rewards
    if (review.incentive is not None or rule.kind == "none" or review.customer_id is None
            or (rule.photo_only and not review.has_photos)):
        return
    if rule.kind == "points":
        points = _points(session, review, now)
        if points:
            review.incentive, review.incentive_points = "points", points
    else:
        _code(session, review, settings, now)
        review.incentive = "code"
    session.flush()


def _points(session: Session, review: Review, now: datetime) -> int:
    from afterward.loyalty import bonuses

    assert review.customer_id is not None
    kinds = ("review", "review_photo") if review.has_photos else ("review",)
    entries = [bonuses.award(session, store_id=review.store_id,
                             customer_id=review.customer_id, kind=kind, source_id=review.id,
                             now=now) for kind in kinds]
    return sum(entry.points for entry in entries if entry is not None)


def _code(session: Session, review: Review, settings: ReviewSettings, now: datetime) -> None:
    key = f"review:{review.id}"
    if codes.by_key(session, store_id=review.store_id, source=CODE_SOURCE, key=key):
        return
    rule = settings.rewards
    store = session.get(Store, review.store_id)
    days = rule.code_expiry_days
    codes.issue(session, store_id=review.store_id, kind="discount", source=CODE_SOURCE,
                value_minor=rule.code_amount_minor, percent=rule.code_percent,
                currency=store.currency if store is not None else None,
                customer_id=review.customer_id, source_id=str(review.id),
                idempotency_key=key, expires_at=now + timedelta(days=days) if days else None,
                now=now)


def code_of(session: Session, review: Review) -> str | None:
    """The code a review earned, if any (for the merchant's page)."""
    found = codes.by_key(session, store_id=review.store_id, source=CODE_SOURCE,
                         key=f"review:{review.id}")
    return found.code if found is not None else None
