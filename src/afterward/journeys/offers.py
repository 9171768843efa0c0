"""Personal offers: a journey's `offer` step issues its enrolment one unique
single-use code through commerce's code machinery (commerce/codes.py: pushed to the
store platform as `code.issued`), with source `journey`, the journey's key as
source_id and the enrolment on the code, so the journey's results can count the
codes used (journeys/results.py). Its idempotency key is `enr:{enrolment}:{step}`:
a step that runs again (a lost lease, a retry) finds the code it issued and issues
nothing. Later sends show it: their refs name it (`offer_code_id`) and
journeys/offer_part.py gives the message's `offer`. Takes a session, never commits.

What an offer is limited to, truthfully:
- `skus` / `categories`: as given.
- `for: order_categories`: the categories of the enrolment's order's products.
- `for: order_complements`: the products bought most often in the same orders as
  the enrolment's order's products (not those themselves), by SKU; with none, the
  order's categories. With neither, the offer is not limited (the message says so)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from afterward.commerce import codes
from afterward.commerce.code_models import DiscountCode
from afterward.commerce.models import OrderLine, Product, Store
from afterward.journeys.definition import Offer
from afterward.journeys.models import Enrolment, Journey
from afterward.storage.queries import held

SOURCE = "journey"
COMPLEMENTS = 10  # the products an order_complements offer is limited to, at most
KINDS = {"percent": "discount", "fixed": "discount", "free_shipping": "free_shipping",
         "free_product": "free_product"}


def key_of(enrolment: Enrolment, step: Offer) -> str:
    return f"enr:{enrolment.id}:{step.key}"


def issue(session: Session, enrolment: Enrolment, journey: Journey, step: Offer,
          now: datetime) -> tuple[DiscountCode | None, dict[str, Any]]:
    """(the enrolment's code for this step, what the history records). None, with
    the reason, when there is no one to give it to."""
    key = key_of(enrolment, step)
    earlier = codes.by_key(session, store_id=enrolment.store_id, source=SOURCE, key=key)
    if earlier is not None:
        return earlier, {"code_id": earlier.id, "again": True}
    if enrolment.customer_id is None:
        return None, {"skipped": "no customer to give a personal code to"}
    store = held(session, Store, enrolment.store_id)
    assert store is not None
    skus, categories, limited_by = limits(session, enrolment, step)
    code = codes.issue(
        session, store_id=enrolment.store_id, kind=KINDS[step.kind], source=SOURCE,
        value_minor=step.amount_minor, percent=step.percent_off,
        currency=store.currency if step.amount_minor is not None else None,
        skus=[step.sku] if step.sku else skus, categories=categories,
        expires_at=now + step.expires_in if step.expires_in else None,
        customer_id=enrolment.customer_id, source_id=journey.key, idempotency_key=key,
        enrolment_id=enrolment.id, now=now)
    return code, {"code_id": code.id, "code_end": code.code[-4:], "kind": step.kind,
                  "limited_by": limited_by,
                  "expires_at": code.expires_at.isoformat() if code.expires_at else None}


def limits(session: Session, enrolment: Enrolment, step: Offer
           ) -> tuple[list[str] | None, list[str] | None, str | None]:
    """(skus, categories, what limited them) for the step's offer."""
    if step.skus:
        return list(step.skus), None, "skus"
    if step.categories:
        return None, list(step.categories), "categories"
    if step.scope is None or enrolment.order_id is None:
        return None, None, None
    if step.scope == "order_complements":
        found = complements(session, store_id=enrolment.store_id, order_id=enrolment.order_id)
        if found:
            return found, None, "order_complements"
    categories = order_categories(session, store_id=enrolment.store_id,
                                  order_id=enrolment.order_id)
    return (None, categories, "order_categories") if categories else (None, None, None)


def order_categories(session: Session, *, store_id: int, order_id: int) -> list[str]:
    return sorted(c for c in session.scalars(
        select(Product.category).distinct().join(OrderLine, OrderLine.product_id == Product.id)
        .where(OrderLine.order_id == order_id, OrderLine.store_id == store_id,
               Product.store_id == store_id, Product.category.is_not(None))) if c)


def complements(session: Session, *, store_id: int, order_id: int) -> list[str]:
    """The SKUs most often in the same orders as this order's products, but not them."""
    mine = select(OrderLine.product_id).where(
        OrderLine.order_id == order_id, OrderLine.store_id == store_id,
        OrderLine.product_id.is_not(None))
    other, same = aliased(OrderLine), aliased(OrderLine)
    together = func.count(func.distinct(other.order_id))
    rows = session.execute(
        select(other.sku, together)
        .where(other.order_id.in_(select(same.order_id).where(
                   same.store_id == store_id, same.product_id.in_(mine),
                   same.order_id != order_id)),
               other.store_id == store_id, other.sku.is_not(None),
               other.product_id.is_not(None), other.product_id.not_in(mine))
        .group_by(other.sku).order_by(together.desc(), other.sku).limit(COMPLEMENTS))
    return [sku for sku, _ in rows if sku]


def latest_for(session: Session, enrolment: Enrolment) -> DiscountCode | None:
    """The newest code the enrolment's offer steps issued."""
    found = codes.for_enrolments(session, store_id=enrolment.store_id,
                                 enrolment_ids=[enrolment.id])
    return max(found, key=lambda c: c.id) if found else None
