"""Generated images: product pictures and store logos as SVG, for products and
stores that have no picture of their own (the demo store uses them throughout)."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from afterward.api.errors import error_response
from afterward.commerce.models import Product, Store
from afterward.demo.images import logo_svg, product_svg

router = APIRouter(include_in_schema=False)

CACHE_SECONDS = 86400
# An SVG opened on its own is a document: let it draw, never run or fetch anything.
_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff"}


def _svg(request: Request, body: str) -> Response:
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    headers = {**_HEADERS, "ETag": etag, "Cache-Control": f"public, max-age={CACHE_SECONDS}"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="image/svg+xml", headers=headers)


def _not_found(what: str) -> Response:
    return error_response(404, "not_found", f"no {what} image here")


@router.get("/media/products/{product_id}.svg")
def product_image(product_id: str, request: Request) -> Response:
    if not (product_id.isascii() and product_id.isdigit()) or len(product_id) > 18:
        return _not_found("product")
    with request.app.state.db.reading() as session:
        row = session.execute(select(Product.title, Product.category)
                              .where(Product.id == int(product_id))).first()
    if row is None:
        return _not_found("product")
    return _svg(request, product_svg(row.title, row.category))


@router.get("/media/stores/{slug}/logo.svg")
def store_logo(slug: str, request: Request) -> Response:
    with request.app.state.db.reading() as session:
        row = session.execute(select(Store.name, Store.brand_primary, Store.brand_accent)
                              .where(Store.slug == slug)).first()
    if row is None:
        return _not_found("store")
    return _svg(request, logo_svg(row.name, row.brand_primary, row.brand_accent))
