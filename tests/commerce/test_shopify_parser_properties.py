"""Property tests: the Shopify parsers refuse anything malformed with a
CommerceError (a 4xx), never with another exception (a 500)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from afterward.commerce.ingest import shopify
from afterward.commerce.service import CommerceError

DATA = Path(__file__).parent.parent / "data" / "shopify"
ORDER = json.loads((DATA / "order.json").read_text())["order"]
FULFILLMENT = json.loads((DATA / "fulfillment.json").read_text())["fulfillment"]
REFUND = json.loads((DATA / "refund.json").read_text())["refund"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
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
def test_parse_order_only_ever_refuses_with_a_commerce_error(field, value):
    try:
        shopify.parse_order(mutate(ORDER, field, value))
    except CommerceError:
        pass


@settings(max_examples=200, deadline=None)
@given(index=st.integers(0, 2), field=st.sampled_from(["price", "quantity", "sku", "id", "name"]),
       value=json_values)
def test_parse_order_survives_any_line_item_value(index, field, value):
    order = json.loads(json.dumps(ORDER))
    order["line_items"][index][field] = value
    try:
        order_in, _ = shopify.parse_order(order)
    except CommerceError:
        return
    assert all(line.quantity >= 1 and line.unit_price_minor >= 0 for line in order_in.lines)


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(sorted(FULFILLMENT)), value=json_values)
def test_parse_fulfillment_only_ever_refuses_with_a_commerce_error(field, value):
    try:
        shopify.parse_fulfillment(mutate(FULFILLMENT, field, value))
    except CommerceError:
        pass


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(sorted(REFUND)), value=json_values)
def test_parse_refund_only_ever_refuses_with_a_commerce_error(field, value):
    try:
        shopify.parse_refund(mutate(REFUND, field, value), "USD")
    except CommerceError:
        pass


@given(payload=json_values)
def test_unwrap_refuses_anything_but_an_object(payload):
    try:
        result = shopify.unwrap("orders/create", payload)
    except CommerceError:
        return
    assert isinstance(result, dict)


def test_a_known_order_parses_to_exact_minor_units():
    order_in, meta = shopify.parse_order(ORDER)

    assert (order_in.number, order_in.total_minor, order_in.tax_minor) == ("#1001", 40994, 1194)
    assert order_in.discount_minor == 0
    assert meta.source == "shopify"
