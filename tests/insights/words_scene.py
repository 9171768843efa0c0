"""Customers' texts in a store for the words tests: reviews written as rows (the
feedback module's services are built beside this), returns through the returns
service on an order placed and shipped through the real services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from afterward.commerce import service as commerce
from afterward.commerce.schemas import OrderIn
from afterward.feedback.models import Review
from afterward.returns import service as returns
from afterward.returns.schemas import ReturnIn
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking import service as tracking
from afterward.tracking.statuses import Status
from tests.factories import order_body

START = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def add_reviews(db: Database, store_id: int, rows: list[tuple[str | None, str | None, int, str]],
                *, status: str = "published", start: datetime = START,
                step: timedelta = timedelta(days=3)) -> list[int]:
    """Reviews (title, body, rating, sku), one every `step` from `start`; their ids."""
    with db.transaction() as session:
        made = [Review(store_id=store_id, sku=sku, rating=rating, title=title, body=body,
                       author_name="Ada", source="api", status=status,
                       submitted_at=start + i * step)
                for i, (title, body, rating, sku) in enumerate(rows)]
        session.add_all(made)
        session.flush()
        return [review.id for review in made]


def add_return(db: Database, store_id: int, number: str,
               lines: list[tuple[str, str, str | None]]) -> int:
    """An order placed now, shipped, and a return of (sku, reason, comment) lines."""
    body = order_body(number, placed_at=(utcnow() - timedelta(days=2)).isoformat())
    with db.transaction() as session:
        order_id, _ = commerce.write_order(session, store_id=store_id,
                                           data=OrderIn.model_validate(body))
        tracking.upsert_shipment(session, store_id=store_id, order_id=order_id,
                                 draft=tracking.ShipmentDraft(
                                     external_id=f"f-{order_id}", carrier="ups",
                                     service="ground", tracking_number="1Z999AA10123456784",
                                     status=Status.in_transit,
                                     shipped_at=utcnow() - timedelta(days=1)))
    with db.transaction() as session:
        rma, _ = returns.request_return(session, store_id=store_id, data=ReturnIn.model_validate({
            "order_number": number, "resolution": "refund",
            "lines": [{"sku": sku, "quantity": 1, "reason": reason, "comment": comment}
                      for sku, reason, comment in lines]}))
        return rma.id
