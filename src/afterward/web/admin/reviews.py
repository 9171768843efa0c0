"""The merchant's review moderation: a queue (pending first; filters by status,
rating, SKU and flagged), one review with its order, customer, photos and flags, and
its steps: publish (its reward is given then, whatever the rating), reject with a
reason, a public reply. Every step goes through afterward.feedback.service in its own
transaction; a step the review's status no longer allows (a second click, another
admin first) is a sentence on the page, never a 500, and changes nothing. The
sentences are codes here, translated by the templates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from afterward.commerce.models import Order
from afterward.feedback import feeds, rewards, service
from afterward.feedback.errors import ReviewError
from afterward.feedback.models import REVIEW_STATUSES, Review
from afterward.storage.db import Database
from afterward.web.admin import queries
from afterward.web.admin.context import Admin, current_store, store_admin, store_csrf_checked
from afterward.web.admin.orders import Id
from afterward.web.admin.pages import AdminRoute, PageError, redirect, render

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)

PAGE_SIZE = 25
BULK_MAX = 100
Param = Annotated[str, Query(max_length=100)]
DONE = ("published", "rejected", "replied", "reply_removed")
Step = Callable[[Session, Review], object]


class BadFilter(Exception):
    pass


@dataclass(frozen=True)
class Filters:
    status: str = "pending"
    rating: str = ""
    sku: str = ""
    flagged: bool = False
    before: int | None = None

    def url(self, **changes: Any) -> str:
        chosen = replace(self, **changes)
        query = {name: value for name in ("rating", "sku", "before")
                 if (value := getattr(chosen, name))}
        query["status"] = chosen.status or "any"
        if chosen.flagged:
            query["flagged"] = "1"
        return "/admin/reviews?" + urlencode(query)


def parse_filters(*, status: str, rating: str, sku: str, flagged: str, before: str) -> Filters:
    status, sku = (status.strip() or "pending"), sku.strip()
    if status not in (*REVIEW_STATUSES, "any"):
        raise BadFilter("bad_status")
    if rating and rating not in ("1", "2", "3", "4", "5"):
        raise BadFilter("bad_rating")
    if flagged not in ("", "1", "on", "true"):
        raise BadFilter("bad_flagged")
    if before and not (before.isdecimal() and len(before) < 19 and int(before) > 0):
        raise BadFilter("bad_page")
    return Filters(status="" if status == "any" else status, rating=rating, sku=sku,
                   flagged=bool(flagged), before=int(before) if before else None)


def queue(session: Session, *, store_id: int, filters: Filters) -> list[Review]:
    stmt = service.filtered(store_id=store_id, sku=filters.sku or None,
                            status=filters.status or None,
                            rating=int(filters.rating) if filters.rating else None)
    if filters.flagged:
        stmt = stmt.where(cast(Review.flags, String) != "[]")
    if filters.before:
        stmt = stmt.where(Review.id < filters.before)
    return list(session.scalars(stmt.order_by(Review.id.desc()).limit(PAGE_SIZE + 1)))


def counts(session: Session, *, store_id: int) -> list[tuple[str, int]]:
    rows = dict(session.execute(select(Review.status, func.count()).where(
        Review.store_id == store_id).group_by(Review.status)).tuples().all())
    return [(status, rows.get(status, 0)) for status in REVIEW_STATUSES]


@router.get("/reviews")
def review_queue(request: Request, admin: Admin = Depends(store_admin), status: Param = "",
                 rating: Param = "", sku: Param = "", flagged: Param = "",
                 before: Param = "",
                 select_all: Annotated[str, Query(alias="all", max_length=100)] = ""
                 ) -> Response:
    try:
        filters = parse_filters(status=status, rating=rating, sku=sku, flagged=flagged,
                                before=before)
    except BadFilter as exc:
        return _queue_page(request, admin, Filters(), problem=str(exc), status=400,
                           listed=False)
    return _queue_page(request, admin, filters, select_all=select_all == "1")


def _seen(values: list[str]) -> dict[int, str] | None:
    """`<id>:<status>` per ticked review (the status the merchant saw), else None."""
    seen: dict[int, str] = {}
    for value in values:
        number, _, status = value.partition(":")
        if not (number.isdecimal() and len(number) < 19 and int(number) > 0
                and status in REVIEW_STATUSES):
            return None
        seen[int(number)] = status
    return seen


@router.post("/reviews/bulk")
def bulk_step(request: Request, admin: Admin = Depends(store_csrf_checked),
              review: Annotated[list[str], Form(max_length=40)] = [],  # noqa: B006
              action: Annotated[str, Form(max_length=16)] = "",
              reason: Annotated[str, Form(max_length=2000)] = "",
              status: Annotated[str, Form(max_length=100)] = "",
              rating: Annotated[str, Form(max_length=100)] = "",
              sku: Annotated[str, Form(max_length=100)] = "",
              flagged: Annotated[str, Form(max_length=100)] = "",
              before: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Publish or reject (one reason) the ticked reviews of a queue page, in one
    transaction; the page comes back with what was done and what was left."""
    try:
        filters = parse_filters(status=status, rating=rating, sku=sku, flagged=flagged,
                                before=before)
    except BadFilter:
        filters = Filters()
    seen = _seen(review)
    chosen = frozenset(seen or ())
    text = reason.strip()
    problem = ("bad_selection" if seen is None or len(review) > BULK_MAX
               else "none_chosen" if not seen
               else "bad_action" if action not in service.BULK_ACTIONS
               else "no_reason" if action == "reject" and not text
               else "long_reason" if len(text) > 500 else "")
    if problem:
        return _queue_page(request, admin, filters, problem=problem, status=422,
                           chosen=chosen, reason=reason, action=action)
    assert seen is not None
    db: Database = request.app.state.db
    store_id = current_store(admin).id
    done = db.run(lambda s: service.moderate_many(s, store_id=store_id, seen=seen,
                                                  action=action, reason=text))
    return _queue_page(request, admin, filters, bulk=done, action=action)


