"""Reviews collected by an order's signed link: one form for all its items. The
request row (one per order) is made by the first answer; each item reviewed once
(a later visit shows only the items left, and a second answer for an item already
reviewed records nothing); the request is `answered` when every item is. A link is
refused when it is older than the store's `link_days`, when the order is another
store's or cancelled."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.commerce.models import Customer, Order, OrderLine, Product
from afterward.feedback import service
from afterward.feedback import settings as review_settings
from afterward.feedback.errors import ReviewError
from afterward.feedback.models import Review, ReviewRequest
from afterward.feedback.settings import ReviewSettings
from afterward.images import CleanPhoto
from afterward.storage import locks


@dataclass(frozen=True)
class Item:
    sku: str
    title: str
    product_id: int | None
    attributes: tuple[str, ...]  # rated beside the stars (the category's)


@dataclass(frozen=True)
class Answer:
    sku: str
    rating: int
    title: str | None
    body: str | None
    attributes: dict[str, int]
    photos: tuple[CleanPhoto, ...] = ()


@dataclass(frozen=True)
class Outcome:
    made: list[Review]
    already: list[str]  # SKUs answered that had a review: nothing recorded for them
    answered: bool  # every item of the order is reviewed now


def link_open(settings: ReviewSettings, signed_at: datetime, now: datetime) -> bool:
    return now - signed_at <= timedelta(days=settings.link_days)


def order_of(session: Session, *, store_id: int, order_id: int) -> Order | None:
    order = session.scalar(select(Order).where(Order.store_id == store_id,
                                               Order.id == order_id))
    return None if order is None or order.status == "cancelled" else order


def items(session: Session, order: Order, settings: ReviewSettings) -> list[Item]:
    """The order's products, each SKU once, in the order's order."""
    rows = session.execute(select(OrderLine.sku, OrderLine.title, OrderLine.product_id,
                                  Product.category)
                           .outerjoin(Product, Product.id == OrderLine.product_id)
                           .where(OrderLine.order_id == order.id, OrderLine.sku.is_not(None))
                           .order_by(OrderLine.position, OrderLine.id)).all()
    seen: dict[str, Item] = {}
    for sku, title, product_id, category in rows:
        if sku and sku not in seen:
            seen[sku] = Item(sku, title, product_id, tuple(settings.attributes_for(category)))
    return list(seen.values())


def reviewed(session: Session, *, store_id: int, order_id: int) -> set[str]:
    """The SKUs of the order a verified buyer has reviewed (by the link or the API)."""
    return set(session.scalars(select(Review.sku).where(
        Review.store_id == store_id, Review.order_id == order_id,
        Review.verified_buyer.is_(True))))


def request_of(session: Session, *, store_id: int, order_id: int) -> ReviewRequest | None:
    return session.scalar(select(ReviewRequest).where(ReviewRequest.store_id == store_id,
                                                      ReviewRequest.order_id == order_id))


def ensure_request(session: Session, *, order: Order, settings: ReviewSettings,
                   locale: str | None, now: datetime) -> ReviewRequest:
    found = request_of(session, store_id=order.store_id, order_id=order.id)
    if found is not None:
        return found
    row = ReviewRequest(store_id=order.store_id, order_id=order.id,
                        customer_id=order.customer_id, nonce=secrets.token_urlsafe(32)[:43],
                        status="open", reminders=0, locale=locale,
                        expires_at=now + timedelta(days=settings.link_days), created_at=now,
                        updated_at=now)
    session.add(row)
    session.flush()
    return row


def author_name(session: Session, order: Order) -> str:
    """How a verified buyer is shown: first name and the initial of the last, else
    the name on the parcel's first word, else "Verified buyer" (the page translates)."""
    row = session.execute(select(Customer.first_name, Customer.last_name).where(
        Customer.id == order.customer_id)).first() if order.customer_id else None
    first, last = (row[0], row[1]) if row is not None else (None, None)
    if not first and order.ship_name:
        first = order.ship_name.split()[0]
    if not first:
        return "Verified buyer"
    return f"{first} {last[0]}." if last else first


def submit(session: Session, *, store_id: int, order_id: int, answers: list[Answer],
           locale: str | None, now: datetime, name: str | None = None) -> Outcome:
    """The answers of one sending of the form, in one transaction: each a verified
    buyer's review (source "link"), unless its item has one already."""
    if not answers:
        raise ReviewError("empty", "rate at least one item", "rating")
    locks.hold(session, "review-request", store_id, order_id)
    order = order_of(session, store_id=store_id, order_id=order_id)
    if order is None:
        raise ReviewError("order_not_found", "no such order in this store", status=404)
    settings = review_settings.load(session, store_id=store_id)
    known = {item.sku: item for item in items(session, order, settings)}
    if any(a.sku not in known for a in answers):
        raise ReviewError("unknown_sku", "an item that is not in this order", "sku")
    request = ensure_request(session, order=order, settings=settings, locale=locale, now=now)
    done = reviewed(session, store_id=store_id, order_id=order.id)
    made, already = [], []
    shown = (name or "").strip()[:100] or author_name(session, order)
    email = service.order_email(session, order)
    for answer in answers:
        if answer.sku in done:
            already.append(answer.sku)
            continue
        made.append(service.write(session, store_id=store_id, settings=settings, now=now,
                                  draft=service.Draft(
            sku=answer.sku, rating=answer.rating, title=answer.title, body=answer.body,
            author_name=shown, email=email, source="link", locale=locale,
            attributes=answer.attributes, order=order, customer_id=order.customer_id,
            verified_buyer=True, request_id=request.id, photos=answer.photos)))
        done.add(answer.sku)
    answered = set(known) <= done
    if answered and request.status == "open":
        request.status, request.answered_at, request.updated_at = "answered", now, now
        session.flush()
    return Outcome(made, already, answered)
