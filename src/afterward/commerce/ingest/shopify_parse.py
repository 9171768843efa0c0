"""Shopify resources (order, fulfillment, refund, customer) as our inputs. Pure: no
database, so the parsers are property-tested on their own.

Every order Shopify sends is one it has taken, so the parsers map what they find
onto what the model holds: an order with no lines is an order with no lines, a
line with no SKU is a custom line, a line of zero items is left out (it bought
nothing), an email we cannot send to is no email. See shopify_values for the
few values that make a delivery Unreadable instead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from afterward.commerce import payments
from afterward.commerce.ingest import shopify_values as read
from afterward.commerce.ingest.shopify_values import Unreadable
from afterward.commerce.orders import OrderMeta
from afterward.commerce.schemas import (
    AddressIn,
    CustomerIn,
    MarketingConsentIn,
    OrderLineIn,
    PlatformOrderIn,
)
from afterward.commerce.validation import ACCOUNT_STATES
from afterward.tracking.service import ShipmentDraft
from afterward.tracking.statuses import Status

# The source_name of the orders Shopify creates when a subscription contract renews.
SUBSCRIPTION_SOURCE = "subscription_contract"


def parse_order(data: dict[str, Any], *,
                store_currency: str) -> tuple[PlatformOrderIn, OrderMeta]:
    order_id = read.identifier(data.get("id"), "id")
    if order_id is None:
        raise Unreadable("id", "the order has no id")
    currency = read.currency(data.get("currency"), store_currency)
    updated_at = read.timestamp(data.get("updated_at"))
    placed_at = (read.timestamp(data.get("created_at"))
                 or read.timestamp(data.get("processed_at")) or updated_at
                 or datetime.now(UTC))
    try:
        lines = _order_lines(data.get("line_items"), currency,
                             renewal=data.get("source_name") == SUBSCRIPTION_SOURCE)
        order = PlatformOrderIn(
            number=read.order_number(data.get("name"), data.get("order_number"), order_id),
            external_id=order_id, placed_at=placed_at, currency=currency,
            email=read.email(data.get("email")) or read.email(data.get("contact_email")),
            lines=lines, shipping_minor=_shipping(data.get("shipping_lines"), currency),
            tax_minor=read.money(data.get("total_tax"), currency, "total_tax"),
            discount_minor=read.money(data.get("total_discounts"), currency,
                                      "total_discounts"),
            total_minor=_total(data.get("total_price"), currency),
            financial_status=read.text(data.get("financial_status"), 32),
            customer=_customer(data.get("customer"), data),
            shipping_address=_address(data.get("shipping_address")),
            payment_fingerprint=payments.shopify_card(data.get("payment_details")))
    except ValidationError as exc:  # not expected: each value above is mapped to fit
        raise _unreadable(exc) from exc
    _check_storable(order)
    return order, _order_meta(data, updated_at)


def _order_lines(value: Any, currency: str, *, renewal: bool = False) -> list[OrderLineIn]:
    """The order's lines; a line is a subscription's when Shopify allocated it a selling
    plan, or the whole order is a subscription contract's renewal."""
    lines = []
    for index, item in enumerate(read.objects(value, "line_items")):
        field = f"line_items.{index}"
        count = read.quantity(item.get("quantity"), f"{field}.quantity")
        if count == 0:
            continue
        lines.append(OrderLineIn(
            sku=read.text(item.get("sku"), 100),
            external_id=read.identifier(item.get("id"), f"{field}.id"),
            title=read.text(item.get("name"), 300) or read.text(item.get("title"), 300)
            or "Item",
            quantity=count,
            unit_price_minor=read.money(item.get("price"), currency, f"{field}.price"),
            subscription=renewal or isinstance(item.get("selling_plan_allocation"), dict)))
    return lines