def _queue_page(request: Request, admin: Admin, filters: Filters, *, problem: str = "",
                status: int = 200, bulk: service.Bulk | None = None, action: str = "",
                chosen: frozenset[int] = frozenset(), reason: str = "",
                select_all: bool = False, listed: bool = True) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    with db.reading() as s:
        rows = queue(s, store_id=store.id, filters=filters) if listed else []
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        numbers = dict(s.execute(select(Order.id, Order.number).where(
            Order.store_id == store.id,
            Order.id.in_({r.order_id for r in rows if r.order_id}))).tuples().all()) \
            if rows else {}
        counted = counts(s, store_id=store.id)
    return render(request, "admin/reviews.html", {
        "admin": admin, "store": store, "rows": rows, "filters": filters, "numbers": numbers,
        "statuses": REVIEW_STATUSES, "counts": counted, "problem": problem,
        "next_url": filters.url(before=rows[-1].id) if more else None,
        "bulk": bulk, "action": action, "chosen": chosen, "reason": reason,
        "select_all": select_all, "section": "reviews"}, status=status)


@router.get("/reviews/{review_id}")
def review_detail(request: Request, review_id: Id, admin: Admin = Depends(store_admin),
                  done: Annotated[str, Query(max_length=16)] = "") -> Response:
    return _detail_page(request, admin, review_id, notice=done if done in DONE else "")


def _detail_page(request: Request, admin: Admin, review_id: int, *, notice: str = "",
                 problem: str = "", status: int = 200, reason: str = "",
                 reply: str | None = None) -> Response:
    store = current_store(admin)
    db: Database = request.app.state.db
    public_url = request.app.state.settings.public_url.rstrip("/")
    with db.reading() as s:
        review = service.get(s, store_id=store.id, review_id=review_id)
        if review is None:
            raise PageError(404, "not_found")
        order = s.get(Order, review.order_id) if review.order_id else None
        return render(request, "admin/review.html", {
            "admin": admin, "store": store, "review": review, "order": order,
            "customer_name": queries.customer_labels(
                s, store_id=store.id, customer_ids={review.customer_id}).get(
                    review.customer_id or 0),
            "photos": service.photos_of(s, store_id=store.id, review_id=review.id),
            "code": rewards.code_of(s, review) if review.incentive == "code" else None,
            "notice": notice, "problem": problem, "reason": reason,
            "reply": review.reply or "" if reply is None else reply,
            "page_url": feeds.review_page_url(public_url, store.slug, review.sku),
            "section": "reviews"}, status=status)


def _after_step(request: Request, admin: Admin, review_id: int, done: str,
                step: Step) -> Response:
    db: Database = request.app.state.db
    store_id = current_store(admin).id

    def work(s: Session) -> None:
        review = service.get(s, store_id=store_id, review_id=review_id, lock=True)
        if review is None:
            raise PageError(404, "not_found")
        step(s, review)

    try:
        db.run(work)
    except ReviewError as exc:
        return _detail_page(request, admin, review_id, status=exc.status,
                            problem=f"{exc.code}:{done}")
    return redirect(f"/admin/reviews/{review_id}?done={done}")


@router.post("/reviews/{review_id}/publish")
def publish(request: Request, review_id: Id,
            admin: Admin = Depends(store_csrf_checked)) -> Response:
    return _after_step(request, admin, review_id, "published",
                       lambda s, review: service.publish(s, review=review))


@router.post("/reviews/{review_id}/reject")
def reject(request: Request, review_id: Id, admin: Admin = Depends(store_csrf_checked),
           reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    text = reason.strip()
    if not text or len(text) > 500:
        return _detail_page(request, admin, review_id, status=422, reason=reason,
                            problem="no_reason" if not text else "long_reason")
    return _after_step(request, admin, review_id, "rejected",
                       lambda s, review: service.reject(s, review=review, reason=text))


@router.post("/reviews/{review_id}/reply")
def reply(request: Request, review_id: Id, admin: Admin = Depends(store_csrf_checked),
          text: Annotated[str, Form(max_length=10000)] = "") -> Response:
    if len(text.strip()) > 5000:
        return _detail_page(request, admin, review_id, status=422, reply=text,
                            problem="long_reply")
    return _after_step(request, admin, review_id,
                       "replied" if text.strip() else "reply_removed",
                       lambda s, review: service.reply(s, review=review, text=text))
