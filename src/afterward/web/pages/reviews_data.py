"""The public data of a store's reviews: a product's published reviews as JSON
(paged, with an ETag and Last-Modified, so a shop's own page or a CDN can revalidate
cheaply), the reviews' photos (only while their review is published), and Google's
Product Review Feed of the whole store, streamed (feedback/feeds.py)."""

from __future__ import annotations

import hashlib
from email.utils import format_datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from afterward.api.errors import error_response
from afterward.config import Settings
from afterward.feedback import feeds, publishing
from afterward.feedback.publishing import Aggregate, Page, ProductInfo
from afterward.storage.db import Database

router = APIRouter(include_in_schema=False)

JSON_CACHE = "public, max-age=60"
PHOTO_CACHE = "public, max-age=86400"
FEED_CACHE = "public, max-age=900"
_NOT_FOUND = "No published reviews for this store and product."


def _number(raw: str | None, default: int) -> int | None:
    if raw is None or raw == "":
        return default
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else None


@router.get("/reviews/{store_slug}/{sku}.json")
def reviews_json(request: Request, store_slug: str, sku: str) -> Response:
    params = request.query_params
    number = _number(params.get("page"), 1)
    per_page = _number(params.get("per_page"), publishing.PER_PAGE)
    sort = params.get("sort", "newest")
    if number is None or number < 1:
        return error_response(422, "invalid", "page must be a whole number from 1.", "page")
    if per_page is None or not 1 <= per_page <= publishing.MAX_PER_PAGE:
        return error_response(422, "invalid", f"per_page must be from 1 to "
                              f"{publishing.MAX_PER_PAGE}.", "per_page")
    if sort not in publishing.SORTS:
        return error_response(422, "invalid", "sort must be one of: "
                              + ", ".join(publishing.SORTS) + ".", "sort")
    db: Database = request.app.state.db
    with db.reading() as session:
        store = publishing.store_by_slug(session, store_slug)
        if store is None:
            return error_response(404, "not_found", _NOT_FOUND)
        at = publishing.version(session, store_id=store.id, sku=sku)
        aggregate = publishing.aggregate(session, store_id=store.id, sku=sku, at=at)
        product = publishing.product(session, store_id=store.id, sku=sku)
        if not aggregate.count and not product.known:
            return error_response(404, "not_found", _NOT_FOUND)
        tag = _etag(store.id, sku, at, product, number, per_page, sort)
        headers = {"ETag": tag, "Cache-Control": JSON_CACHE, "Vary": "Accept-Encoding",
                   "Access-Control-Allow-Origin": "*"}
        if at[1] is not None:
            headers["Last-Modified"] = format_datetime(at[1], usegmt=True)
        if tag in _tags(request.headers.get("if-none-match", "")):
            return Response(status_code=304, headers=headers)
        page = publishing.page_of(session, store_id=store.id, sku=sku, sort=sort,
                                  page=number, per_page=per_page, count=aggregate.count,
                                  at=at)
    settings: Settings = request.app.state.settings
    body = document(settings.public_url, store.slug, product, aggregate, page)
    return JSONResponse(body, headers=headers)


def _tags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header[:2000].split(",")}


def _etag(store_id: int, sku: str, at: publishing.Version, product: ProductInfo, page: int,
          per_page: int, sort: str) -> str:
    changed = at[1].isoformat() if at[1] else "-"
    key = (f"{store_id}\n{sku}\n{at[0]}\n{changed}\n{product.name}\n{page}\n{per_page}"
           f"\n{sort}")
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def document(public_url: str, slug: str, product: ProductInfo, aggregate: Aggregate,
             page: Page) -> dict[str, Any]:
    base = feeds.review_page_url(public_url, slug, product.sku)
    following = (f"{base}.json?page={page.page + 1}&per_page={page.per_page}&sort={page.sort}"
                 if page.page < page.pages else None)
    return {
        "store": slug, "sku": product.sku,
        "product": {"name": product.name, "url": base},
        "aggregate": {"count": aggregate.count, "average": aggregate.average,
                      "distribution": {str(k): v for k, v in aggregate.distribution.items()},
                      "attributes": aggregate.attributes},
        "reviews": [{
            "id": r.id, "rating": r.rating, "title": r.title, "body": r.body,
            "author_name": r.author_name, "verified_buyer": r.verified_buyer,
            "attributes": r.attributes, "incentive": r.incentive,
            "published_at": r.published_at.isoformat(), "helpful": r.helpful,
            "unhelpful": r.unhelpful,
            "reply": {"body": r.reply, "replied_at": r.replied_at.isoformat()
                      if r.replied_at else None} if r.reply else None,
            "photos": [{"id": p.id, "url": feeds.photo_url(public_url, slug, p.id),
                        "width": p.width, "height": p.height} for p in r.photos],
        } for r in page.reviews],
        "page": page.page, "per_page": page.per_page, "pages": page.pages, "sort": page.sort,
        "next": following,
    }


@router.get("/reviews/{store_slug}/photos/{photo_id}")
def photo(request: Request, store_slug: str, photo_id: str) -> Response:
    number = _number(photo_id, 0)
    db: Database = request.app.state.db
    with db.reading() as session:
        store = publishing.store_by_slug(session, store_slug)
        found = publishing.published_photo(session, store_id=store.id, photo_id=number
                                           ) if store and number else None
    if found is None:
        return error_response(404, "not_found", "No such photo.")
    return Response(found.data, media_type=found.content_type, headers={
        "Cache-Control": PHOTO_CACHE, "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'",
        "Cross-Origin-Resource-Policy": "cross-origin",
        "Last-Modified": format_datetime(found.created_at, usegmt=True)})


@router.get("/feeds/{store_slug}/google-product-reviews.xml")
def google_feed(request: Request, store_slug: str) -> Response:
    db: Database = request.app.state.db
    with db.reading() as session:
        store = publishing.store_by_slug(session, store_slug)
    if store is None:
        return error_response(404, "not_found", "No such store.")
    settings: Settings = request.app.state.settings
    chunks = feeds.google_feed(db, store_id=store.id, slug=store.slug, store_name=store.name,
                               public_url=settings.public_url)
    return StreamingResponse((c.encode() for c in chunks),
                             media_type="application/xml; charset=utf-8",
                             headers={"Cache-Control": FEED_CACHE,
                                      "X-Content-Type-Options": "nosniff"})
