"""Google's Product Review Feed (schema 2.2) of a store's published reviews, as a
stream of text: the reviews are read in keyset pages (by id, BATCH at a time, each
page in a short read of its own), so memory holds one page whatever the count.
Every text is escaped for XML and rid of what XML 1.0 cannot carry (control
characters, lone surrogates, U+FFFE/U+FFFF); a review with no text left is left out
(the schema wants content). Products are named from the catalogue; their URL is
the product's review page (the catalogue keeps no shop URL)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from afterward.commerce.models import Product, Variant
from afterward.feedback.models import Review, ReviewPhoto
from afterward.storage.db import Database

BATCH = 1000
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def xml_text(value: str | None) -> str:
    """Text for an XML element or attribute: only characters XML allows, escaped."""
    return _NOT_XML.sub("", value or "").translate(_ESCAPES)


def _present(value: str | None) -> str | None:
    """The escaped text when anything but white space is left, else None."""
    cleaned = xml_text(value)
    return cleaned if cleaned.strip() else None


def review_page_url(public_url: str, slug: str, sku: str) -> str:
    return f"{public_url}/reviews/{quote(slug, safe='')}/{quote(sku, safe='')}"


def photo_url(public_url: str, slug: str, photo_id: int) -> str:
    return f"{public_url}/reviews/{quote(slug, safe='')}/photos/{photo_id}"


def google_feed(db: Database, *, store_id: int, slug: str, store_name: str, public_url: str,
                batch: int = BATCH) -> Iterator[str]:
    yield ('<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns:xsi='
           '"http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation='
           '"http://www.google.com/shopping/reviews/schema/product/2.2/product_reviews.xsd">\n'
           f"<version>2.2</version>\n<publisher><name>"
           f"{_present(store_name) or xml_text(slug)}</name></publisher>\n")
    after, opened = 0, False
    while True:
        rows, photos, products = _page(db, store_id, after, batch)
        if not rows:
            break
        after = rows[-1].id
        chunk = [_review(row, photos.get(row.id, ()), products, slug, public_url)
                 for row in rows]
        text = "".join(c for c in chunk if c)
        if text and not opened:
            text, opened = "<reviews>\n" + text, True
        yield text
        if len(rows) < batch:
            break
    yield "</reviews>\n</feed>\n" if opened else "</feed>\n"


def _page(db: Database, store_id: int, after: int, batch: int
          ) -> tuple[Sequence[Any], dict[int, list[int]], dict[str, str]]:
    with db.reading() as session:
        rows = session.execute(
            select(Review.id, Review.sku, Review.rating, Review.title, Review.body,
                   Review.author_name, Review.published_at, Review.source,
                   Review.has_photos)
            .where(Review.store_id == store_id, Review.status == "published",
                   Review.id > after).order_by(Review.id).limit(batch)).all()
        with_photos = [r.id for r in rows if r.has_photos]
        photos: dict[int, list[int]] = {}
        if with_photos:
            for photo_id, review_id in session.execute(
                    select(ReviewPhoto.id, ReviewPhoto.review_id)
                    .where(ReviewPhoto.review_id.in_(with_photos))
                    .order_by(ReviewPhoto.review_id, ReviewPhoto.position)):
                photos.setdefault(review_id, []).append(photo_id)
        skus = sorted({r.sku for r in rows})
        products = dict(session.execute(
            select(Variant.sku, Product.title).join(Product, Product.id == Variant.product_id)
            .where(Variant.store_id == store_id, Variant.sku.in_(skus))).all()) if skus else {}
    return rows, photos, products


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _review(row: Any, photos: Any, products: dict[str, str], slug: str,
            public_url: str) -> str:
    content = _present(row.body) or _present(row.title)
    sku = _present(row.sku)
    if content is None or sku is None or row.published_at is None:
        return ""
    name = _present(row.author_name)
    reviewer = (f"<name>{name}</name>" if name
                else '<name is_anonymous="true">Anonymous</name>')
    title = _present(row.title)
    url = xml_text(review_page_url(public_url, slug, row.sku))
    images = "".join(f"<reviewer_image><url>{xml_text(photo_url(public_url, slug, p))}"
                     f"</url></reviewer_image>" for p in photos)
    product_name = _present(products.get(row.sku))
    method = ("<collection_method>post_fulfillment</collection_method>"
              if row.source == "link" else "")
    return (f"<review><review_id>{row.id}</review_id><reviewer>{reviewer}</reviewer>"
            f"<review_timestamp>{_timestamp(row.published_at)}</review_timestamp>"
            + (f"<title>{title}</title>" if title and title != content else "")
            + f"<content>{content}</content>"
            f'<review_url type="group">{url}#review-{row.id}</review_url>'
            + (f"<reviewer_images>{images}</reviewer_images>" if images else "")
            + f'<ratings><overall min="1" max="5">{int(row.rating)}</overall></ratings>'
            f"<products><product><product_ids><skus><sku>{sku}</sku></skus></product_ids>"
            + (f"<product_name>{product_name}</product_name>" if product_name else "")
            + f"<product_url>{url}</product_url></product></products>{method}</review>\n")
