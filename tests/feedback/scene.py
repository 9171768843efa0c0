"""A shop with reviewable products: a tea (category "tea", rated for taste), a mug
and a cup (category "home"); orders placed through the API; counts of what reviews
left behind, to assert that a refusal wrote nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from afterward.commerce.code_models import DiscountCode
from afterward.events import Event
from afterward.feedback.models import Review, ReviewPhoto, ReviewRequest
from afterward.storage.db import Database
from tests.factories import order_body, product_body

SECRET = "test-secret-key-0123456789"  # conftest's settings


@dataclass
class Shop:
    client: Any
    db: Database
    store: Any

    @property
    def auth(self) -> dict[str, str]:
        return dict(self.store.auth)

    def order(self, number: str = "1001", email: str = "ada@example.com",
              **extra: Any) -> dict[str, Any]:
        body = order_body(number, email=email, customer={
            "email": email, "first_name": "Ada", "last_name": "Lovelace"}, **extra)
        answer = self.client.post("/api/v1/orders", json=body, headers=self.auth)
        assert answer.status_code == 201, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def review(self, headers: dict[str, str] | None = None, **fields: Any) -> Any:
        body = {"sku": "TEA-1", "rating": 5, "title": "Lovely", "body": "Fresh and green.",
                "author_name": "Ada", "email": "ada@example.com", **fields}
        return self.client.post("/api/v1/reviews", json=body,
                                headers={**self.auth, **(headers or {})})

    def put_settings(self, **document: Any) -> Any:
        answer = self.client.put("/api/v1/reviews/settings", json=document, headers=self.auth)
        assert answer.status_code == 200, answer.text
        return answer


def open_shop(client: Any, db: Database, make_store: Any, slug: str = "acme") -> Shop:
    shop = Shop(client, db, make_store(slug, currency="EUR"))
    for sku, title, category in (("TEA-1", "Green tea", "tea"), ("MUG-1", "Mug", "home"),
                                 ("CUP-1", "Cup", "home")):
        answer = client.post("/api/v1/products", headers=shop.auth, json=product_body(
            sku, title=title, category=category, external_id=f"p-{sku}"))
        assert answer.status_code == 201, answer.text
    return shop


def snapshot(db: Database) -> dict[str, int]:
    with db.reading() as session:
        counts = {m.__tablename__: int(session.scalar(select(func.count()).select_from(m))
                                       or 0)
                  for m in (Review, ReviewPhoto, ReviewRequest, DiscountCode)}
        counts["review_events"] = int(session.scalar(select(func.count()).select_from(
            Event).where(Event.name.like("review.%"))) or 0)
        return counts
