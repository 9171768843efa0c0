"""The `goes_with` part of a message's context (Module.message_parts), for a message
about an order (REF `order_id`): what goes with what was bought, the same list the
tracking page shows and `GET /api/v1/orders/{id}/recommendations` gives
(recs_serve.for_order): `{"products": [{"sku", "title", "score", "price_minor",
"currency", "image_url"}]}` (not "items": in a template `goes_with.items` would be the
dict's method). Named `goes_with`, not `recommendations`: that key is messaging's own
(co-purchase counts padded with best sellers), which older templates read as a list."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from afterward.insights import recs_serve

NAME = "goes_with"
REF = "order_id"
SHOWN = 4  # an email lists a few


def load(session: Session, *, store_id: int, id: int, public_url: str,
         secret_key: str) -> dict[str, Any] | None:
    items = recs_serve.for_order(session, store_id=store_id, order_id=id, limit=SHOWN)
    if items is None:
        return None
    return {"products": [item.as_dict() for item in items]}


def sample(*, currency: str, public_url: str) -> dict[str, Any]:
    """Plausible values for previews and for checking a template before it is saved."""
    return {"products": [
        {"sku": "WHISK-1", "title": "Bamboo tea whisk", "score": 0.5, "price_minor": 1500,
         "currency": currency, "image_url": None},
        {"sku": "CADDY-1", "title": "Tea caddy", "score": 0.25, "price_minor": 900,
         "currency": currency, "image_url": None}]}