def _shipping(value: Any, currency: str) -> int:
    lines = read.objects(value, "shipping_lines")
    return read.storable_minor(sum(read.money(line.get("price"), currency,
                                              "shipping_lines.price") for line in lines),
                               "shipping_lines.price")


def _total(value: Any, currency: str) -> int | None:
    if value is None or value == "":
        return None
    return read.money(value, currency, "total_price")


def _check_storable(order: PlatformOrderIn) -> None:
    for index, line in enumerate(order.lines):
        read.storable_minor(line.quantity * line.unit_price_minor, f"line_items.{index}")
    subtotal = sum(line.quantity * line.unit_price_minor for line in order.lines)
    read.storable_minor(subtotal, "line_items")
    if order.total_minor is None:
        read.storable_minor(subtotal + order.shipping_minor + order.tax_minor, "total_price")


def _order_meta(data: dict[str, Any], updated_at: datetime | None) -> OrderMeta:
    return OrderMeta(
        source="shopify", source_updated_at=updated_at,
        cancelled_at=read.timestamp(data.get("cancelled_at")),
        cancel_reason=read.text(data.get("cancel_reason"), 100),
        fulfillment_status=read.text(data.get("fulfillment_status"), 32))


def _customer(value: Any, order: dict[str, Any]) -> CustomerIn | None:
    """The order's customer; a POS sale often has none, and then no customer link."""
    if not isinstance(value, dict):
        return None
    external_id = read.identifier(value.get("id"), "customer.id")
    email = read.email(value.get("email")) or read.email(order.get("email"))
    if external_id is None and email is None:
        return None
    accepts = read.boolean(value.get("accepts_marketing",
                                     order.get("buyer_accepts_marketing")))
    return CustomerIn(
        external_id=external_id, email=email,
        first_name=read.text(value.get("first_name"), 100),
        last_name=read.text(value.get("last_name"), 100),
        accepts_marketing=None if accepts is None else MarketingConsentIn(email=accepts))


@dataclass(frozen=True)
class CustomerDelivery:
    """A customers/create or customers/update delivery."""

    customer: CustomerIn
    state: str | None  # the account: enabled, disabled, invited, declined (else None)
    created_at: datetime | None
    updated_at: datetime | None


def parse_customer(data: dict[str, Any]) -> CustomerDelivery:
    """A Shopify customer resource: who (as an order's customer is read), and the
    account's state with the moments it was created and last changed."""
    customer = _customer(data, {})
    if customer is None:
        raise Unreadable("id", "a customer needs an id or an email")
    state = read.text(data.get("state"), 16)
    return CustomerDelivery(customer, state if state in ACCOUNT_STATES else None,
                            read.timestamp(data.get("created_at")),
                            read.timestamp(data.get("updated_at")))


def _address(value: Any) -> AddressIn | None:
    if not isinstance(value, dict):
        return None
    address = AddressIn(
        name=read.text(value.get("name"), 200), address1=read.text(value.get("address1"), 300),
        city=read.text(value.get("city"), 100), region=read.text(value.get("province_code"), 100),
        postal_code=read.text(value.get("zip"), 20),
        country=read.country(value.get("country_code")))
    return address if any(address.model_dump().values()) else None


def _unreadable(exc: ValidationError) -> Unreadable:
    first = exc.errors()[0]
    return Unreadable(".".join(str(p) for p in first["loc"]),
                      str(first["msg"]).removeprefix("Value error, "))


# ---------------------------------------------------------------- fulfillments

_SHIPMENT_STATUS = {
    "confirmed": Status.info_received, "label_printed": Status.info_received,
    "label_purchased": Status.info_received, "in_transit": Status.in_transit,
    "out_for_delivery": Status.out_for_delivery, "attempted_delivery": Status.failed_attempt,
    "ready_for_pickup": Status.available_for_pickup, "delivered": Status.delivered,
    "failure": Status.exception,
}
# Shopify's placeholders when the merchant named no carrier.
_NO_CARRIER = (None, "null-company", "Other")


