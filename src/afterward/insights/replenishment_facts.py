"""The `replenishment` root of the journeys' conditions (Module.facts), about the
order of the enrolment (BY_ORDER): for the order's product that runs out first (the
line the `product` root names: the smallest `replenishment_days`, else the first
line), `days` -- how long this customer takes to use it up: their own interval for
that SKU in the latest run (basis own, or blended with the product's), else the
product's `replenishment_days` -- with `basis` (own, blended or product), `sku` and
`due_at` (the stored date, counted from the purchase before this order). The
built-in replenishment_reminder journey waits `days - 5`. Imported with the
journeys' conditions, so only the standard library at the top."""

from __future__ import annotations

from datetime import datetime
from typing import Any

NAME = "replenishment"
BY_ORDER = True
FIELDS = frozenset({"days", "basis", "sku", "due_at"})


def load(session: Any, *, store_id: int, customer_id: int | None, now: datetime,
         order_id: int | None = None) -> dict[str, Any]:
    from sqlalchemy import select

    from afterward.commerce.models import Order, OrderLine, Product
    from afterward.insights import stored

    if order_id is None:
        return {}
    lines = session.execute(select(OrderLine.sku, OrderLine.position,
                                   Product.replenishment_days)
                            .join(Order, Order.id == OrderLine.order_id)
                            .join(Product, Product.id == OrderLine.product_id)
                            .where(Order.id == order_id, Order.store_id == store_id)
                            .order_by(OrderLine.position)).all()
    if not lines:
        return {}
    refillable = [row for row in lines if row.replenishment_days]
    chosen = (min(refillable, key=lambda r: (r.replenishment_days, r.position))
              if refillable else lines[0])
    sku, declared = chosen.sku, chosen.replenishment_days
    if customer_id is not None and sku:
        for row in stored.replenishment(session, store_id=store_id, customer_id=customer_id,
                                        skus=[sku]):
            if row.basis in ("own", "blended"):
                return {"days": round(float(row.interval_days), 2), "basis": row.basis,
                        "sku": sku, "due_at": row.due_at}
    return {"days": declared, "basis": "product" if declared else None, "sku": sku,
            "due_at": None}
