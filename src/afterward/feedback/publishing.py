"""What the public sees of a store's reviews: a product's published reviews (paged,
in one of four orders), their aggregate (average, count, stars' distribution,
attribute averages), their photos, and a customer photo gallery. Only reviews with
status "published" of the named store are ever read here; the pages, the JSON, the
widget and the Google feed (feeds.py) all go through these functions."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, Select, bindparam, func, select, text
from sqlalchemy.orm import Session

from afterward.commerce.models import Product, Store, Variant
from afterward.feedback.models import Review, ReviewPhoto, ReviewSummary
from afterward.storage.db import engine_of, remembers_contents

SORTS = ("newest", "helpful", "highest", "lowest")
PER_PAGE, MAX_PER_PAGE = 10, 50
MAX_PAGE = 1000  # deeper than any shopper reads; keeps OFFSET bounded
GALLERY = 12
CACHED = 4096  # entries per database: aggregates, galleries and pages of hot products
T = TypeVar("T")
Version = tuple[int, datetime | None]  # (reviews of the product in any status, newest change)

_ORDER = {
    "newest": (Review.published_at.desc(), Review.id.desc()),
    "helpful": (Review.helpful.desc(), Review.published_at.desc(), Review.id.desc()),
    "highest": (Review.rating.desc(), Review.published_at.desc(), Review.id.desc()),
    "lowest": (Review.rating.asc(), Review.published_at.desc(), Review.id.desc()),
}


@dataclass(frozen=True)
class ProductInfo:
    """The product a SKU names, as the catalogue knows it (or just the SKU)."""

    sku: str
    name: str
    image_url: str | None
    known: bool  # the store's catalogue has this SKU


@dataclass(frozen=True)
class Aggregate:
    count: int
    average: float | None  # None without reviews; else rounded to 2 places
    distribution: dict[int, int]  # stars 5..1 -> reviews
    attributes: dict[str, float]  # name -> average (1-5), rounded to 1 place
    photos: int | None = None  # reviews with photos, when known (from the summary)

    def share(self, stars: int) -> int:
        """Percent of the reviews with these stars, for the bars."""
        return round(100 * self.distribution.get(stars, 0) / self.count) if self.count else 0


@dataclass(frozen=True)
class Photo:
    id: int
    review_id: int
    width: int
    height: int


@dataclass(frozen=True)
class Published:
    id: int
    rating: int
    title: str | None
    body: str | None
    author_name: str
    verified_buyer: bool
    attributes: dict[str, int]
    incentive: str | None  # "points" | "code": disclosed next to the review
    reply: str | None
    replied_at: datetime | None
    helpful: int
    unhelpful: int
    published_at: datetime
    photos: list[Photo] = field(default_factory=list)


@dataclass(frozen=True)
class Page:
    reviews: list[Published]
    page: int
    per_page: int
    pages: int
    sort: str


# Every view runs these three: built once, so a request pays for neither building
# nor caching a statement (SQLAlchemy's coercions are most of a small query's time).
_STORE = select(Store).where(Store.slug == bindparam("slug"))
_VERSION = (select(func.count(), func.max(Review.updated_at))
            .where(Review.store_id == bindparam("store"), Review.sku == bindparam("sku")))
_PRODUCT = (select(Product.title, Variant.title, Variant.image_url, Product.image_url)
            .join(Product, Product.id == Variant.product_id)
            .where(Variant.store_id == bindparam("store"), Variant.sku == bindparam("sku")))
# A product's first view (most views of a store's quiet products) runs these too:
# built once as well. The stars' counts come from the index on (store_id, sku,
# status, rating, ...) alone; the gallery is one statement.
_PUBLISHED = (Review.store_id == bindparam("store"), Review.sku == bindparam("sku"),
              Review.status == "published")
_RATINGS = select(Review.rating, func.count()).where(*_PUBLISHED).group_by(Review.rating)
_COUNT = select(func.count()).select_from(Review).where(*_PUBLISHED)
_NEWEST_WITH_PHOTOS = (select(Review.id, Review.published_at)
                       .where(*_PUBLISHED, Review.has_photos.is_(True))
                       .order_by(Review.published_at.desc(), Review.id.desc())
                       .limit(bindparam("limit")).subquery())
_GALLERY = (select(ReviewPhoto.id, ReviewPhoto.review_id, ReviewPhoto.width, ReviewPhoto.height)
            .join(_NEWEST_WITH_PHOTOS, _NEWEST_WITH_PHOTOS.c.id == ReviewPhoto.review_id)
            .order_by(_NEWEST_WITH_PHOTOS.c.published_at.desc(), _NEWEST_WITH_PHOTOS.c.id.desc(),
                      ReviewPhoto.position)
            .limit(bindparam("limit")))
_SUMMARY = (select(ReviewSummary.stars_1, ReviewSummary.stars_2, ReviewSummary.stars_3,
                   ReviewSummary.stars_4, ReviewSummary.stars_5, ReviewSummary.attributes,
                   ReviewSummary.with_photos, ReviewSummary.reviews, ReviewSummary.changed_at)
            .where(ReviewSummary.store_id == bindparam("store"),
                   ReviewSummary.sku == bindparam("sku")))
_PHOTOS = (select(ReviewPhoto.id, ReviewPhoto.review_id, ReviewPhoto.width, ReviewPhoto.height)
           .where(ReviewPhoto.review_id.in_(bindparam("ids", expanding=True)))
           .order_by(ReviewPhoto.review_id, ReviewPhoto.position))


def store_by_slug(session: Session, slug: str) -> Store | None:
    if not slug or len(slug) > 64:
        return None
    return session.scalar(_STORE, {"slug": slug})


def version(session: Session, *, store_id: int, sku: str) -> Version:
    """What changes whenever any of the product's reviews does (a review written,
    published, rejected, voted on, replied to or erased): read from the index on
    (store_id, sku, updated_at) alone."""
    count, changed = session.execute(_VERSION, {"store": store_id, "sku": sku}).one()
    return int(count), _aware(changed)


class _Cache:
    """What was computed for a product's reviews at a version, per database engine
    (each process has its own; storage/db.forget_contents drops them): a hot
    product's aggregate and pages are read once per change, not once per view."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: OrderedDict[tuple[Any, ...], tuple[Version, Any]] = OrderedDict()

    def get(self, key: tuple[Any, ...], at: Version, compute: Callable[[], T]) -> T:
        with self.lock:
            found = self.entries.get(key)
            if found is not None and found[0] == at:
                self.entries.move_to_end(key)
                return found[1]
        value = compute()
        with self.lock:
            self.entries[key] = (at, value)
            self.entries.move_to_end(key)
            while len(self.entries) > CACHED:
                self.entries.popitem(last=False)
        return value