@dataclass(frozen=True)
class FulfillmentIn:
    order_external_id: str
    draft: ShipmentDraft
    lines: tuple[tuple[str, int], ...]  # (Shopify line item id, quantity)


def parse_fulfillment(data: dict[str, Any]) -> FulfillmentIn:
    order_id = read.identifier(data.get("order_id"), "order_id")
    fulfillment_id = read.identifier(data.get("id"), "id")
    if order_id is None or fulfillment_id is None:
        raise Unreadable("order_id", "a fulfillment needs id and order_id")
    status = _SHIPMENT_STATUS.get(read.text(data.get("shipment_status"), 64) or "",
                                  Status.info_received)
    if data.get("status") == "cancelled":
        status = Status.cancelled
    company = read.text(data.get("tracking_company"), 32)
    draft = ShipmentDraft(
        external_id=f"shopify:{fulfillment_id}",
        carrier=None if company in _NO_CARRIER else company,
        service=read.text(data.get("service"), 64),
        tracking_number=_tracking_number(data),
        shipped_at=read.timestamp(data.get("created_at")), status=status)
    return FulfillmentIn(order_id, draft, _fulfilled_lines(data.get("line_items")))


def _tracking_number(data: dict[str, Any]) -> str | None:
    """The first tracking number, unless it cannot be one (merchants paste tracking
    URLs and notes there): then the shipment is kept without a number."""
    numbers = data.get("tracking_numbers")
    first = numbers[0] if isinstance(numbers, list) and numbers else None
    number = read.text(data.get("tracking_number"), 1000) or read.text(first, 1000)
    if number is None or len(number) > 64 or not number.isprintable():
        return None
    return number


def _fulfilled_lines(value: Any) -> tuple[tuple[str, int], ...]:
    lines = []
    for index, item in enumerate(read.objects(value, "line_items")):
        line_id = read.identifier(item.get("id"), f"line_items.{index}.id")
        count = read.quantity(item.get("quantity", 1), f"line_items.{index}.quantity")
        if line_id is not None and count > 0:
            lines.append((line_id, count))
    return tuple(lines)


# ---------------------------------------------------------------- refunds

@dataclass(frozen=True)
class RefundedItem:
    line_external_id: str | None
    sku: str | None
    quantity: int


@dataclass(frozen=True)
class RefundIn:
    order_external_id: str
    refund_key: str
    created_at: datetime | None
    items: tuple[RefundedItem, ...]
    transactions: tuple[dict[str, Any], ...]

    def amount_minor(self, currency: str) -> int:
        """What was paid back: the successful refund transactions."""
        total = sum(read.money(t.get("amount"), currency, "transactions.amount")
                    for t in self.transactions
                    if t.get("kind") == "refund" and t.get("status", "success") == "success")
        return read.storable_minor(total, "transactions.amount")


def parse_refund(data: dict[str, Any]) -> RefundIn:
    order_id = read.identifier(data.get("order_id"), "order_id")
    refund_id = read.identifier(data.get("id"), "id")
    if order_id is None or refund_id is None:
        raise Unreadable("order_id", "a refund needs id and order_id")
    items = []
    for index, item in enumerate(read.objects(data.get("refund_line_items"),
                                              "refund_line_items")):
        count = read.quantity(item.get("quantity"), f"refund_line_items.{index}.quantity")
        nested = item.get("line_item")
        line: dict[str, Any] = nested if isinstance(nested, dict) else {}
        if count > 0:
            items.append(RefundedItem(read.identifier(item.get("line_item_id"),
                                                      f"refund_line_items.{index}.line_item_id"),
                                      read.text(line.get("sku"), 100), count))
    return RefundIn(order_id, f"shopify:{refund_id}", read.timestamp(data.get("created_at")),
                    tuple(items),
                    tuple(read.objects(data.get("transactions"), "transactions")))
