"""Shopify webhooks: verify, parse the REST resource, apply once.

Pure parsing (payload -> OrderIn, ShipmentDraft, refund lines) is separate from
applying, so the parsers can be property-tested without a database."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.commerce import service
from afterward.commerce.schemas import (
    AddressIn,
    CustomerIn,
    MarketingConsentIn,
    OrderIn,
    OrderLineIn,
)
from afterward.commerce.service import CommerceError, OrderMeta, RefundLine
from afterward.commerce.validation import InvalidValue, currency_code, to_minor
from afterward.inbound.models import HeldDelivery
from afterward.tracking import service as tracking
from afterward.tracking.statuses import Status

TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "fulfillments/create",
          "fulfillments/update", "refunds/create")
_RESOURCE = {"orders": "order", "fulfillments": "fulfillment", "refunds": "refund"}


def verify(secret: str, body: bytes, signature: str | None) -> bool:
    if not signature:
        return False
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), signature.strip())


def unwrap(topic: str, payload: Any) -> dict[str, Any]:
    """Webhooks carry the bare resource; REST responses wrap it ({"order": {...}})."""
    if not isinstance(payload, dict):
        raise CommerceError("invalid", "the body must be a JSON object", None, 422)
    key = _RESOURCE[topic.split("/")[0]]
    inner = payload.get(key)
    if len(payload) == 1 and isinstance(inner, dict):
        return inner
    return payload


def parse_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise CommerceError("invalid", f"{field} must be an ISO 8601 timestamp", field)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CommerceError("invalid", f"{field} is not an ISO 8601 timestamp: {value!r}",
                            field) from exc
    if parsed.tzinfo is None:
        raise CommerceError("invalid", f"{field} has no time zone offset", field)
    return parsed.astimezone(UTC)


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise CommerceError("invalid", f"{field} must be a list", field)
    return value


def _count(value: Any, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 100000:
        raise CommerceError("invalid", "quantity must be a positive integer", field)
    return value


def _money(value: Any, currency: str, field: str) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise CommerceError("invalid", f"{field} must be a decimal amount", field)
    try:
        amount = to_minor(str(value), currency, field)
    except InvalidValue as exc:
        raise CommerceError("invalid", exc.message, field) from exc
    if amount < 0:
        raise CommerceError("invalid", f"{field} cannot be negative", field)
    return amount


def parse_order(data: dict[str, Any]) -> tuple[OrderIn, OrderMeta]:
    try:
        currency = currency_code(str(data.get("currency") or ""))
    except InvalidValue as exc:
        raise CommerceError("invalid", exc.message, "currency") from exc
    order_id = _str(data.get("id"))
    if order_id is None:
        raise CommerceError("invalid", "the order has no id", "id")
    number = _str(data.get("name")) or _str(data.get("order_number")) or order_id
    lines_raw = data.get("line_items")
    if not isinstance(lines_raw, list) or not lines_raw:
        raise CommerceError("invalid", "the order has no line_items", "line_items")
    lines = []
    for index, item in enumerate(lines_raw):
        if not isinstance(item, dict):
            raise CommerceError("invalid", "a line item must be an object", f"line_items.{index}")
        title = _str(item.get("name")) or _str(item.get("title")) or "Item"
        quantity = _count(item.get("quantity"), f"line_items.{index}.quantity")
        lines.append(dict(sku=_str(item.get("sku")), external_id=_str(item.get("id")),
                          title=title[:300], quantity=quantity,
                          unit_price_minor=_money(item.get("price"), currency,
                                                  f"line_items.{index}.price")))
    shipping = sum(_money(s.get("price"), currency, "shipping_lines.price")
                   for s in _list(data.get("shipping_lines"), "shipping_lines")
                   if isinstance(s, dict))
    customer = data.get("customer") if isinstance(data.get("customer"), dict) else None
    address = data.get("shipping_address")
    address = address if isinstance(address, dict) else None
    try:
        order = OrderIn(
            number=number.replace(" ", "")[:64],
            external_id=order_id,
            placed_at=parse_time(data.get("created_at"), "created_at"),
            currency=currency,
            email=_str(data.get("email") or data.get("contact_email")),
            lines=[OrderLineIn(**line) for line in lines],
            shipping_minor=shipping,
            tax_minor=_money(data.get("total_tax"), currency, "total_tax"),
            discount_minor=_money(data.get("total_discounts"), currency, "total_discounts"),
            total_minor=_money(data.get("total_price"), currency, "total_price"),
            financial_status=_str(data.get("financial_status")),
            customer=_customer(customer, data) if customer else None,
            shipping_address=AddressIn(
                name=_str(address.get("name")), address1=_str(address.get("address1")),
                city=_str(address.get("city")), region=_str(address.get("province_code")),
                postal_code=_str(address.get("zip")),
                country=_str(address.get("country_code"))) if address else None,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise CommerceError("invalid", str(first["msg"]).removeprefix("Value error, "),
                            field) from exc
    meta = OrderMeta(
        source="shopify",
        source_updated_at=parse_time(data["updated_at"], "updated_at")
        if data.get("updated_at") else None,
        cancelled_at=parse_time(data["cancelled_at"], "cancelled_at")
        if data.get("cancelled_at") else None,
        cancel_reason=_str(data.get("cancel_reason")),
        fulfillment_status=_str(data.get("fulfillment_status")),
    )
    return order, meta


def _customer(customer: dict[str, Any], order: dict[str, Any]) -> CustomerIn:
    accepts = customer.get("accepts_marketing", order.get("buyer_accepts_marketing"))
    email = _str(customer.get("email")) or _str(order.get("email"))
    return CustomerIn(
        external_id=_str(customer.get("id")),
        email=email,
        first_name=_str(customer.get("first_name")),
        last_name=_str(customer.get("last_name")),
        accepts_marketing=MarketingConsentIn(email=bool(accepts))
        if isinstance(accepts, bool) else None,
    )


_SHOPIFY_SHIPMENT_STATUS = {
    "confirmed": Status.info_received, "label_printed": Status.info_received,
    "label_purchased": Status.info_received, "in_transit": Status.in_transit,
    "out_for_delivery": Status.out_for_delivery, "attempted_delivery": Status.failed_attempt,
    "ready_for_pickup": Status.available_for_pickup, "delivered": Status.delivered,
    "failure": Status.exception,
}


def parse_fulfillment(data: dict[str, Any]) -> tuple[str, tracking.ShipmentDraft,
                                                      list[tuple[str, int]]]:
    order_id = _str(data.get("order_id"))
    fulfillment_id = _str(data.get("id"))
    if order_id is None or fulfillment_id is None:
        raise CommerceError("invalid", "a fulfillment needs id and order_id", "order_id")
    numbers = _list(data.get("tracking_numbers"), "tracking_numbers")
    number = _str(data.get("tracking_number")) or (_str(numbers[0]) if numbers else None)
    if number is not None and (len(number) > 64 or not number.isprintable()):
        raise CommerceError("invalid", "tracking_number is not a tracking number",
                            "tracking_number")
    shipment_status = _str(data.get("shipment_status"))
    status = _SHOPIFY_SHIPMENT_STATUS.get(shipment_status or "", Status.info_received)
    if data.get("status") == "cancelled":
        status = Status.cancelled
    company = _str(data.get("tracking_company"))
    lines = [(str(li.get("id")), _count(li.get("quantity", 1), "line_items.quantity"))
             for li in _list(data.get("line_items"), "line_items") if isinstance(li, dict)]
    draft = tracking.ShipmentDraft(
        external_id=f"shopify:{fulfillment_id}",
        carrier=None if company in (None, "null-company", "Other") else company,
        service=_str(data.get("service")),
        tracking_number=number,
        shipped_at=parse_time(data["created_at"], "created_at") if data.get("created_at") else None,
        status=status,
    )
    return order_id, draft, lines


def parse_refund(data: dict[str, Any], currency: str) -> tuple[str, str, int, list[RefundLine]]:
    order_id, refund_id = _str(data.get("order_id")), _str(data.get("id"))
    if order_id is None or refund_id is None:
        raise CommerceError("invalid", "a refund needs id and order_id", "order_id")
    amount = sum(_money(t.get("amount"), currency, "transactions.amount")
                 for t in _list(data.get("transactions"), "transactions")
                 if isinstance(t, dict) and t.get("kind") == "refund"
                 and t.get("status", "success") == "success")
    lines = []
    for item in _list(data.get("refund_line_items"), "refund_line_items"):
        if not isinstance(item, dict):
            continue
        nested = item.get("line_item")
        line: dict[str, Any] = nested if isinstance(nested, dict) else {}
        lines.append(RefundLine(line_external_id=_str(item.get("line_item_id")),
                                sku=_str(line.get("sku")),
                                quantity=_count(item.get("quantity"),
                                                "refund_line_items.quantity")))
    return order_id, f"shopify:{refund_id}", amount, lines


# ---------------------------------------------------------------- applying

def apply(session: Session, *, store_id: int, topic: str, payload: dict[str, Any],
          delivery_key: str) -> str:
    """Apply one delivery; returns what happened ('applied', 'stale', 'held')."""
    data = unwrap(topic, payload)
    if topic.startswith("orders/"):
        order_in, meta = parse_order(data)
        if topic == "orders/cancelled" and meta.cancelled_at is None:
            meta = OrderMeta(**{**meta.__dict__, "cancelled_at": meta.source_updated_at
                                or datetime.now(UTC)})
        saved, _created = service.save_order(session, store_id=store_id, data=order_in,
                                             meta=meta, upsert=True)
        if meta.cancelled_at is not None:
            service.cancel_order(session, order=saved, at=meta.cancelled_at,
                                 reason=meta.cancel_reason)
        _release_held(session, store_id=store_id, order_external_id=order_in.external_id or "")
        return "applied"
    if topic.startswith("fulfillments/"):
        order_ext, draft, line_refs = parse_fulfillment(data)
        order = service.order_by_external_id(session, store_id=store_id, source="shopify",
                                              external_id=order_ext)
        if order is None:
            return _hold(session, store_id, topic, order_ext, delivery_key, payload)
        by_ext = {ln.external_id: ln.id for ln in order.lines}
        draft = tracking.ShipmentDraft(**{**draft.__dict__, "lines": tuple(
            (by_ext[ref], qty) for ref, qty in line_refs if ref in by_ext)})
        tracking.upsert_shipment(session, store_id=store_id, order_id=order.id, draft=draft)
        return "applied"
    if topic == "refunds/create":
        order_ext = _str(data.get("order_id")) or ""
        order = service.order_by_external_id(session, store_id=store_id, source="shopify",
                                              external_id=order_ext)
        if order is None:
            return _hold(session, store_id, topic, order_ext, delivery_key, payload)
        _, refund_key, amount, lines = parse_refund(data, order.currency)
        applied = service.apply_refund(session, order=order, refund_key=refund_key,
                                       amount_minor=amount, lines=lines,
                                       at=parse_time(data["created_at"], "created_at")
                                       if data.get("created_at") else None)
        return "applied" if applied else "duplicate"
    raise CommerceError("unsupported_topic", f"topic {topic!r} is not handled", "topic", 422)


def _hold(session: Session, store_id: int, topic: str, order_ext: str, delivery_key: str,
          payload: dict[str, Any]) -> str:
    session.add(HeldDelivery(store_id=store_id, provider="shopify", topic=topic,
                             waiting_for=f"order:{order_ext}", delivery_key=delivery_key,
                             body=payload))
    session.flush()
    return "held"


def _release_held(session: Session, *, store_id: int, order_external_id: str) -> None:
    held = session.scalars(select(HeldDelivery).where(
        HeldDelivery.store_id == store_id, HeldDelivery.provider == "shopify",
        HeldDelivery.waiting_for == f"order:{order_external_id}").order_by(HeldDelivery.id)).all()
    for row in held:
        session.delete(row)
        session.flush()
        apply(session, store_id=store_id, topic=row.topic, payload=row.body,
              delivery_key=row.delivery_key)
