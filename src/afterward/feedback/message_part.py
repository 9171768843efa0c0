"""The `review` part of a message's context (Module.message_parts), for a message
about an order (REF `order_id`): the signed link to the order's review form (`url`,
fresh for each message, so a reminder's link lasts as long as the first one did),
the items and how many are reviewed already. Read only: the request row is made
by the first answer (collection.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from afterward.feedback import collection, links
from afterward.feedback import settings as review_settings
from afterward.storage.types import utcnow

NAME = "review"
REF = "order_id"


def load(session: Session, *, store_id: int, id: int, public_url: str,
         secret_key: str) -> dict[str, Any] | None:
    order = collection.order_of(session, store_id=store_id, order_id=id)
    if order is None:
        return None
    settings = review_settings.load(session, store_id=store_id)
    items = collection.items(session, order, settings)
    done = collection.reviewed(session, store_id=store_id, order_id=order.id)
    return {
        "url": links.form_url(public_url, secret_key, store_id, order.id)
        if secret_key and items else None,
        "expires_at": utcnow() + timedelta(days=settings.link_days),
        "items": [{"sku": i.sku, "title": i.title, "reviewed": i.sku in done} for i in items],
        "reviewed": len(done & {i.sku for i in items}),
        "answered": bool(items) and {i.sku for i in items} <= done,
    }


def sample(*, currency: str, public_url: str) -> dict[str, Any]:
    """Plausible values for previews and for checking a template before it is saved."""
    now = datetime.now(UTC).replace(microsecond=0)
    return {"url": f"{public_url.rstrip('/')}/review/sample",
            "expires_at": now + timedelta(days=60),
            "items": [{"sku": "MUG-1", "title": "Stoneware mug", "reviewed": False},
                      {"sku": "TEA-1", "title": "Green tea", "reviewed": True}],
            "reviewed": 1, "answered": False}
