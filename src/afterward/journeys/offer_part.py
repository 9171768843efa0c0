"""The `offer` part of a message's context (Module.message_parts): the personal code
a journey's offer step issued (journeys/offers.py), named by `offer_code_id` in the
message's refs. What a built-in email shows: the code, what it gives, until when,
and the products or categories it applies to (none: the whole store)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afterward.commerce import codes, products
from afterward.commerce.code_models import DiscountCode
from afterward.commerce.models import OrderLine
from afterward.storage.types import utcnow

NAME = "offer"
REF = "offer_code_id"


def load(session: Session, *, store_id: int, id: int, public_url: str,
         secret_key: str) -> dict[str, Any] | None:
    code = session.get(DiscountCode, id)
    if code is None or code.store_id != store_id:
        return None
    return part(session, code)


def part(session: Session, code: DiscountCode) -> dict[str, Any]:
    titles: list[str] = []
    if code.skus:
        found = products.variants_by_sku(session, store_id=code.store_id, skus=code.skus)
        missing = [sku for sku in code.skus if sku not in found]
        sold = dict(session.execute(  # a SKU with no product row: as an order named it
            select(OrderLine.sku, func.max(OrderLine.title)).where(
                OrderLine.store_id == code.store_id, OrderLine.sku.in_(missing))
            .group_by(OrderLine.sku)).tuples().all()) if missing else {}
        for sku in code.skus:
            variant = found.get(sku)
            title = variant.product.title if variant is not None else sold.get(sku) or sku
            if title not in titles:
                titles.append(title)
    return {
        "code": code.code, "kind": code.kind, "percent_off": code.percent,
        "amount_minor": code.value_minor, "currency": code.currency,
        "expires_at": code.expires_at, "skus": list(code.skus or []),
        "categories": list(code.categories or []), "products": titles,
        "status": code.status, "usable": codes.usable(code, utcnow()),
    }


def sample(*, currency: str, public_url: str) -> dict[str, Any]:
    """Plausible values for previews and for checking a template before it is saved."""
    return {
        "code": "K7M2Q9XR4TW8HN3B", "kind": "discount", "percent_off": 10,
        "amount_minor": None, "currency": None,
        "expires_at": datetime.now(UTC).replace(microsecond=0) + timedelta(days=30),
        "skus": ["MUG-1"], "categories": [], "products": ["Stoneware mug"],
        "status": "issued", "usable": True,
    }
