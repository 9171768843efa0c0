"""The `review` root of the journeys' conditions (Module.facts), about the order of
the enrolment (BY_ORDER: the journeys hand the order's id): whether its review
request is answered (every item reviewed by its buyer), how many items are left,
and whether the order went back (a return asked for, a refund): the built-in
review_request journey reminds only while `review.open`. Imported with the
journeys' conditions, so only the standard library at the top."""

from __future__ import annotations

from datetime import datetime
from typing import Any

NAME = "review"
BY_ORDER = True
FIELDS = frozenset({"open", "answered", "items", "reviewed", "returned"})


def load(session: Any, *, store_id: int, customer_id: int | None, now: datetime,
         order_id: int | None = None) -> dict[str, Any]:
    from sqlalchemy import select

    from afterward.feedback import collection
    from afterward.feedback import settings as review_settings
    from afterward.returns.models import Return

    if order_id is None:
        return {}
    order = collection.order_of(session, store_id=store_id, order_id=order_id)
    if order is None:
        return {"open": False, "answered": False, "items": 0, "reviewed": 0,
                "returned": False}
    settings = review_settings.load(session, store_id=store_id)
    skus = {item.sku for item in collection.items(session, order, settings)}
    done = collection.reviewed(session, store_id=store_id, order_id=order.id) & skus
    returned = bool(order.refunded_minor) or session.scalar(select(Return.id).where(
        Return.store_id == store_id, Return.order_id == order.id).limit(1)) is not None
    answered = bool(skus) and done == skus
    return {"open": bool(skus) and not answered and not returned, "answered": answered,
            "items": len(skus), "reviewed": len(done), "returned": returned}
