"""A member of a loyalty program, for the page tests: a program with tiers and
rewards, one order delivered (its points pending), and points given by hand."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from afterward.loyalty import links
from afterward.storage.types import utcnow
from afterward.tracking.models import Shipment
from tests.loyalty.conftest import Club

SECRET = "test-secret-key-0123456789"  # tests/conftest.py's settings
REWARDS = [
    {"key": "five-off", "name": "5 off", "points": 500, "discount_minor": 500},
    {"key": "ten-off", "name": "10 off", "points": 900, "discount_minor": 1000},
    {"key": "mug", "name": "A free mug", "points": 300, "product_sku": "MUG-1"},
    {"key": "ship", "name": "Free shipping", "points": 200, "free_shipping": True},
]
TIERS = [{"key": "silver", "name": "Silver", "min_spend_minor": 2000},
         {"key": "gold", "name": "Gold", "min_spend_minor": 10000}]


@dataclass
class Member:
    club: Club
    customer_id: int
    order_id: int

    @property
    def path(self) -> str:
        return links.member_path(SECRET, self.club.store.id, self.customer_id)

    def page(self, **params: str) -> Any:
        return self.club.client.get(self.path, params=params)

    def redeem(self, reward: str, page: Any | None = None,
               changed: dict[str, str] | None = None) -> Any:
        shown = (page or self.page()).text
        form = {"csrf": field(shown, "csrf"), "key": key_for(shown, reward),
                "reward": reward, **(changed or {})}
        return self.club.client.post(f"{self.path}/redeem", data=form)

    def tracking_token(self) -> str:
        with self.club.db.reading() as session:
            return str(session.scalar(select(Shipment.token).where(
                Shipment.order_id == self.order_id)))


def field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, f"no {name} field"
    return found.group(1)


def key_for(html: str, reward: str) -> str:
    found = re.search(rf'name="key" value="([^"]+-{re.escape(reward)})"', html)
    assert found, f"no form for {reward}"
    return found.group(1)


def member(club: Club, points: int = 600) -> Member:
    assert club.put_program(points_per_currency_unit=10, pending_days=30, tiers=TIERS,
                            rewards=REWARDS).status_code == 200
    order_id, customer_id = club.order()
    club.consume()
    club.deliver(order_id, utcnow() - timedelta(days=2))
    club.consume()
    if points:
        assert club.adjust(customer_id, points, "welcome", reason="welcome").status_code == 201
    return Member(club, customer_id, order_id)
