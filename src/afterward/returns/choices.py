"""What a shopper may choose when asking for a return, read from the store: per order
line how many units can still come back (or why none can), the store's reasons, and
the variants an exchange may be for. Reads only; the request itself is service.py's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.commerce.models import Order, Variant
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


@dataclass(frozen=True)
class Choices:
    lines: tuple[LineChoice, ...]
    reasons: tuple[str, ...]
    deadline: datetime | None
    currency: str


def for_order(session: Session, order: Order, now: datetime | None = None) -> Choices:
    """Each line of the order as the policy sees it, asked for one unit of it."""
    now = now or utcnow()
    policy = facts.load_policy(session, store_id=order.store_id)
    known = facts.line_facts(session, order)
    order_facts = facts.order_facts(session, order)
    reason = policy.reasons[0] if policy.reasons else "other"
    lines, deadlines = [], []
    for line in order.lines:
        fact = known[line.id]
        decision = rules.decide(policy, order_facts, [rules.Requested(fact, 1, reason)],
                                rules.History(), now)
        refusal = decision.refusal.code if decision.refusal else None
        if order.status == "cancelled" or not line.sku:
            refusal = "item_not_returnable"
        if decision.deadline is not None:
            deadlines.append(decision.deadline)
        lines.append(LineChoice(line.id, line.sku or "", line.title, line.quantity,
                                0 if refusal else fact.returnable, refusal, fact.paid_minor))
    return Choices(tuple(lines), tuple(policy.reasons), min(deadlines, default=None),
                   order.currency)


@dataclass(frozen=True)
class ExchangeOption:
    sku: str
    title: str
    price_minor: int


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


def _title(variant: Variant) -> str:
    name = variant.product.title if variant.product else variant.sku
    return f"{name}, {variant.title}" if variant.title else name
