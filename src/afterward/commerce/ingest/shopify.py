"""Shopify webhooks: verify, read the REST resource (shopify_parse), apply once.

A well-signed delivery is never refused: Shopify retries a refused webhook and
removes the subscription after repeated failures, so one odd order would cut the
store off. What can be stored is applied; a delivery about an order that is not
here yet is held until the order arrives; one that cannot be read without
guessing, or that would overwrite another order, is kept for review. Only a body
that is not a JSON object is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.commerce import codes, customers, service
from afterward.commerce.ingest import shopify_values as read
from afterward.commerce.ingest.shopify_parse import (
    FulfillmentIn,
    RefundIn,
    parse_customer,
    parse_fulfillment,
    parse_order,
    parse_refund,
)
from afterward.commerce.ingest.shopify_values import Unreadable
from afterward.commerce.models import Order, Store
from afterward.commerce.schemas import PlatformOrderIn
from afterward.commerce.service import CommerceError, RefundLine
from afterward.inbound.models import HeldDelivery
from afterward.tracking import service as tracking

TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "fulfillments/create",
          "fulfillments/update", "refunds/create", "customers/create", "customers/update")
_RESOURCE = {"orders": "order", "fulfillments": "fulfillment", "refunds": "refund",
             "customers": "customer"}
# Outcomes of apply(): taken but not (yet) applied, so answered 202 rather than 200.
HELD = "held"
KEPT_FOR_REVIEW = "kept_for_review"
REVIEW_PREFIX = "review:"  # a kept delivery's waiting_for: review:<why>
NOT_YET_APPLIED = frozenset({HELD, KEPT_FOR_REVIEW})


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


def apply(session: Session, *, store_id: int, topic: str, payload: Any,
          delivery_key: str) -> str:
    """Apply one delivery; returns what happened: 'applied', 'duplicate' (a refund
    applied before), 'held' (its order is not here yet) or 'kept_for_review'."""
    if topic not in TOPICS:
        raise CommerceError("unsupported_topic", f"topic {topic!r} is not handled", "topic")
    payload = read.storable(payload)
    data = unwrap(topic, payload)
    try:
        if topic.startswith("orders/"):
            return _apply_order(session, store_id, topic, data, delivery_key, payload)
        if topic.startswith("fulfillments/"):
            return _apply_fulfillment(session, store_id, topic, data, delivery_key, payload)
        if topic.startswith("customers/"):
            return _apply_customer(session, store_id, topic, data)
        return _apply_refund(session, store_id, topic, data, delivery_key, payload)
    except Unreadable as exc:  # raised before this delivery wrote anything
        reason = f"{exc.field}: {exc.message}" if exc.field else exc.message
        return _keep_for_review(session, store_id, topic, delivery_key, payload, reason)


def _apply_order(session: Session, store_id: int, topic: str, data: dict[str, Any],
                 delivery_key: str, payload: dict[str, Any]) -> str:
    store = session.get(Store, store_id)
    order_in, meta = parse_order(data, store_currency=store.currency if store else "USD")
    if topic == "orders/cancelled" and meta.cancelled_at is None:
        meta = replace(meta, cancelled_at=meta.source_updated_at or datetime.now(UTC))
    if _number_belongs_to_another_order(session, store_id, order_in):
        return _keep_for_review(session, store_id, topic, delivery_key, payload,
                                f"number: {order_in.number} is another order's number")
    saved, _created = service.save_order(session, store_id=store_id, data=order_in,
                                         meta=meta, upsert=True)
    if meta.cancelled_at is not None:
        service.cancel_order(session, order=saved, at=meta.cancelled_at,
                             reason=meta.cancel_reason)
    codes.used_in_order(session, store_id=store_id, order_id=saved.id,
                        codes=used_codes(data), placed_at=saved.placed_at)
    _release_held(session, store_id=store_id, order_external_id=order_in.external_id or "")
    return "applied"


def _apply_customer(session: Session, store_id: int, topic: str,
                    data: dict[str, Any]) -> str:
    """The customer saved as an order's customer would be, and their account's state:
    a customers/create with an account is a sign-up, opened when Shopify created the
    customer; an account that comes later, when Shopify last changed the customer
    (customers.account_seen: `customer.account_opened`)."""
    delivery = parse_customer(data)
    customer_id, _ = customers.save_customer(session, store_id=store_id,
                                             data=delivery.customer, source="shopify")
    if delivery.state is not None:
        created = topic == "customers/create"
        at = (delivery.created_at if created else delivery.updated_at) or datetime.now(UTC)
        customers.account_seen(session, store_id=store_id, customer_id=customer_id,
                               state=delivery.state, opened_at=at,
                               created_on_platform=created, source="shopify")
    return "applied"


def used_codes(data: dict[str, Any]) -> list[str]:
    """The codes an order was paid or discounted with: `discount_codes[].code`."""
    found = data.get("discount_codes")
    return [str(item["code"])[:40] for item in found if isinstance(item, dict)
            and isinstance(item.get("code"), str)] if isinstance(found, list) else []


def _number_belongs_to_another_order(session: Session, store_id: int,
                                     order: PlatformOrderIn) -> bool:
    """An order from the API or a CSV file, or another Shopify order, already has the
    number: saving would refuse (or overwrite) it, so a person decides."""
    holder = session.execute(select(Order.source, Order.external_id).where(
        Order.store_id == store_id, Order.number == order.number)).first()
    return holder is not None and (holder.source, holder.external_id) != (
        "shopify", order.external_id)


def _apply_fulfillment(session: Session, store_id: int, topic: str, data: dict[str, Any],
                       delivery_key: str, payload: dict[str, Any]) -> str:
    fulfillment = parse_fulfillment(data)
    order = service.order_by_external_id(session, store_id=store_id, source="shopify",
                                          external_id=fulfillment.order_external_id)
    if order is None:
        return _hold(session, store_id, topic, fulfillment.order_external_id, delivery_key,
                     payload)
    tracking.upsert_shipment(session, store_id=store_id, order_id=order.id,
                             draft=replace(fulfillment.draft,
                                           lines=_shipped_lines(order, fulfillment)))
    return "applied"


def _shipped_lines(order: Order, fulfillment: FulfillmentIn) -> tuple[tuple[int, int], ...]:
    """The fulfilled lines the order has, by our line id; lines it lacks are skipped."""
    by_external_id = {line.external_id: line.id for line in order.lines}
    return tuple((by_external_id[ref], count) for ref, count in fulfillment.lines
                 if ref in by_external_id)


def _apply_refund(session: Session, store_id: int, topic: str, data: dict[str, Any],
                  delivery_key: str, payload: dict[str, Any]) -> str:
    refund = parse_refund(data)
    order = service.order_by_external_id(session, store_id=store_id, source="shopify",
                                          external_id=refund.order_external_id)
    if order is None:
        return _hold(session, store_id, topic, refund.order_external_id, delivery_key, payload)
    amount = min(refund.amount_minor(order.currency),
                 max(0, order.total_minor - order.refunded_minor))
    applied = service.apply_refund(session, order=order, refund_key=refund.refund_key,
                                   amount_minor=amount, lines=_refundable_lines(order, refund),
                                   at=refund.created_at)
    return "applied" if applied else "duplicate"


def _refundable_lines(order: Order, refund: RefundIn) -> list[RefundLine]:
    """Shopify has refunded these items already; our copy of the order may lack a line
    or count fewer items left on it (an update not yet arrived). So each item is
    matched to the line it names and cut to what that line has left, and items for
    lines the order lacks are skipped: the refunded amount is applied all the same."""
    left = {line.id: line.quantity - line.refunded_quantity for line in order.lines}
    refunded = []
    for item in refund.items:
        line = next((ln for ln in order.lines if item.line_external_id
                     and ln.external_id == item.line_external_id), None) or next(
            (ln for ln in order.lines if item.sku and ln.sku == item.sku), None)
        count = min(item.quantity, left[line.id]) if line is not None else 0
        if line is None or count == 0:
            continue
        left[line.id] -= count
        refunded.append(RefundLine(line_external_id=line.external_id,
                                   sku=None if line.external_id else line.sku, quantity=count))
    return refunded


def _waiting_for_order(order_external_id: str) -> str:
    return f"order:{order_external_id}"[:100]


def _hold(session: Session, store_id: int, topic: str, order_ext: str, delivery_key: str,
          payload: dict[str, Any]) -> str:
    return _set_aside(session, store_id, topic, delivery_key, payload,
                      _waiting_for_order(order_ext), HELD)


def _keep_for_review(session: Session, store_id: int, topic: str, delivery_key: str,
                     payload: dict[str, Any], reason: str) -> str:
    """Taken, not applied, never replayed by itself: `waiting_for` says why."""
    return _set_aside(session, store_id, topic, delivery_key, payload,
                      f"{REVIEW_PREFIX}{reason}"[:100], KEPT_FOR_REVIEW)


def _set_aside(session: Session, store_id: int, topic: str, delivery_key: str,
               payload: dict[str, Any], waiting_for: str, outcome: str) -> str:
    session.add(HeldDelivery(store_id=store_id, provider="shopify", topic=topic,
                             waiting_for=waiting_for, delivery_key=delivery_key, body=payload))
    session.flush()
    return outcome


def _release_held(session: Session, *, store_id: int, order_external_id: str) -> None:
    held = session.scalars(select(HeldDelivery).where(
        HeldDelivery.store_id == store_id, HeldDelivery.provider == "shopify",
        HeldDelivery.waiting_for == _waiting_for_order(order_external_id))
        .order_by(HeldDelivery.id)).all()
    for row in held:
        session.delete(row)
        session.flush()
        apply(session, store_id=store_id, topic=row.topic, payload=row.body,
              delivery_key=row.delivery_key)