_CACHES: weakref.WeakKeyDictionary[Engine, _Cache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()
remembers_contents(lambda: _CACHES.clear())


def cached(session: Session, at: Version | None, key: tuple[Any, ...],
           compute: Callable[[], T]) -> T:
    """`compute()`, or what it gave for `key` while the product's version is `at`
    (no `at`: computed every time). The pages keep their words here too."""
    if at is None:
        return compute()
    engine = engine_of(session)
    with _CACHES_LOCK:
        cache = _CACHES.get(engine)
        if cache is None:
            cache = _CACHES[engine] = _Cache()
    return cache.get(key, at, compute)


def product(session: Session, *, store_id: int, sku: str) -> ProductInfo:
    found = session.execute(_PRODUCT, {"store": store_id, "sku": sku}).first()
    if found is None:
        return ProductInfo(sku=sku, name=sku, image_url=None, known=False)
    title, variant_title, variant_image, product_image = found
    same = not variant_title or variant_title == title
    name = title if same else f"{title} \u2013 {variant_title}"  # an en dash between
    return ProductInfo(sku=sku, name=name, image_url=variant_image or product_image, known=True)


def _published(store_id: int, sku: str) -> tuple[Any, ...]:
    return (Review.store_id == store_id, Review.sku == sku, Review.status == "published")


def aggregate(session: Session, *, store_id: int, sku: str, at: Version | None = None
              ) -> Aggregate:
    """The product's published reviews summed up; with `at` (its version), from the
    cache while the version holds."""
    return cached(session, at, ("aggregate", store_id, sku),
                   lambda: summed(session, store_id=store_id, sku=sku, at=at)
                   or plain_aggregate(session, store_id=store_id, sku=sku))


def summed(session: Session, *, store_id: int, sku: str, at: Version | None
           ) -> Aggregate | None:
    """The aggregate from the product's summary row (one row, however many reviews),
    while the product is still at the version the row was written at; else None."""
    if at is None:
        return None
    row = session.execute(_SUMMARY, {"store": store_id, "sku": sku}).first()
    if row is None or (row.reviews, _aware(row.changed_at)) != at:
        return None
    stars = {n: int(getattr(row, f"stars_{n}")) for n in (5, 4, 3, 2, 1)}
    attributes = {str(k): (float(v[0]), int(v[1])) for k, v in (row.attributes or {}).items()}
    return summing(stars, attributes, photos=int(row.with_photos))


def plain_aggregate(session: Session, *, store_id: int, sku: str) -> Aggregate:
    """The aggregate read from the product's published reviews themselves."""
    rows = session.execute(_RATINGS, {"store": store_id, "sku": sku}).all()
    stars = {n: 0 for n in (5, 4, 3, 2, 1)}
    for rating, n in rows:
        stars[int(rating)] = int(n)
    attributes = (attribute_totals(session, store_id=store_id, sku=sku)
                  if any(stars.values()) else {})
    return summing(stars, attributes)


def summing(stars: dict[int, int], attributes: dict[str, tuple[float, int]], *,
            photos: int | None = None) -> Aggregate:
    """An aggregate from the reviews per star and each attribute's (sum, count)."""
    distribution = {n: stars.get(n, 0) for n in (5, 4, 3, 2, 1)}
    count = sum(distribution.values())
    total = sum(n * k for n, k in distribution.items())
    average = round(total / count, 2) if count else None
    averages = {key: round(s / k, 1) for key, (s, k) in sorted(attributes.items()) if k > 0}
    return Aggregate(count, average, distribution, averages if count else {}, photos)


def _aware(value: Any) -> datetime | None:
    """max() over a UTCDateTime column comes back raw on SQLite (text)."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_ATTRIBUTES = {
    "sqlite": text(
        "SELECT j.key, sum(j.value), count(*) FROM reviews, json_each(reviews.attributes) j "
        "WHERE reviews.store_id = :store AND reviews.sku = :sku "
        "AND reviews.status = 'published' AND j.type IN ('integer', 'real') "
        "GROUP BY j.key ORDER BY j.key"),
    "postgresql": text(
        "SELECT j.key, sum((j.value)::text::numeric), count(*) FROM reviews, "
        "jsonb_each(reviews.attributes) j "
        "WHERE reviews.store_id = :store AND reviews.sku = :sku "
        "AND reviews.status = 'published' AND jsonb_typeof(j.value) = 'number' "
        "GROUP BY j.key ORDER BY j.key"),
}


def attribute_totals(session: Session, *, store_id: int, sku: str
                     ) -> dict[str, tuple[float, int]]:
    """Each attribute's (sum, count) over the published reviews that rated it."""
    statement = _ATTRIBUTES[session.get_bind().dialect.name]
    rows = session.execute(statement, {"store": store_id, "sku": sku}).all()
    return {str(key): (float(total), int(n)) for key, total, n in rows}


def attribute_averages(session: Session, *, store_id: int, sku: str) -> dict[str, float]:
    """Each attribute's average over the reviews that rated it (fit, quality, ...)."""
    return summing({5: 1}, attribute_totals(session, store_id=store_id, sku=sku)).attributes


def page_of(session: Session, *, store_id: int, sku: str, sort: str = "newest", page: int = 1,
            per_page: int = PER_PAGE, count: int | None = None, at: Version | None = None
            ) -> Page:
    """One page of a product's published reviews, with their photos; `count` (from
    the aggregate, when the caller has it) saves counting again; with `at`, from the
    cache while the version holds."""
    sort = sort if sort in _ORDER else "newest"
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    return cached(session, at, ("page", store_id, sku, sort, page, per_page),
                   lambda: _page_of(session, store_id, sku, sort, page, per_page, count))


def _page_of(session: Session, store_id: int, sku: str, sort: str, page: int, per_page: int,
             count: int | None) -> Page:
    if count is None:
        count = int(session.scalar(_COUNT, {"store": store_id, "sku": sku}) or 0)
    pages = max(1, -(-count // per_page))
    page = max(1, min(page, pages, MAX_PAGE))
    rows = session.execute(_PAGES[sort], {"store": store_id, "sku": sku, "limit": per_page,
                                          "offset": (page - 1) * per_page}).all()
    reviews = _with_photos(session, [_review(row) for row in rows],
                           with_photos={row.id for row in rows if row.has_photos})
    return Page(reviews, page, per_page, pages, sort)


def _columns() -> Select[Any]:
    return select(  # type: ignore[return-value]
        Review.id, Review.rating, Review.title, Review.body, Review.author_name,
        Review.verified_buyer, Review.attributes, Review.incentive, Review.reply,
        Review.replied_at, Review.helpful, Review.unhelpful, Review.published_at,
        Review.has_photos)


_PAGES = {sort: _columns().where(*_PUBLISHED).order_by(*order)
          .limit(bindparam("limit")).offset(bindparam("offset"))
          for sort, order in _ORDER.items()}


def _review(row: Any) -> Published:
    return Published(
        id=row.id, rating=row.rating, title=row.title, body=row.body,
        author_name=row.author_name, verified_buyer=bool(row.verified_buyer),
        attributes=row.attributes if isinstance(row.attributes, dict) else {},
        incentive=row.incentive if row.incentive in ("points", "code") else None,
        reply=row.reply, replied_at=row.replied_at, helpful=row.helpful,
        unhelpful=row.unhelpful, published_at=row.published_at,
        photos=[])


def _with_photos(session: Session, reviews: list[Published], *,
                 with_photos: set[int] | None = None) -> list[Published]:
    """Their photos added; `with_photos`: the ids known to have any (the others are
    not looked up: most pages have none)."""
    ids = [r.id for r in reviews if with_photos is None or r.id in with_photos]
    if not ids:
        return reviews
    by_review: dict[int, list[Photo]] = {}
    for photo in photos_of(session, review_ids=ids):
        by_review.setdefault(photo.review_id, []).append(photo)
    for review in reviews:
        review.photos.extend(by_review.get(review.id, []))
    return reviews


def photos_of(session: Session, *, review_ids: Sequence[int]) -> list[Photo]:
    """The photos of these reviews (the caller read them as published), in order."""
    if not review_ids:
        return []
    rows = session.execute(_PHOTOS, {"ids": list(review_ids)})
    return [Photo(*row) for row in rows]


def gallery(session: Session, *, store_id: int, sku: str, limit: int = GALLERY,
            at: Version | None = None) -> list[Photo]:
    """The newest customer photos of the product's published reviews."""
    return cached(session, at, ("gallery", store_id, sku, limit),
                   lambda: _gallery(session, store_id, sku, limit))


def _gallery(session: Session, store_id: int, sku: str, limit: int) -> list[Photo]:
    # The newest reviews with photos first (the reviews' index), then their photos:
    # joined to those few, not to every photo of the store.
    rows = session.execute(_GALLERY, {"store": store_id, "sku": sku, "limit": limit})
    return [Photo(*row) for row in rows]


@dataclass(frozen=True)
class PhotoFile:
    content_type: str
    data: bytes
    created_at: datetime


def published_photo(session: Session, *, store_id: int, photo_id: int) -> PhotoFile | None:
    """A photo's bytes, only while its review is published in this store."""
    row = session.execute(
        select(ReviewPhoto.content_type, ReviewPhoto.data, ReviewPhoto.created_at)
        .join(Review, Review.id == ReviewPhoto.review_id)
        .where(ReviewPhoto.id == photo_id, ReviewPhoto.store_id == store_id,
               Review.store_id == store_id, Review.status == "published")).first()
    return None if row is None else PhotoFile(row[0], bytes(row[1]), row[2])


def published_review(session: Session, *, store_id: int, sku: str, review_id: int
                     ) -> int | None:
    """The review's id, when it is a published review of this product in this store."""
    return session.scalar(select(Review.id).where(Review.id == review_id,
                                                  *_published(store_id, sku)))
