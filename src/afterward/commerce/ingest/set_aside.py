"""Deliveries taken but not applied, for the admin to see and act on: those held until
what they refer to arrives (a fulfillment before its order, a carrier's scan before
its parcel) and the Shopify deliveries kept for review (a value that cannot be read
without guessing, another order's number). Kept ones can be applied again (after the
clash is fixed) or dismissed; held ones are applied by themselves when their order or
parcel arrives, or dismissed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.commerce.ingest import shopify
from afterward.commerce.ingest.shopify import REVIEW_PREFIX
from afterward.inbound.models import HeldDelivery


@dataclass(frozen=True)
class SetAside:
    id: int
    provider: str
    topic: str
    kept_for_review: bool
    reason: str  # why it waits: what it is kept for, or what it waits for
    received_at: datetime
    body: dict[str, Any]


def list_set_aside(session: Session, *, store_id: int, limit: int,
                   after_id: int | None = None) -> list[SetAside]:
    """The store's deliveries set aside, oldest first, `limit` of them after `after_id`."""
    query = select(HeldDelivery).where(HeldDelivery.store_id == store_id)
    if after_id is not None:
        query = query.where(HeldDelivery.id > after_id)
    rows = session.scalars(query.order_by(HeldDelivery.id).limit(limit))
    return [_shown(row) for row in rows]


def _shown(row: HeldDelivery) -> SetAside:
    kept = row.waiting_for.startswith(REVIEW_PREFIX)
    reason = row.waiting_for.removeprefix(REVIEW_PREFIX) if kept else row.waiting_for
    return SetAside(row.id, row.provider, row.topic, kept, reason, row.received_at, row.body)


def apply_again(session: Session, *, store_id: int, delivery_id: int) -> str | None:
    """Apply a kept Shopify delivery again, as if it had just arrived: its outcome
    ('applied', 'held', 'kept_for_review' when it still cannot be applied, ...), or
    None when the store has no such kept delivery (already applied or dismissed)."""
    row = _kept(session, store_id, delivery_id)
    if row is None:
        return None
    topic, body, key = row.topic, row.body, row.delivery_key
    session.delete(row)
    session.flush()
    return shopify.apply(session, store_id=store_id, topic=topic, payload=body,
                         delivery_key=key)


def dismiss(session: Session, *, store_id: int, delivery_id: int) -> bool:
    """Forget a delivery set aside; False when the store has no such delivery."""
    row = session.scalar(select(HeldDelivery).where(
        HeldDelivery.id == delivery_id, HeldDelivery.store_id == store_id).with_for_update())
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def _kept(session: Session, store_id: int, delivery_id: int) -> HeldDelivery | None:
    return session.scalar(select(HeldDelivery).where(
        HeldDelivery.id == delivery_id, HeldDelivery.store_id == store_id,
        HeldDelivery.provider == "shopify",
        HeldDelivery.waiting_for.startswith(REVIEW_PREFIX)).with_for_update())
