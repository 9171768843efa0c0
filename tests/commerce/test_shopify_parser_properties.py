"""Property tests: the Shopify parsers either read a payload into values the model
can store, or say it is Unreadable (the delivery is then kept for review); they
never fail with another exception (a 500, which Shopify would retry forever)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from afterward.commerce.ingest import shopify
from afterward.commerce.ingest.shopify_parse import (
    parse_customer,
    parse_fulfillment,
    parse_order,
    parse_refund,
)
from afterward.commerce.ingest.shopify_values import LARGEST_STORABLE_MINOR, Unreadable
from afterward.commerce.service import CommerceError

DATA = Path(__file__).parent.parent / "data" / "shopify"
ORDER = json.loads((DATA / "order.json").read_text())["order"]
FULFILLMENT = json.loads((DATA / "fulfillment.json").read_text())["fulfillment"]
REFUND = json.loads((DATA / "refund.json").read_text())["refund"]
CUSTOMER = json.loads((DATA / "customer.json").read_text())["customer"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=10,
)


def mutate(base: dict, field: str, value) -> dict:
    copy = json.loads(json.dumps(base))
    copy[field] = value
    return copy


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(sorted(ORDER)), value=json_values)
def test_parse_order_reads_any_field_value_or_says_it_is_unreadable(field, value):
    try:
        order_in, _ = parse_order(mutate(ORDER, field, value), store_currency="USD")
    except Unreadable:
        return
    assert order_in.external_id and order_in.number
    assert all(line.quantity >= 1 and line.unit_price_minor >= 0 for line in order_in.lines)


@settings(max_examples=200, deadline=None)
@given(index=st.integers(0, 2), field=st.sampled_from(["price", "quantity", "sku", "id", "name"]),
       value=json_values)
def test_parse_order_reads_any_line_item_value_or_says_it_is_unreadable(index, field, value):
    order = json.loads(json.dumps(ORDER))
    order["line_items"][index][field] = value
    try:
        order_in, _ = parse_order(order, store_currency="USD")
    except Unreadable:
        return
    assert len(order_in.lines) in (2, 3)
    assert all(line.quantity * line.unit_price_minor <= LARGEST_STORABLE_MINOR
               for line in order_in.lines)


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(sorted(FULFILLMENT)), value=json_values)
def test_parse_fulfillment_reads_any_field_value_or_says_it_is_unreadable(field, value):
    try:
        fulfillment = parse_fulfillment(mutate(FULFILLMENT, field, value))
    except Unreadable:
        return
    number = fulfillment.draft.tracking_number
    assert number is None or (len(number) <= 64 and number.isprintable())
    assert all(count >= 1 for _, count in fulfillment.lines)


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(sorted(REFUND)), value=json_values)
def test_parse_refund_reads_any_field_value_or_says_it_is_unreadable(field, value):
    try:
        refund = parse_refund(mutate(REFUND, field, value))
        amount = refund.amount_minor("USD")
    except Unreadable:
        return
    assert 0 <= amount <= LARGEST_STORABLE_MINOR
    assert all(item.quantity >= 1 for item in refund.items)


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(sorted(CUSTOMER)), value=json_values)
def test_parse_customer_reads_any_field_value_or_says_it_is_unreadable(field, value):
    try:
        delivery = parse_customer(mutate(CUSTOMER, field, value))
    except Unreadable:
        return
    assert delivery.customer.external_id or delivery.customer.email
    assert delivery.state in (None, "enabled", "disabled", "invited", "declined")


@given(payload=json_values)
def test_unwrap_refuses_anything_but_an_object(payload):
    try:
        result = shopify.unwrap("orders/create", payload)
    except CommerceError:
        assert not isinstance(payload, dict)
        return
    assert isinstance(result, dict)


def test_a_known_order_parses_to_exact_minor_units():
    order_in, meta = parse_order(ORDER, store_currency="EUR")

    assert (order_in.number, order_in.total_minor, order_in.tax_minor) == ("#1001", 40994, 1194)
    assert (order_in.discount_minor, order_in.currency) == (0, "USD")
    assert meta.source == "shopify"
