"""Signed Shopify deliveries through the real webhook route, and what they left."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from afterward.commerce.models import Customer, Order, OrderLine
from afterward.events import Event
from afterward.inbound.models import HeldDelivery, WebhookReceipt
from afterward.tracking.models import Shipment

DATA = Path(__file__).parent.parent / "data" / "shopify"
SECRET = "shpss_test_secret"


def resource(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())[name]


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def deliver(client, topic: str, payload: Any, *, slug: str = "acme",
            signature: str | None = None, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {"X-Shopify-Topic": topic, "Content-Type": "application/json",
               "X-Shopify-Hmac-Sha256": signature if signature is not None else sign(body)}
    return client.post(f"/api/v1/webhooks/shopify/{slug}", content=body, headers=headers)


def counts(db) -> dict[str, int]:
    with db.reading() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (Order, OrderLine, Customer, Event, Shipment, WebhookReceipt,
                              HeldDelivery)}


def stored_order(db, external_id: str | int) -> Order | None:
    """The Shopify order with this id, lines loaded, detached from its session."""
    with db.reading() as session:
        order = session.scalar(select(Order).where(Order.source == "shopify",
                                                   Order.external_id == str(external_id)))
        if order is not None:
            session.expunge(order)
        return order


def set_aside(db) -> list[tuple[str, str]]:
    """(topic, waiting_for) of each held or kept-for-review delivery."""
    with db.reading() as session:
        return [(row.topic, row.waiting_for) for row in session.scalars(
            select(HeldDelivery).order_by(HeldDelivery.id))]
