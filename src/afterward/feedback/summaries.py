"""Each product's summary row (`review_summaries`): its published reviews per star,
each attribute's sum and count, and how many have photos, so a product's page and
JSON read one row instead of every review of the product (publishing.summed).

The services keep it in the transaction of each change: `before(...)` locks the row
(made empty when missing) and notes the product's version and the review as it was;
`after(...)`, once the review has changed, moves the sums by the difference and
stamps the row with the product's new version. A row is only read while the product
is still at the version it was stamped with, so a change made any other way (a bulk
load, a hand edit) is never hidden: the plain aggregate answers until `refresh` (or
the next change through a service) sums the reviews afresh. A row that was not current
before a change is summed afresh by `after` too. `rebuild` sums a whole store's
products at once (migration 0030 does the same for existing reviews)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from afterward.feedback import publishing
from afterward.feedback.models import Review, ReviewSummary

Counted = tuple[int, dict[str, Any], bool]  # (rating, attributes, has photos)


@dataclass
class Mark:
    """What `before` saw: the row, whether it was current, and the review's part."""

    row: ReviewSummary
    current: bool
    counted: Counted | None  # the review as the sums had it (None: not published)


def counted(review: Review) -> Counted | None:
    if review.status != "published":
        return None
    return int(review.rating), dict(review.attributes or {}), bool(review.has_photos)


def before(session: Session, *, store_id: int, sku: str, review: Review | None = None
           ) -> Mark:
    """Call before changing `review` (None: a review about to be written) of this
    product: locks its summary row, notes whether it is current."""
    row = _locked(session, store_id, sku)
    at = publishing.version(session, store_id=store_id, sku=sku)
    current = (row.reviews, publishing._aware(row.changed_at)) == at
    return Mark(row, current, counted(review) if review is not None else None)


def after(session: Session, mark: Mark, review: Review | None = None) -> None:
    """Call once `review` (None: no review's sums changed, e.g. a vote) has changed."""
    session.flush()
    row = mark.row
    if not mark.current:
        _sum_afresh(session, row)
        return
    now = counted(review) if review is not None else mark.counted
    if now != mark.counted:
        if mark.counted is not None:
            _move(row, mark.counted, -1)
        if now is not None:
            _move(row, now, 1)
    _stamp(session, row)


def refresh(session: Session, *, store_id: int, sku: str) -> None:
    """The product's row summed afresh from its reviews (after a change the sums
    cannot follow one review at a time, such as an erasure)."""
    session.flush()
    _sum_afresh(session, _locked(session, store_id, sku))


def rebuild(session: Session, *, store_id: int) -> int:
    """Every product of the store summed afresh (after reviews were loaded in bulk);
    the number of products."""
    session.flush()
    session.execute(delete(ReviewSummary).where(ReviewSummary.store_id == store_id))
    published = Review.status == "published"
    rows = session.execute(
        select(Review.sku,
               *[func.sum(case((published & (Review.rating == n), 1), else_=0))
                 for n in (1, 2, 3, 4, 5)],
               func.sum(case((published & Review.has_photos.is_(True), 1), else_=0)),
               func.count(), func.max(Review.updated_at))
        .where(Review.store_id == store_id).group_by(Review.sku)).all()
    attributes: dict[str, dict[str, list[float]]] = {}
    for sku, key, total, n in session.execute(
            _STORE_ATTRIBUTES[session.get_bind().dialect.name], {"store": store_id}):
        attributes.setdefault(str(sku), {})[str(key)] = [_number(total), int(n)]
    session.add_all([
        ReviewSummary(store_id=store_id, sku=sku, stars_1=int(s1), stars_2=int(s2),
                      stars_3=int(s3), stars_4=int(s4), stars_5=int(s5),
                      attributes=attributes.get(sku, {}), with_photos=int(photos),
                      reviews=int(count), changed_at=publishing._aware(changed))
        for sku, s1, s2, s3, s4, s5, photos, count, changed in rows])
    session.flush()
    return len(rows)


def _locked(session: Session, store_id: int, sku: str) -> ReviewSummary:
    """The product's row, locked for this transaction (made, empty and not current,
    when missing: two first changes at once wait for each other on its key)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(ReviewSummary).values(
        store_id=store_id, sku=sku, stars_1=0, stars_2=0, stars_3=0, stars_4=0, stars_5=0,
        attributes={}, with_photos=0, reviews=-1, changed_at=None)
        .on_conflict_do_nothing(index_elements=["store_id", "sku"]))
    row = session.scalar(select(ReviewSummary).where(
        ReviewSummary.store_id == store_id, ReviewSummary.sku == sku)
        .with_for_update().execution_options(populate_existing=True))
    assert row is not None  # made just above when missing
    return row


def _sum_afresh(session: Session, row: ReviewSummary) -> None:
    stars = dict(session.execute(publishing._RATINGS,
                                 {"store": row.store_id, "sku": row.sku}).tuples().all())
    for n in (1, 2, 3, 4, 5):
        setattr(row, f"stars_{n}", int(stars.get(n, 0)))
    row.attributes = {key: [_number(total), n] for key, (total, n) in publishing.attribute_totals(
        session, store_id=row.store_id, sku=row.sku).items()}
    row.with_photos = int(session.scalar(
        select(func.count()).select_from(Review).where(
            Review.store_id == row.store_id, Review.sku == row.sku,
            Review.status == "published", Review.has_photos.is_(True))) or 0)
    _stamp(session, row)


def _stamp(session: Session, row: ReviewSummary) -> None:
    row.reviews, row.changed_at = publishing.version(session, store_id=row.store_id,
                                                     sku=row.sku)
    session.flush()


def _move(row: ReviewSummary, review: Counted, sign: int) -> None:
    rating, attributes, photos = review
    setattr(row, f"stars_{rating}", getattr(row, f"stars_{rating}") + sign)
    sums = {key: list(value) for key, value in (row.attributes or {}).items()}
    for key, value in attributes.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue  # the plain aggregate averages numbers only
        total, n = sums.get(key, [0, 0])
        total, n = _number(total + sign * value), int(n) + sign
        if n > 0:
            sums[key] = [total, n]
        else:
            sums.pop(key, None)
    row.attributes = sums  # a new object: the JSON column is written again
    row.with_photos += sign * int(photos)


def _number(value: Any) -> float:
    number = float(value)
    return int(number) if number.is_integer() else number


_STORE_ATTRIBUTES = {
    "sqlite": text(
        "SELECT reviews.sku, j.key, sum(j.value), count(*) FROM reviews, "
        "json_each(reviews.attributes) j WHERE reviews.store_id = :store "
        "AND reviews.status = 'published' AND j.type IN ('integer', 'real') "
        "GROUP BY reviews.sku, j.key"),
    "postgresql": text(
        "SELECT reviews.sku, j.key, sum((j.value)::text::numeric), count(*) FROM reviews, "
        "jsonb_each(reviews.attributes) j WHERE reviews.store_id = :store "
        "AND reviews.status = 'published' AND jsonb_typeof(j.value) = 'number' "
        "GROUP BY reviews.sku, j.key"),
}
