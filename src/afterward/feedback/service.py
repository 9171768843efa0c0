"""Reviews: submitted through the API (an integrator's, or an import from another
tool) or by a verified buyer's signed form (collection.py), flagged and, when the
store's rule allows, published at once; moderated (publish, reject with a reason, a
public reply). A published review earns its reward (rewards.py) once. Each step
records its event in the caller's transaction; nothing here commits."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from afterward.commerce.models import Customer, Order, OrderLine, Product, Variant
from afterward.commerce.paging import page
from afterward.events import record
from afterward.feedback import moderation, rewards, summaries
from afterward.feedback import settings as review_settings
from afterward.feedback.errors import ReviewError
from afterward.feedback.models import Review, ReviewPhoto
from afterward.feedback.schemas import PhotoIn, ReviewIn
from afterward.feedback.settings import ReviewSettings
from afterward.images import CleanPhoto, PhotoError, clean
from afterward.storage import locks
from afterward.storage.types import utcnow

MAX_PHOTOS = 3
SUBJECT = "review"


@dataclass(frozen=True)
class Draft:
    """A review about to be written, whatever its way in."""

    sku: str
    rating: int
    title: str | None
    body: str | None
    author_name: str
    email: str | None
    source: str
    locale: str | None = None
    attributes: dict[str, int] = field(default_factory=dict)
    order: Order | None = None
    customer_id: int | None = None
    verified_buyer: bool = False
    request_id: int | None = None
    idempotency_key: str | None = None
    submitted_at: datetime | None = None
    photos: tuple[CleanPhoto, ...] = ()
    publish: bool | None = None  # None: the store's auto-publish rule decides


def get(session: Session, *, store_id: int, review_id: int, lock: bool = False
        ) -> Review | None:
    query = select(Review).where(Review.store_id == store_id, Review.id == review_id)
    return session.scalar(query.with_for_update() if lock else query)


def listed(session: Session, *, store_id: int, sku: str | None = None,
           status: str | None = None, rating: int | None = None, cursor: str | None = None,
           limit: int = 50) -> tuple[list[Review], str | None]:
    """Newest first, paged by cursor as the other lists are."""
    return page(session, filtered(store_id=store_id, sku=sku, status=status, rating=rating),
                Review.id, cursor=cursor, limit=limit)


def filtered(*, store_id: int, sku: str | None = None, status: str | None = None,
             rating: int | None = None) -> Select[Any]:
    stmt = select(Review).where(Review.store_id == store_id)
    if sku:
        stmt = stmt.where(Review.sku == sku)
    if status:
        stmt = stmt.where(Review.status == status)
    if rating:
        stmt = stmt.where(Review.rating == rating)
    return stmt


def product_of(session: Session, *, store_id: int, sku: str) -> tuple[int | None, str | None]:
    """(product id, its category) of a SKU of this store's catalogue, else (None, None)."""
    row = session.execute(select(Product.id, Product.category).join(
        Variant, Variant.product_id == Product.id).where(
        Variant.store_id == store_id, Variant.sku == sku).limit(1)).first()
    return (row[0], row[1]) if row is not None else (None, None)


