"""What tracking says about holding a customer's messages back: a parcel in trouble
pauses the cheerful ones (a review request, an offer) until it is sorted out."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.commerce.models import Order
from afterward.tracking.models import Shipment
from afterward.tracking.statuses import Status


def open_exception(session: Session, store_id: int, customer_id: int) -> str | None:
    """'shipment_exception' while one of the customer's parcels is in exception."""
    found = session.scalar(
        select(Shipment.id).join(Order, Order.id == Shipment.order_id)
        .where(Shipment.store_id == store_id, Order.customer_id == customer_id,
               Shipment.status == Status.exception.value).limit(1))
    return "shipment_exception" if found is not None else None
