"""A shop to return things to: a catalogue (tea, mugs in two colours, a gift card), an
order of 2 teas, a blue mug and 3 cups delivered five days ago, and helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking.models import Shipment
from tests.factories import order_body
from tests.messaging.conftest import (  # noqa: F401  (fixtures: messages go to the outbox
    messaging_runtime,  # unless a test brings the loopback SMTP server)
    smtp,
    smtp_server,
)

CATALOGUE = [
    {"external_id": "p-tea", "title": "Green tea", "category": "tea",
     "variants": [{"sku": "TEA-1", "price_minor": 450, "currency": "EUR"}]},
    {"external_id": "p-mug", "title": "Mug", "category": "home",
     "variants": [{"sku": "MUG-1", "title": "Blue", "price_minor": 1200, "currency": "EUR",
                   "inventory_quantity": 5},
                  {"sku": "MUG-2", "title": "Red", "price_minor": 1200, "currency": "EUR",
                   "inventory_quantity": 0},
                  {"sku": "MUG-3", "title": "Large", "price_minor": 1500, "currency": "EUR"}]},
    {"external_id": "p-cup", "title": "Cup", "category": "home",
     "variants": [{"sku": "CUP-1", "price_minor": 300, "currency": "EUR"}]},
    {"external_id": "p-pot", "title": "Teapot", "category": "home",
     "variants": [{"sku": "POT-1", "price_minor": 2500, "currency": "EUR"}]},
    {"external_id": "p-card", "title": "Gift card", "category": "gift_cards",
     "variants": [{"sku": "CARD-1", "price_minor": 2000, "currency": "EUR"}]},
]


@dataclass
class Shop:
    client: Any
    db: Database
    store: Any
    order_id: int
    customer_id: int

    @property
    def auth(self) -> dict[str, str]:
        return dict(self.store.auth)

    def request(self, lines: list[dict[str, Any]] | None = None, resolution: str = "refund",
                headers: dict[str, str] | None = None, **extra: Any) -> Any:
        body = {"order_number": "1001", "resolution": resolution,
                "lines": lines or [{"sku": "MUG-1", "quantity": 1, "reason": "too_small"}],
                **extra}
        return self.client.post("/api/v1/returns", json=body,
                                headers={**self.auth, **(headers or {})})

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(path, json=body, headers=self.auth)

    def get(self, path: str) -> Any:
        return self.client.get(path, headers=self.auth)

    def put_policy(self, **policy: Any) -> None:
        answer = self.client.put("/api/v1/returns/policy", json=policy, headers=self.auth)
        assert answer.status_code == 200, answer.text

    def deliver(self, at: datetime | None) -> None:
        with self.db.transaction() as session:
            session.execute(update(Shipment).where(Shipment.order_id == self.order_id)
                            .values(delivered_at=at))

    def count(self, model: Any, *where: Any) -> int:
        with self.db.reading() as session:
            return int(session.scalar(select(func.count()).select_from(model).where(*where))
                       or 0)


def make_shop(client: Any, db: Database, store: Any, *, delivered_days_ago: int = 5,
              **order: Any) -> Shop:
    for product in CATALOGUE:
        assert client.post("/api/v1/products", json=product,
                           headers=store.auth).status_code == 201
    placed = utcnow() - timedelta(days=delivered_days_ago + 3)
    body = order_body("1001", placed_at=placed.isoformat().replace("+00:00", "Z"), **order)
    body["lines"] = [{**line, "external_id": f"li-{n}"} for n, line in enumerate(body["lines"])]
    answer = client.post("/api/v1/orders", json=body, headers=store.auth)
    assert answer.status_code == 201, answer.text
    shipped = client.post("/api/v1/shipments", headers=store.auth, json={
        "order_id": answer.json()["id"], "tracking_number": "1Z999AA10123456784",
        "carrier": "ups", "status": "in_transit",
        "shipped_at": (placed + timedelta(days=1)).isoformat()})
    assert shipped.status_code == 201, shipped.text
    shop = Shop(client, db, store, answer.json()["id"], answer.json()["customer_id"])
    shop.deliver(utcnow() - timedelta(days=delivered_days_ago))
    return shop


@pytest.fixture
def shop(client, db, store) -> Shop:
    return make_shop(client, db, store)


def stock(shop: Shop, sku: str) -> int | None:
    from afterward.commerce.models import Variant

    with shop.db.reading() as session:
        return session.scalar(select(Variant.inventory_quantity).where(Variant.sku == sku))
