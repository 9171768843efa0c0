"""A shop with a loyalty program: orders placed through the API, parcels delivered,
refunds and returns applied, and the loyalty consumer and periodic pass run by hand
(at a chosen `now`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from afterward.commerce.models import Order
from afterward.commerce.orders import RefundLine, apply_refund, cancel_order
from afterward.events import record
from afterward.loyalty import consumer, programs, tick
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking.models import Shipment
from tests.consuming import until_caught_up
from tests.factories import order_body

# 2 x 4.50 + 12.00 + 3 x 3.00 = 30.00 EUR of goods, 4.95 shipping
LINES = [
    {"sku": "TEA-1", "title": "Green tea", "quantity": 2, "unit_price_minor": 450,
     "external_id": "li-tea"},
    {"sku": "MUG-1", "title": "Mug", "quantity": 1, "unit_price_minor": 1200,
     "external_id": "li-mug"},
    {"sku": "CUP-1", "title": "Cup", "quantity": 3, "unit_price_minor": 300,
     "external_id": "li-cup"},
]


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@dataclass
class Club:
    client: Any
    db: Database
    store: Any

    @property
    def auth(self) -> dict[str, str]:
        return dict(self.store.auth)

    def put_program(self, **document: Any) -> Any:
        return self.client.put("/api/v1/loyalty/program", json=document, headers=self.auth)

    def order(self, number: str = "1001", *, placed: datetime | None = None,
              email: str = "ada@example.com", **extra: Any) -> tuple[int, int]:
        body = order_body(number, placed_at=iso(placed or utcnow() - timedelta(days=3)),
                          lines=[dict(line) for line in LINES], email=email,
                          customer={"email": email, "first_name": "Ada"}, **extra)
        answer = self.client.post("/api/v1/orders", json=body, headers=self.auth)
        assert answer.status_code == 201, answer.text
        return answer.json()["id"], answer.json()["customer_id"]

    def deliver(self, order_id: int, at: datetime) -> None:
        shipped = self.client.post("/api/v1/shipments", headers=self.auth, json={
            "order_id": order_id, "tracking_number": f"1Z999AA1012345678{order_id % 10}",
            "carrier": "ups", "status": "in_transit"})
        assert shipped.status_code == 201, shipped.text
        with self.db.transaction() as session:
            session.execute(update(Shipment).where(Shipment.id == shipped.json()["id"])
                            .values(delivered_at=at, status="delivered"))
            record(session, store_id=self.store.id, name="shipment.delivered",
                   subject_type="shipment", subject_id=shipped.json()["id"],
                   payload={"order_id": order_id}, occurred_at=at)

    def refund(self, order_id: int, amount_minor: int, lines: list[tuple[str, int]],
               key: str = "r1") -> None:
        with self.db.transaction() as session:
            order = session.scalar(select(Order).where(Order.id == order_id))
            assert apply_refund(session, order=order, refund_key=key,
                                amount_minor=amount_minor,
                                lines=[RefundLine(None, sku, n) for sku, n in lines])

    def cancel(self, order_id: int) -> None:
        with self.db.transaction() as session:
            order = session.scalar(select(Order).where(Order.id == order_id))
            assert cancel_order(session, order=order)

    def consume(self, now: datetime | None = None) -> int:
        """One batch, then more while events are held back: on PostgreSQL an event
        waits while an older transaction of the database is still running (another
        test's server process ending, say), and a batch may stop short of it."""
        batches = until_caught_up(lambda: self.db.run(lambda session: consumer.consume(
            session, store_id=self.store.id, now=now)), lambda done: done[1])
        return sum(int(events) for events, _ in batches)

    def tick(self, now: datetime) -> dict[str, int]:
        def work(session: Any) -> dict[str, int]:
            program = programs.load(session, store_id=self.store.id)
            return tick.run_store(session, store_id=self.store.id, program=program,
                                  now=now)
        return dict(self.db.run(work))

    def loyalty(self, customer_id: int) -> dict[str, Any]:
        answer = self.client.get(f"/api/v1/customers/{customer_id}/loyalty",
                                 headers=self.auth)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def points(self, customer_id: int) -> tuple[int, int, int]:
        """(balance, pending, debt)"""
        found = self.loyalty(customer_id)
        return found["points_balance"], found["points_pending"], found["points_debt"]

    def adjust(self, customer_id: int, points: int, key: str, reason: str = "goodwill"
               ) -> Any:
        return self.client.post("/api/v1/loyalty/adjustments", headers=self.auth, json={
            "customer_id": customer_id, "points": points, "reason": reason,
            "idempotency_key": key})


@pytest.fixture
def club(client, db, store) -> Club:
    made = Club(client, db, store)
    assert made.put_program(points_per_currency_unit=10, pending_days=30).status_code == 200
    return made
