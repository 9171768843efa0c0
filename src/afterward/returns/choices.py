"""What a shopper may choose when asking for a return, read from the store: per order
line how many units can still come back (or why none can), the reasons of its product
category, and the variants an exchange may be for (of the same product, or, when the
policy allows it, any other in stock, found by a search). Reads only; the request
itself is service.py's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from afterward.commerce.models import Order, Product, Variant
from afterward.returns import facts
from afterward.returns import policy as rules
from afterward.storage.types import utcnow


@dataclass(frozen=True)
class LineChoice:
    line_id: int
    sku: str
    title: str
    bought: int
    returnable: int  # 0 when `refusal` says why
    refusal: str | None  # item_not_returnable, already_returned, return_window_closed
    unit_paid_minor: int
    reasons: tuple[str, ...] = ()  # those of the line's product category


@dataclass(frozen=True)
class Choices:
    lines: tuple[LineChoice, ...]
    reasons: tuple[str, ...]
    deadline: datetime | None
    currency: str
    gift_returns: bool = True


def for_order(session: Session, order: Order, now: datetime | None = None) -> Choices:
    """Each line of the order as the policy sees it, asked for one unit of it."""
    now = now or utcnow()
    policy = facts.load_policy(session, store_id=order.store_id)
    known = facts.line_facts(session, order)
    order_facts = facts.order_facts(session, order)
    lines, deadlines = [], []
    for line in order.lines:
        fact = known[line.id]
        reasons = rules.reasons_for(policy, fact.category)
        reason = reasons[0] if reasons else "other"
        decision = rules.decide(policy, order_facts, [rules.Requested(fact, 1, reason)],
                                rules.History(), now)
        refusal = decision.refusal.code if decision.refusal else None
        if order.status == "cancelled" or not line.sku:
            refusal = "item_not_returnable"
        if decision.deadline is not None:
            deadlines.append(decision.deadline)
        lines.append(LineChoice(line.id, line.sku or "", line.title, line.quantity,
                                0 if refusal else fact.returnable, refusal, fact.paid_minor,
                                tuple(reasons)))
    return Choices(tuple(lines), tuple(policy.reasons), min(deadlines, default=None),
                   order.currency, policy.gift_returns)


@dataclass(frozen=True)
class ExchangeOption:
    sku: str
    title: str
    price_minor: int
    other_product: bool = False  # the store's credit bonus is added to the value


def exchange_options(session: Session, order: Order, skus: Sequence[str],
                     units: int) -> list[ExchangeOption]:
    """Other variants of the products being returned with `units` in stock (a variant
    without a count is not tracked: always available)."""
    products = {line.product_id for line in order.lines
                if line.sku in skus and line.product_id is not None}
    if not products:
        return []
    variants = session.scalars(select(Variant).where(
        Variant.store_id == order.store_id, Variant.product_id.in_(products))
        .order_by(Variant.product_id, Variant.id))
    return [ExchangeOption(v.sku, _title(v), v.price_minor) for v in variants
            if v.sku not in skus
            and (v.inventory_quantity is None or v.inventory_quantity >= units)]


SEARCH_LIMIT = 20


def other_products(session: Session, order: Order, skus: Sequence[str], units: int,
                   query: str = "", limit: int = SEARCH_LIMIT,
                   excluded_categories: Sequence[str] = (), sku: str | None = None
                   ) -> list[ExchangeOption]:
    """Variants of the store's other products in the order's currency with `units` in
    stock (not of the excluded categories: those that cannot be returned), whose
    product title, variant title or SKU contains every word of `query` (any case),
    cheapest first; with `sku`, that variant only."""
    returned = {line.product_id for line in order.lines
                if line.sku in skus and line.product_id is not None}
    found = (select(Variant).join(Product, Product.id == Variant.product_id)
             .options(joinedload(Variant.product))
             .where(Variant.store_id == order.store_id, Variant.sku.not_in(list(skus)),
                    Variant.currency == order.currency,
                    or_(Variant.inventory_quantity.is_(None),
                        Variant.inventory_quantity >= units)))
    if returned:
        found = found.where(Variant.product_id.not_in(returned))
    if sku is not None:
        found = found.where(Variant.sku == sku)
    if excluded_categories:
        found = found.where(or_(Product.category.is_(None),
                                Product.category.not_in(list(excluded_categories))))
    words = query.strip()[:100].casefold().split()
    for word in words[:5]:
        pattern = "%" + word.replace("\\", "").replace("%", "").replace("_", "") + "%"
        found = found.where(or_(func.lower(Product.title).like(pattern),
                                func.lower(func.coalesce(Variant.title, "")).like(pattern),
                                func.lower(Variant.sku).like(pattern)))
    rows = session.scalars(found.order_by(Variant.price_minor, Variant.id).limit(limit))
    return [ExchangeOption(v.sku, _title(v), v.price_minor, True) for v in rows]


def _title(variant: Variant) -> str:
    name = variant.product.title if variant.product else variant.sku
    return f"{name}, {variant.title}" if variant.title else name
