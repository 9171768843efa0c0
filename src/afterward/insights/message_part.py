"""The `insights` part of a message's context (Module.message_parts), for the customer
the message is to (REF `customer_id`): the facts the journeys see
(journey_facts.py), so a template reads `insights.segment`, `insights.clv_minor`,
`insights.next_order_due`. None when nothing is computed for the customer yet."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from afterward.insights import journey_facts
from afterward.storage.types import utcnow

NAME = "insights"
REF = "customer_id"


def load(session: Session, *, store_id: int, id: int, public_url: str,
         secret_key: str) -> dict[str, Any] | None:
    return journey_facts.load(session, store_id=store_id, customer_id=id,
                              now=utcnow()) or None


def sample(*, currency: str, public_url: str) -> dict[str, Any]:
    """Plausible values for previews and for checking a template before it is saved."""
    now = datetime.now(UTC).replace(microsecond=0)
    return {"segment": "champions", "churn_risk": "low", "p_alive": 0.93,
            "expected_orders_90d": 1.42, "clv_minor": 18400, "currency": currency,
            "next_order_due": date.today() + timedelta(days=12), "rfm": "555",
            "computed_at": now}
