"""The `insights` root of the journeys' conditions and of messages' context
(Module.facts, Module.message_parts): the customer's figures of the store's latest
finished run (insights/recompute.py) -- `segment` (new, active, champions, at_risk,
lapsed), `churn_risk` (low, medium, high), `p_alive`, `clv_minor`,
`expected_orders_90d`, `next_order_due` (a date, or none), `rfm` ("RFM" scores as
"545"), `computed_at`. A customer without a run yet (no orders, or nothing computed
so far): {} (every field missing: a condition on it is false). Imported with the
journeys' conditions, so only the standard library at the top."""

from __future__ import annotations

from datetime import datetime
from typing import Any

NAME = "insights"
FIELDS = frozenset({"segment", "churn_risk", "p_alive", "clv_minor", "expected_orders_90d",
                    "next_order_due", "rfm", "computed_at", "currency"})


def load(session: Any, *, store_id: int, customer_id: int, now: datetime) -> dict[str, Any]:
    from afterward.insights import stored

    row = stored.of_customer(session, store_id=store_id, customer_id=customer_id)
    if row is None:
        return {}
    figures = stored.as_dict(row)
    rfm = figures.pop("rfm")
    return {**figures, "rfm": f"{rfm['recency']}{rfm['frequency']}{rfm['monetary']}"}
