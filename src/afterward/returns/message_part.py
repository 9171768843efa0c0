"""The `return` part of a message's context (Module.message_parts): what the built-in
return messages say — its number, items, what it resolves to and for how much, the
deadline, and the links to its label and status page. A message about a return has
`return_id` in its refs (the journeys hand on the enrolment's subject)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from afterward.commerce import service as commerce
from afterward.returns import links, service
from afterward.returns.models import Return

NAME = "return"
REF = "return_id"


def load(session: Session, *, store_id: int, id: int, public_url: str,
         secret_key: str) -> dict[str, Any] | None:
    rma = session.get(Return, id)
    if rma is None or rma.store_id != store_id:
        return None
    base = public_url.rstrip("/")
    exchange = commerce.get_order(session, store_id=store_id, order_id=rma.exchange_order_id) \
        if rma.exchange_order_id else None
    return {
        "number": rma.number, "status": rma.status, "resolution": rma.resolution,
        "currency": rma.currency, "value_minor": rma.value_minor,
        "refund_minor": rma.refund_minor, "credit_minor": rma.credit_minor,
        "fee_minor": rma.fee_minor, "bonus_minor": rma.bonus_minor,
        "exchange_for_sku": rma.exchange_for_sku, "difference_minor": rma.difference_minor,
        "exchange_order_number": exchange.number if exchange is not None else None,
        "reject_reason": rma.reject_reason, "deadline_at": rma.deadline_at,
        "lines": [{"title": line.title, "sku": line.sku, "quantity": line.quantity,
                   "received_quantity": line.received_quantity, "accepted": line.accepted}
                  for line in rma.lines],
        "label_url": _label_url(rma, base),
        "status_url": base + links.status_path(secret_key, store_id, rma.id)
        if secret_key else None,
    }


def _label_url(rma: Return, base: str) -> str | None:
    """Our own PDF label; a carrier's once bought (None while it is being prepared:
    the status page says so and links it when it is there)."""
    if not service.has_label(rma):
        return None
    if rma.label_carrier is not None:
        return rma.carrier_label_url if rma.label_status == "issued" else None
    return base + service.label_path(rma)


def sample(*, currency: str, public_url: str) -> dict[str, Any]:
    """Plausible values for previews and for checking a template before it is saved."""
    base = public_url.rstrip("/")
    return {
        "number": "R7K2M9Q4X", "status": "approved", "resolution": "store_credit",
        "currency": currency, "value_minor": 1200, "refund_minor": 0, "credit_minor": 1320,
        "fee_minor": 0, "bonus_minor": 120, "exchange_for_sku": None, "difference_minor": None,
        "exchange_order_number": None, "reject_reason": None,
        "deadline_at": datetime.now(UTC).replace(microsecond=0) + timedelta(days=14),
        "lines": [{"title": "Stoneware mug", "sku": "MUG-1", "quantity": 1,
                   "received_quantity": 0, "accepted": None}],
        "label_url": f"{base}/returns/labels/sample.pdf",
        "status_url": f"{base}/returns/r/sample",
    }