def cleaned_photos(photos: list[PhotoIn]) -> tuple[CleanPhoto, ...]:
    """The API's photos decoded and cleaned (pure, CPU-bound: call it before the
    transaction). Refusals (422, field `photos.<i>.data_base64`): `photo_not_base64`,
    `photo_type_mismatch` and afterward/images.py's (`photo_too_large`,
    `photo_not_an_image`, `photo_too_many_pixels`)."""
    out = []
    for index, photo in enumerate(photos):
        where = f"photos.{index}.data_base64"
        try:
            raw = base64.b64decode(photo.data_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ReviewError("photo_not_base64", "a photo's data must be base64",
                              where) from exc
        try:
            cleaned = clean(raw)
        except PhotoError as exc:
            raise ReviewError(exc.code, str(exc), where) from exc
        if cleaned.content_type != photo.content_type:
            raise ReviewError("photo_type_mismatch", f"the photo is {cleaned.content_type},"
                              f" not {photo.content_type}", f"photos.{index}.content_type")
        out.append(cleaned)
    return tuple(out)


def submit(session: Session, *, store_id: int, data: ReviewIn,
           idempotency_key: str | None = None, now: datetime | None = None,
           photos: tuple[CleanPhoto, ...] | None = None, publish: bool | None = None,
           hold_key: bool = True) -> tuple[Review, bool]:
    """A review through the API; the same Idempotency-Key with the same review again:
    the review it made (False). Refusals (422): `order_not_found` (no such order in
    this store), `sku_not_in_order`, `unknown_sku` (neither a product of this store
    nor in its orders), `unknown_attribute`, the photos' (`cleaned_photos`: cleaned
    here unless the caller cleaned them first, as the API does outside its
    transaction); 409 `idempotency_key_reused`. `publish` (imports: whether the other
    tool had it published): True publishes it at once, False leaves it pending, None
    lets the store's auto-publish rule decide. `hold_key` False: the caller holds a
    lock covering the key already (an import holds one for the whole file rather than
    one per row; the unique key stays the last word)."""
    now = now or utcnow()
    if photos is None:
        photos = cleaned_photos(data.photos)
    if idempotency_key is not None:
        if hold_key:
            locks.hold(session, "review-key", store_id, idempotency_key)
        earlier = session.scalar(select(Review).where(
            Review.store_id == store_id, Review.idempotency_key == idempotency_key))
        if earlier is not None:
            if not _same(earlier, data):
                raise ReviewError("idempotency_key_reused", "this Idempotency-Key was used "
                                  "for another review", "Idempotency-Key", 409)
            return earlier, False
    order, verified, customer_id = _buyer(session, store_id, data)
    draft = Draft(sku=data.sku, rating=data.rating, title=data.title or None,
                  body=data.body or None, author_name=data.author_name, email=data.email,
                  source=data.source, locale=data.locale, attributes=dict(data.attributes),
                  order=order, customer_id=customer_id, verified_buyer=verified,
                  idempotency_key=idempotency_key, submitted_at=data.submitted_at,
                  photos=photos, publish=publish)
    return write(session, store_id=store_id, draft=draft, now=now), True


def _same(review: Review, data: ReviewIn) -> bool:
    return (review.sku, review.rating, review.title, review.body, review.author_name,
            review.email, review.source, review.has_photos) == (
        data.sku, data.rating, data.title or None, data.body or None, data.author_name,
        data.email, data.source, bool(data.photos))


def _buyer(session: Session, store_id: int, data: ReviewIn
           ) -> tuple[Order | None, bool, int | None]:
    """(the order named, whether the reviewer is its buyer, the customer)."""
    order = None
    if data.order_number is not None:
        order = session.scalar(select(Order).where(Order.store_id == store_id,
                                                   Order.number == data.order_number))
        if order is None:
            raise ReviewError("order_not_found", "no order with this number in this store",
                              "order_number")
        if not any(line.sku == data.sku for line in order.lines):
            raise ReviewError("sku_not_in_order", f"order {order.number} has no {data.sku}",
                              "sku")
    buyer_email = order_email(session, order) if order is not None else None
    verified = bool(order is not None and data.email and buyer_email
                    and buyer_email.lower() == data.email.lower())
    if verified and order is not None:
        return order, True, order.customer_id
    customer_id = session.scalar(select(Customer.id).where(
        Customer.store_id == store_id, Customer.email == data.email).limit(1)) \
        if data.email else None
    return order, False, customer_id


def order_email(session: Session, order: Order) -> str | None:
    if order.email:
        return order.email
    if order.customer_id is None:
        return None
    return session.scalar(select(Customer.email).where(Customer.id == order.customer_id))


def write(session: Session, *, store_id: int, draft: Draft, now: datetime,
          settings: ReviewSettings | None = None) -> Review:
    """The review, flagged, published at once when the rule allows (and rewarded),
    with its photos and its events."""
    settings = settings or review_settings.load(session, store_id=store_id)
    product_id, category = product_of(session, store_id=store_id, sku=draft.sku)
    if product_id is None and not _sold(session, store_id, draft):
        raise ReviewError("unknown_sku", f"{draft.sku} is not a product of this store", "sku")
    allowed = settings.attributes_for(category)
    unknown = sorted(set(draft.attributes) - set(allowed))
    if unknown:
        raise ReviewError("unknown_attribute", f"{unknown[0]} is not rated for this product"
                          + (f" (rated: {', '.join(allowed)})" if allowed else ""),
                          "attributes")
    if len(draft.photos) > MAX_PHOTOS:
        raise ReviewError("too_many_photos", f"at most {MAX_PHOTOS} photos a review", "photos")
    found = moderation.flags([draft.title, draft.body, draft.author_name],
                             settings.flagged_words)
    mark = summaries.before(session, store_id=store_id, sku=draft.sku)
    review = Review(
        store_id=store_id, sku=draft.sku, product_id=product_id,
        order_id=draft.order.id if draft.order is not None else None,
        customer_id=draft.customer_id, request_id=draft.request_id, rating=draft.rating,
        title=draft.title, body=draft.body, author_name=draft.author_name, email=draft.email,
        locale=draft.locale, attributes=draft.attributes, source=draft.source,
        verified_buyer=draft.verified_buyer, status="pending", flags=found,
        idempotency_key=draft.idempotency_key, has_photos=bool(draft.photos),
        helpful=0, unhelpful=0, submitted_at=draft.submitted_at or now, updated_at=now)
    session.add(review)
    session.flush()
    for position, photo in enumerate(draft.photos):
        session.add(ReviewPhoto(store_id=store_id, review_id=review.id, position=position,
                                content_type=photo.content_type, width=photo.width,
                                height=photo.height, byte_size=len(photo.data),
                                data=photo.data, created_at=now))
    record(session, store_id=store_id, name="review.submitted", subject_type=SUBJECT,
           subject_id=review.id, occurred_at=now, payload={
               **_refs(review), "rating": review.rating, "source": review.source,
               "verified_buyer": review.verified_buyer, "flags": list(found)})
    if draft.publish is not None:
        if draft.publish:
            _publish(session, review, settings, now, automatic=False)
    elif moderation.auto_publishes(settings, rating=draft.rating, found=found,
                                   verified_buyer=draft.verified_buyer):
        _publish(session, review, settings, now, automatic=True)
    summaries.after(session, mark, review)
    return review


def _sold(session: Session, store_id: int, draft: Draft) -> bool:
    """A SKU without a product in the catalogue is the store's when its orders have it
    (stores that send orders but no catalogue)."""
    if draft.order is not None and any(li.sku == draft.sku for li in draft.order.lines):
        return True
    return session.scalar(select(OrderLine.id).where(
        OrderLine.store_id == store_id, OrderLine.sku == draft.sku).limit(1)) is not None


def _refs(review: Review) -> dict[str, object]:
    return {"sku": review.sku, "order_id": review.order_id, "customer_id": review.customer_id,
            "product_id": review.product_id}


def publish(session: Session, *, review: Review, now: datetime | None = None) -> Review:
    """Publish a pending (or rejected) review, and give its reward once. Published
    already: 409 `invalid_status`."""
    if review.status == "published":
        raise ReviewError("invalid_status", "this review is published already", "status", 409)
    mark = summaries.before(session, store_id=review.store_id, sku=review.sku, review=review)
    _publish(session, review, review_settings.load(session, store_id=review.store_id),
             now or utcnow(), automatic=False)
    summaries.after(session, mark, review)
    return review


def _publish(session: Session, review: Review, settings: ReviewSettings, now: datetime, *,
             automatic: bool) -> None:
    review.status, review.published_at, review.updated_at = "published", now, now
    review.reject_reason, review.rejected_at = None, None
    session.flush()
    rewards.give(session, review=review, settings=settings, now=now)
    record(session, store_id=review.store_id, name="review.published", subject_type=SUBJECT,
           subject_id=review.id, occurred_at=now, payload={
               **_refs(review), "rating": review.rating, "automatic": automatic,
               "incentive": review.incentive})


def reject(session: Session, *, review: Review, reason: str,
           now: datetime | None = None) -> Review:
    """Reject a pending review, or take a published one down, with a reason (kept for
    the store; a reward given stays given). Rejected already: 409."""
    if review.status == "rejected":
        raise ReviewError("invalid_status", "this review is rejected already", "status", 409)
    reason = reason.strip()
    if not reason:
        raise ReviewError("invalid", "give a reason for rejecting", "reason")
    now = now or utcnow()
    mark = summaries.before(session, store_id=review.store_id, sku=review.sku, review=review)
    review.status, review.reject_reason, review.rejected_at = "rejected", reason[:500], now
    review.published_at, review.updated_at = None, now
    record(session, store_id=review.store_id, name="review.rejected", subject_type=SUBJECT,
           subject_id=review.id, occurred_at=now, payload={**_refs(review), "reason": reason})
    summaries.after(session, mark, review)
    return review


@dataclass(frozen=True)
class Bulk:
    """What one bulk step did: the reviews it changed, and those it left as they are
    with why (`changed`: moderated by someone else since the page was read;
    `already`: in that status already; `not_found`: not a review of this store)."""

    done: list[int]
    left: list[tuple[int, str]]


BULK_ACTIONS = ("publish", "reject")


def moderate_many(session: Session, *, store_id: int, seen: dict[int, str], action: str,
                  reason: str = "", now: datetime | None = None) -> Bulk:
    """Publish or reject (with one reason) several reviews at once, each as one at a
    time would (events, rewards), in the caller's transaction. `seen` is each review's
    status when the merchant chose it: a review whose status has moved since is left
    as it is and reported, never moderated twice. The rows are locked in id order, so
    two bulk steps over the same reviews wait for each other rather than deadlock."""
    if action not in BULK_ACTIONS:
        raise ReviewError("invalid", "publish or reject", "action")
    if action == "reject" and not reason.strip():
        raise ReviewError("invalid", "give a reason for rejecting", "reason")
    now = now or utcnow()
    found = {r.id: r for r in session.scalars(select(Review).where(
        Review.store_id == store_id, Review.id.in_(list(seen))).order_by(Review.id)
        .with_for_update())}
    done: list[int] = []
    left: list[tuple[int, str]] = []
    target = "published" if action == "publish" else "rejected"
    for review_id in sorted(seen):
        review = found.get(review_id)
        if review is None:
            left.append((review_id, "not_found"))
        elif review.status != seen[review_id]:
            left.append((review_id, "changed"))
        elif review.status == target:
            left.append((review_id, "already"))
        elif action == "publish":
            publish(session, review=review, now=now)
            done.append(review_id)
        else:
            reject(session, review=review, reason=reason, now=now)
            done.append(review_id)
    return Bulk(done=done, left=left)


def reply(session: Session, *, review: Review, text: str,
          now: datetime | None = None) -> Review:
    """The merchant's public reply under the review; an empty text removes it."""
    now = now or utcnow()
    text = text.strip()
    mark = summaries.before(session, store_id=review.store_id, sku=review.sku, review=review)
    review.reply, review.replied_at = (text, now) if text else (None, None)
    review.updated_at = now
    summaries.after(session, mark, review)
    return review


def photos_of(session: Session, *, store_id: int, review_id: int) -> list[ReviewPhoto]:
    return list(session.scalars(select(ReviewPhoto).where(
        ReviewPhoto.store_id == store_id, ReviewPhoto.review_id == review_id)
        .order_by(ReviewPhoto.position)))
