"""A product's public review page, /reviews/{store_slug}/{sku}, and its embeddable
widget, /reviews/{store_slug}/{sku}/widget: published reviews only, in the
shopper's language (?lang=, then Accept-Language, then the store's), phone first,
without JavaScript. The page's "helpful" buttons are a form guarded as the other
shopper forms are (FormCsrf); the voter is a random id in a cookie, kept only as a
keyed hash (feedback/votes.py), and votes are counted per visitor's address (a
throttle). The widget is meant for an <iframe> on the merchant's shop: its own
inline CSS, nothing loaded from anywhere else, framing allowed; it links to the
page for voting (a cookie in a third-party frame is not sent, so a form there could
not be checked)."""

from __future__ import annotations

import secrets
from contextlib import nullcontext
from typing import Any

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from afterward.commerce.models import Store
from afterward.config import Settings
from afterward.feedback import publishing, votes
from afterward.storage.db import Database
from afterward.throttle import Throttle
from afterward.web.pages import language
from afterward.web.pages import review_view as view
from afterward.web.pages.form_csrf import FormCsrf
from afterward.web.pages.render import html_response, render, render_text
from afterward.web.pages.tracking import speaker_for
from afterward.web.pages.view import Brand

router = APIRouter(include_in_schema=False)

PATH = "/reviews"
FORMS = FormCsrf("aw_reviews", PATH, "afterward.reviews.csrf.v1")
VOTER_COOKIE, VOTER_MAX_AGE = "aw_voter", 365 * 24 * 3600
LIMIT, WINDOW_SECONDS = 30, 10 * 60
WIDGET_REVIEWS = 5
NOTICES = {"counted", "again"}
_KEEP = frozenset({"sort", "page"})  # the language links keep these parameters
# Where a kept page's text takes each view's own nonce and form token (neither
# contains anything HTML escapes, and neither can occur in a page otherwise).
_NONCE_MARK, _CSRF_MARK = "aw-nonce-8d1f3c", "aw-csrf-5b7e2a"


def _number(raw: str | None, default: int = 1) -> int:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 6 else default


def _lang(request: Request) -> str | None:
    return language.supported(request.query_params.get("lang"))


def _voter(request: Request) -> str | None:
    raw = request.cookies.get(VOTER_COOKIE)
    if not raw or len(raw) > 64:
        return None
    settings: Settings = request.app.state.settings
    return votes.voter_hash(settings.secret_key, raw)


def not_found(request: Request, store: Store | None = None) -> Response:
    say = speaker_for(request, store, None)
    return render(request, "pages/reviews_missing.html", say, {},
                  brand=Brand.of(store) if store else None, status=404)


def _context(request: Request, session: Session, store: Store, sku: str, *,
             per_page: int, gallery: int) -> dict[str, Any] | None:
    say = speaker_for(request, store, None)
    at = publishing.version(session, store_id=store.id, sku=sku)
    aggregate = publishing.aggregate(session, store_id=store.id, sku=sku, at=at)
    product = publishing.product(session, store_id=store.id, sku=sku)
    if not aggregate.count and not product.known:
        return None
    page = publishing.page_of(session, store_id=store.id, sku=sku,
                              sort=request.query_params.get("sort", "newest"),
                              page=_number(request.query_params.get("page")),
                              per_page=per_page, count=aggregate.count, at=at)
    path, lang = view.base_path(store.slug, sku), _lang(request)
    settings: Settings = request.app.state.settings
    canonical = view.page_url(settings.public_url, store.slug, sku)

    def words() -> dict[str, Any]:
        return {
            "product": product, "path": path, "canonical": canonical,
            "summary": view.summary(aggregate, say),
            "reviews": [view.review_words(r, store.slug, say, {}) for r in page.reviews],
            "sorts": view.sort_links(path, page.sort, lang, say),
            "paging": view.paging(path, page, lang),
            "gallery": [{"url": view.photo_path(store.slug, p.id), "width": p.width,
                         "height": p.height, "anchor": f"review-{p.review_id}"}
                        for p in publishing.gallery(session, store_id=store.id, sku=sku,
                                                    limit=gallery, at=at)
                        ] if aggregate.count and aggregate.photos != 0 else [],
            "json_ld": view.json_ld(product, aggregate, page.reviews, canonical),
            "lang_query": f"?lang={lang}" if lang else "",
        }

    # The words of a page in a language are the same for every shopper until the
    # product's reviews change; only the shopper's own votes are added to them.
    key = ("words", store.id, store.slug, sku, say.code, say.zone, lang, page.sort, page.page,
           per_page, gallery, product, canonical)
    said = publishing.cached(session, at, key, words)
    voted = votes.voted(session, voter=_voter(request), review_ids=[r.id for r in page.reviews])
    return {**said, "say": say, "store_name": store.name, "brand": Brand.of(store),
            "reviews": [{**r, "voted": voted.get(r["id"])} for r in said["reviews"]],
            "_at": at, "_key": key, "_voted": bool(voted)}


