"""The `subscription` root of the journeys' conditions (Module.facts), about the order
of the enrolment (BY_ORDER): of the customer's subscriptions in the store's latest
finished run (insights/subscriptions.py) to a product of that order, the one whose
renewal is most at risk -- `sku`, `title`, `source` (flagged, detected), `status`
(active, lapsed), `interval_days`, `next_renewal_on`, `renewal_risk` (0..1),
`reasons` (a list of names), `at_risk` (risk >= subscriptions.AT_RISK),
`days_to_renewal` (from now; negative once missed). A subscription's first order,
before a run has seen it: from its first line bought on a subscription whose product
declares `replenishment_days` (risk None). {} when none (a condition on it is then
false). The built-in subscription_renewal_risk journey waits
`interval_days - 3` days after a renewal order, then reads it again. Imported with
the journeys' conditions, so only the standard library at the top."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

NAME = "subscription"
BY_ORDER = True
FIELDS = frozenset({"sku", "title", "source", "status", "interval_days", "next_renewal_on",
                    "renewal_risk", "reasons", "at_risk", "days_to_renewal"})


def load(session: Any, *, store_id: int, customer_id: int | None, now: datetime,
         order_id: int | None = None) -> dict[str, Any]:
    from sqlalchemy import select

    from afterward.commerce.models import Order, OrderLine
    from afterward.insights import stored, subscriptions

    if order_id is None or customer_id is None:
        return {}
    skus = sorted(set(session.scalars(select(OrderLine.sku).join(
        Order, Order.id == OrderLine.order_id).where(
        Order.id == order_id, Order.store_id == store_id, OrderLine.sku.is_not(None)))))
    owned = stored.subscriptions(session, store_id=store_id, customer_id=customer_id,
                                 skus=skus) if skus else []
    if not owned:
        return _first_order(session, store_id, order_id, now)
    row = max(owned, key=lambda s: (s.renewal_risk, -s.next_renewal_on.toordinal()))
    found = stored.subscription_dict(row)
    found.pop("orders")
    found.pop("last_order_on")
    return {**found, "at_risk": found["renewal_risk"] >= subscriptions.AT_RISK,
            "days_to_renewal": (row.next_renewal_on - now.astimezone(UTC).date()).days}


def _first_order(session: Any, store_id: int, order_id: int, now: datetime
                 ) -> dict[str, Any]:
    """A subscription's first order, which no run has seen yet: its first line bought on
    a subscription whose product declares `replenishment_days` renews that many days
    after it; its risk is not known yet (None)."""
    from datetime import timedelta

    from sqlalchemy import select

    from afterward.commerce.models import Order, OrderLine, Product

    row = session.execute(select(OrderLine.sku, OrderLine.title, Product.title.label("name"),
                                 Product.replenishment_days, Order.placed_at)
                          .join(Order, Order.id == OrderLine.order_id)
                          .join(Product, Product.id == OrderLine.product_id)
                          .where(Order.id == order_id, Order.store_id == store_id,
                                 OrderLine.subscription.is_(True), OrderLine.sku.is_not(None),
                                 Product.replenishment_days > 0)
                          .order_by(OrderLine.position).limit(1)).first()
    if row is None:
        return {}
    placed = row.placed_at if row.placed_at.tzinfo else row.placed_at.replace(tzinfo=UTC)
    renews = placed.astimezone(UTC).date() + timedelta(days=row.replenishment_days)
    return {"sku": row.sku, "title": row.name or row.title, "source": "flagged",
            "status": "active", "interval_days": float(row.replenishment_days),
            "next_renewal_on": renews, "renewal_risk": None, "reasons": [], "at_risk": False,
            "days_to_renewal": (renews - now.astimezone(UTC).date()).days}
