"""Commerce's part of a customer's export and erasure (afterward/privacy.py): the
customer, their consents, and their orders with lines. Erasure scrubs identity
from the customer and from their orders' contact and address fields; totals,
lines and the region and country of the address stay for the store's figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from afterward.commerce.code_models import DiscountCode
from afterward.commerce.models import Consent, Customer, Order, OrderLine
from afterward.events import EventName, record
from afterward.privacy import changed, section
from afterward.storage.types import utcnow

CUSTOMER_IDENTITY = ("external_id", "email", "phone", "first_name", "last_name", "birthday")
ORDER_IDENTITY = ("email", "phone", "ship_name", "ship_address1", "ship_city",
                  "ship_postal_code", "payment_fingerprint")
_CUSTOMER_FIELDS = (*CUSTOMER_IDENTITY, "locale", "timezone", "orders_count",
                    "total_spent_minor", "first_order_at", "last_order_at", "account_state",
                    "created_at")
_ORDER_FIELDS = ("id", "number", "source", "currency", "subtotal_minor", "shipping_minor",
                 "tax_minor", "discount_minor", "total_minor", "refunded_minor", "status",
                 "placed_at", *ORDER_IDENTITY, "ship_region", "ship_country")
_LINE_FIELDS = ("sku", "title", "quantity", "unit_price_minor", "total_minor",
                "refunded_quantity")
# Codes stay on erasure (money the store owes); nothing in them names the customer.
_CODE_FIELDS = ("code", "kind", "value_minor", "percent", "currency", "source", "status",
                "expires_at", "used_order_id", "used_at", "cancelled_at", "created_at")


def plain(value: Any) -> Any:
    """A column value as JSON: dates and times in ISO 8601."""
    return value.isoformat() if isinstance(value, datetime | date) else value


def _row(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: plain(getattr(obj, name)) for name in fields}


@section("commerce", order=90)  # last: the others still find the customer's addresses
class CommerceSection:
    @staticmethod
    def export(session: Session, store_id: int, customer_id: int) -> dict[str, Any]:
        customer = session.scalars(select(Customer).where(
            Customer.store_id == store_id, Customer.id == customer_id)).one()
        consents = session.scalars(select(Consent).where(
            Consent.store_id == store_id, Consent.customer_id == customer_id)
            .order_by(Consent.id)).all()
        orders = session.scalars(select(Order).where(
            Order.store_id == store_id, Order.customer_id == customer_id)
            .order_by(Order.placed_at, Order.id)).all()
        lines: dict[int, list[OrderLine]] = {}
        if orders:
            for line in session.scalars(select(OrderLine).where(
                    OrderLine.store_id == store_id,
                    OrderLine.order_id.in_([o.id for o in orders]))
                    .order_by(OrderLine.order_id, OrderLine.position)):
                lines.setdefault(line.order_id, []).append(line)
        return {
            "customer": _row(customer, _CUSTOMER_FIELDS),
            "consents": [{"channel": c.channel, "purpose": c.purpose, "granted": c.granted,
                          "source": c.source, "updated_at": plain(c.updated_at)}
                         for c in consents],
            "orders": [{**_row(o, _ORDER_FIELDS),
                        "lines": [_row(ln, _LINE_FIELDS) for ln in lines.get(o.id, [])]}
                       for o in orders],
            "discount_codes": [_row(code, _CODE_FIELDS) for code in session.scalars(
                select(DiscountCode).where(DiscountCode.store_id == store_id,
                                           DiscountCode.customer_id == customer_id)
                .order_by(DiscountCode.id))],
        }

    @staticmethod
    def find(session: Session, store_id: int, customer_id: int, lock: bool) -> bool:
        query = select(Customer.id).where(Customer.store_id == store_id,
                                          Customer.id == customer_id)
        return session.scalar(query.with_for_update() if lock else query) is not None

    @staticmethod
    def erase(session: Session, store_id: int, customer_id: int) -> dict[str, int]:
        now = utcnow()
        consents = changed(session.execute(delete(Consent).where(
            Consent.store_id == store_id, Consent.customer_id == customer_id)))
        orders = changed(session.execute(update(Order).where(
            Order.store_id == store_id, Order.customer_id == customer_id)
            .values(updated_at=now, **dict.fromkeys(ORDER_IDENTITY))))
        customers = changed(session.execute(update(Customer).where(
            Customer.store_id == store_id, Customer.id == customer_id,
            or_(*(getattr(Customer, name).is_not(None) for name in CUSTOMER_IDENTITY)))
            .values(updated_at=now, **dict.fromkeys(CUSTOMER_IDENTITY))))
        if customers:  # erased again (a double click, a retried call): no second event
            record(session, store_id=store_id, name=EventName.customer_erased,
                   subject_type="customer", subject_id=customer_id, payload={})
        return {"customers": customers, "consents": consents, "orders": orders}