@router.get("/reviews/{store_slug}/{sku}/widget")
def widget(request: Request, store_slug: str, sku: str) -> Response:
    db: Database = request.app.state.db
    with db.reading() as session:
        store = publishing.store_by_slug(session, store_slug)
        found = _context(request, session, store, sku, per_page=WIDGET_REVIEWS,
                         gallery=8) if store else None
    if found is None:
        return not_found(request, store)
    say, brand = found.pop("say"), found.pop("brand")
    for kept in ("_at", "_key", "_voted"):
        del found[kept]
    response = render(request, "pages/reviews_widget.html", say, {**found, "widget": True},
                      brand=brand,
                      keep_params=frozenset({"sort", "page"}))
    return framable(response)


def framable(response: Response) -> Response:
    """The widget's headers: any site may frame it; it loads nothing but from here
    (its sizing script and the reviews' photos)."""
    policy = response.headers["content-security-policy"]
    response.headers["content-security-policy"] = (
        policy.replace("frame-ancestors 'none'", "frame-ancestors *")
        .replace("img-src 'self' data: https:", "img-src 'self' data:")
        .replace("style-src", "script-src 'self'; style-src"))
    del response.headers["x-frame-options"]
    return response


@router.post("/reviews/{store_slug}/{sku}/vote")
def vote(request: Request, store_slug: str, sku: str, csrf: str = Form(""),
         review: str = Form(""), helpful: str = Form("yes")) -> Response:
    db: Database = request.app.state.db
    review_id = _number(review, 0)
    with db.reading() as session:
        store = publishing.store_by_slug(session, store_slug)
        found = publishing.published_review(session, store_id=store.id, sku=sku,
                                            review_id=review_id) if store else None
    if store is None or found is None:
        return not_found(request, store)
    voter = _voter(request)
    if voter is None or not FORMS.ok(request, csrf):
        return _page(request, store, sku, problem="expired", status=403)
    address = request.client.host if request.client else ""
    settings: Settings = request.app.state.settings
    throttle = Throttle(scope="review-vote", limit=LIMIT, window_seconds=WINDOW_SECONDS,
                        secret=settings.secret_key)
    if not throttle.attempt(db, address):
        return _page(request, store, sku, problem="throttled", status=429)
    outcome = db.run(lambda s: votes.vote(s, store_id=store.id, review_id=review_id,
                                          voter=voter, helpful=helpful != "no"))
    lang = _lang(request)
    query = f"?voted={outcome}" + (f"&lang={lang}" if lang else "")
    return RedirectResponse(f"{view.base_path(store.slug, sku)}{query}#review-{review_id}",
                            status_code=303)


@router.get("/reviews/{store_slug}/{sku}")
def page(request: Request, store_slug: str, sku: str) -> Response:
    db: Database = request.app.state.db
    with db.reading() as session:  # one read for the store and its page
        store = publishing.store_by_slug(session, store_slug)
        if store is None:
            return not_found(request)
        voted = request.query_params.get("voted")
        return _page(request, store, sku, notice=voted if voted in NOTICES else None,
                     session=session)


def _page(request: Request, store: Store, sku: str, *, problem: str | None = None,
          notice: str | None = None, status: int = 200, session: Session | None = None
          ) -> Response:
    db: Database = request.app.state.db
    csrf = FORMS.value(request)
    with nullcontext(session) if session is not None else db.reading() as session:
        found = _context(request, session, store, sku, per_page=publishing.PER_PAGE,
                         gallery=publishing.GALLERY)
        if found is None:
            return not_found(request, store)
        say, brand = found.pop("say"), found.pop("brand")
        at, key, voted = found.pop("_at"), found.pop("_key"), found.pop("_voted")
        context = {**found, "problem": problem, "notice": notice, "widget": False,
                   "action": f"{found['path']}/vote{found['lang_query']}"}
        if problem is None and notice is None and not voted:
            # What most views are (no message, no votes of the viewer's among these
            # reviews): the page's text is kept until the product's reviews change,
            # with marks where each view's nonce and form token go.
            text = publishing.cached(session, at, ("page", *key, brand, found["store_name"]),
                                     lambda: render_text(
                                         request, "pages/reviews.html", say,
                                         {**context, "csrf": _CSRF_MARK}, brand=brand,
                                         nonce=_NONCE_MARK, keep_params=_KEEP))
            nonce = secrets.token_urlsafe(16)
            response = html_response(text.replace(_NONCE_MARK, nonce)
                                     .replace(_CSRF_MARK, csrf), nonce=nonce, status=status)
        else:
            response = render(request, "pages/reviews.html", say, {**context, "csrf": csrf},
                              brand=brand, status=status, keep_params=_KEEP)
    FORMS.set(request, response, csrf)
    if found["summary"]["count"]:  # a product's reviews are meant to be found
        del response.headers["x-robots-tag"]
    if request.cookies.get(VOTER_COOKIE) is None:
        settings: Settings = request.app.state.settings
        response.set_cookie(VOTER_COOKIE, secrets.token_urlsafe(24), max_age=VOTER_MAX_AGE,
                            path=PATH, httponly=True, samesite="lax",
                            secure=settings.secure_cookies)
    return response
