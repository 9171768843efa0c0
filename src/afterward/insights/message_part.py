"""The `insights` part of a message's context (Module.message_parts), for the customer
the message is to (REF `customer_id`): the facts the journeys see
(journey_facts.py), so a template reads `insights.segment`, `insights.clv_minor`,
`insights.next_order_due`, and `insights.subscriptions` (each with its
`next_renewal_on`, `renewal_risk` and `reasons`). None when nothing is computed for
the customer yet."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from afterward.insights import journey_facts, stored
from afterward.storage.types import utcnow

NAME = "insights"
REF = "customer_id"


def load(session: Session, *, store_id: int, id: int, public_url: str,
         secret_key: str) -> dict[str, Any] | None:
    facts = journey_facts.load(session, store_id=store_id, customer_id=id, now=utcnow())
    if not facts:
        return None
    owned = stored.subscriptions(session, store_id=store_id, customer_id=id)
    return {**facts, "subscriptions": [stored.subscription_dict(s) for s in owned]}


def sample(*, currency: str, public_url: str) -> dict[str, Any]:
    """Plausible values for previews and for checking a template before it is saved."""
    now = datetime.now(UTC).replace(microsecond=0)
    return {"segment": "champions", "churn_risk": "low", "p_alive": 0.93,
            "expected_orders_90d": 1.42, "clv_minor": 18400, "currency": currency,
            "next_order_due": date.today() + timedelta(days=12), "rfm": "555",
            "computed_at": now,
            "subscriptions": [{"sku": "COFFEE-1KG", "title": "Coffee beans, 1 kg",
                               "source": "flagged", "status": "active", "orders": 5,
                               "interval_days": 30.0,
                               "last_order_on": date.today() - timedelta(days=26),
                               "next_renewal_on": date.today() + timedelta(days=4),
                               "renewal_risk": 0.45,
                               "reasons": ["churn_risk", "returned_last_order"]}]}
