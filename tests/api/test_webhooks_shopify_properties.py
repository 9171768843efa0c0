"""Property tests through the real webhook route: Shopify payloads built from the
recorded ones and changed the way real stores' orders differ (optional keys
dropped or null, no line items, custom, gift card, tip and zero-price lines, POS
sales without a customer, unknown keys) are answered 200 (202 while their order
has not arrived), stored with exactly the lines they carry, and a second delivery
of the same body changes nothing.

The database lives for the whole test, so every example uses fresh Shopify ids."""

from __future__ import annotations

import copy
import itertools
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from afterward.commerce.validation import minor_units_exponent
from afterward.tracking.models import Shipment
from tests.api.shopify_helpers import counts, deliver, resource, stored_order

ORDER, FULFILLMENT, REFUND = resource("order"), resource("fulfillment"), resource("refund")
LINE = ORDER["line_items"][0]
_ids = itertools.count(7_000_000_000)

EXAMPLES = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)
unknown_keys = st.dictionaries(st.from_regex(r"x_[a-z_]{1,10}", fullmatch=True), json_values,
                               max_size=3)


def some_keys_of(resource: dict, *, keep: tuple[str, ...]):
    return st.sets(st.sampled_from(sorted(set(resource) - set(keep))), max_size=6)


def quantity_of(line: dict) -> int:
    return int(float(line["quantity"]))


# ---------------------------------------------------------------- orders

LINE_KINDS = {
    "product": {},
    "custom": {"product_id": None, "variant_id": None, "sku": None, "title": "Engraving",
               "name": "Engraving"},
    "gift_card": {"gift_card": True, "sku": "", "title": "Gift card", "name": "Gift card",
                  "requires_shipping": False},
    "tip": {"title": "Tip", "name": "Tip", "product_id": None, "variant_id": None, "sku": None,
            "requires_shipping": False, "taxable": False},
    "long_title": {"name": "A very long bundle title " * 40},
}


@st.composite
def line_items(draw) -> dict:
    item = {**copy.deepcopy(LINE), **LINE_KINDS[draw(st.sampled_from(sorted(LINE_KINDS)))]}
    for key in draw(some_keys_of(item, keep=("id", "quantity"))):
        del item[key]
    for key in draw(st.sets(st.sampled_from(["sku", "vendor", "variant_title", "properties",
                                              "price", "grams"]), max_size=3)):
        item[key] = None
    item["quantity"] = draw(st.sampled_from([0, 1, 2, "3", 1.0]))
    if "price" in item and item["price"] is not None:
        item["price"] = draw(st.sampled_from(["199.00", "0.00", "0", 0, 12.5, "7", "1.10"]))
    return {**item, **draw(unknown_keys)}


CUSTOMERS = {
    "as_recorded": {},
    "none": {"customer": None},
    "pos": {"source_name": "pos", "customer": None, "email": None, "contact_email": None,
            "shipping_address": None, "billing_address": None},
    "without_email": {"email": "", "customer": {"id": 99, "first_name": "Walk-in"}},
}
ADDRESSES = {"as_recorded": {}, "null": {"shipping_address": None}, "empty": {
    "shipping_address": {}}, "partial": {"shipping_address": {"city": "Louisville"}}}


@st.composite
def shopify_orders(draw) -> dict:
    order = copy.deepcopy(ORDER)
    for key in draw(some_keys_of(order, keep=("id", "line_items"))):
        del order[key]
    for key in draw(st.sets(st.sampled_from(["created_at", "updated_at", "total_price",
                                              "total_tax", "total_discounts", "shipping_lines",
                                              "financial_status", "note", "customer"]),
                            max_size=4)):
        order[key] = None
    order.update(CUSTOMERS[draw(st.sampled_from(sorted(CUSTOMERS)))])
    order.update(ADDRESSES[draw(st.sampled_from(sorted(ADDRESSES)))])
    order["currency"] = draw(st.sampled_from(["USD", "usd", " EUR ", "JPY", "XYZ", None]))
    order["line_items"] = draw(st.none() | st.lists(line_items(), max_size=4))
    return {**order, **draw(unknown_keys)}


def with_fresh_ids(order: dict) -> dict:
    order_id = next(_ids)
    order.update(id=order_id, name=f"#{order_id}", order_number=order_id)
    for item in order["line_items"] or []:
        item["id"] = next(_ids)
    return order


def carried_lines(order: dict) -> list[str]:
    return [str(item["id"]) for item in order["line_items"] or [] if quantity_of(item) >= 1]


def assert_a_second_delivery_changes_nothing(client, db, topic: str, payload: dict) -> None:
    before = counts(db)
    again = deliver(client, topic, payload)
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert counts(db) == before


@EXAMPLES
@given(order=shopify_orders(),
       topic=st.sampled_from(["orders/create", "orders/updated", "orders/cancelled"]))
def test_any_odd_order_is_stored_with_exactly_its_lines(client, store, db, order, topic):
    order = with_fresh_ids(order)

    response = deliver(client, topic, order)

    assert (response.status_code, response.json()) == (200, {"status": "applied"}), response.text
    stored = stored_order(db, order["id"])
    assert [line.external_id for line in stored.lines] == carried_lines(order)
    assert stored.status == ("cancelled" if topic == "orders/cancelled" else "open")
    assert_a_second_delivery_changes_nothing(client, db, topic, order)


# ---------------------------------------------------------------- fulfillments

@st.composite
def fulfillments_of(draw, order: dict) -> dict:
    fulfillment = copy.deepcopy(FULFILLMENT)
    for key in draw(some_keys_of(fulfillment, keep=("id", "order_id", "line_items"))):
        del fulfillment[key]
    known = [item["id"] for item in order["line_items"] or []]
    shipped = draw(st.lists(st.sampled_from([*known, 1, 2]), unique=True, max_size=4))
    fulfillment.update(
        id=next(_ids), order_id=order["id"],
        line_items=[{"id": ref, "quantity": draw(st.sampled_from([0, 1, 2, "1"]))}
                    for ref in shipped],
        tracking_number=draw(st.sampled_from([None, "", "1Z2345", " 1z 23 45 ", "x" * 80])),
        tracking_company=draw(st.sampled_from([None, "UPS", "null-company", "Carrier " * 8])),
        shipment_status=draw(st.sampled_from([None, "in_transit", "delivered", "teleported"])))
    return {**fulfillment, **draw(unknown_keys)}


def shipped_lines(order: dict, fulfillment: dict) -> list[tuple[str, int]]:
    carried = set(carried_lines(order))
    return [(str(item["id"]), quantity_of(item)) for item in fulfillment["line_items"]
            if str(item["id"]) in carried and quantity_of(item) >= 1]


@EXAMPLES
@given(data=st.data(), order=shopify_orders(), order_first=st.booleans(),
       topic=st.sampled_from(["fulfillments/create", "fulfillments/update"]))
def test_any_odd_fulfillment_ships_exactly_the_lines_the_order_has(client, store, db, data,
                                                                   order, order_first, topic):
    order = with_fresh_ids(order)
    fulfillment = data.draw(fulfillments_of(order))

    if order_first:
        assert deliver(client, "orders/create", order).status_code == 200
        response = deliver(client, topic, fulfillment)
        assert (response.status_code, response.json()) == (200, {"status": "applied"})
    else:
        response = deliver(client, topic, fulfillment)
        assert (response.status_code, response.json()) == (202, {"status": "held"})
        assert deliver(client, "orders/create", order).status_code == 200

    by_id = {line.id: line.external_id for line in stored_order(db, order["id"]).lines}
    with db.reading() as session:
        shipment = session.scalar(select(Shipment).where(
            Shipment.external_id == f"shopify:{fulfillment['id']}"))
        assert sorted((by_id[ln.order_line_id], ln.quantity) for ln in shipment.lines) == sorted(
            shipped_lines(order, fulfillment))
    assert_a_second_delivery_changes_nothing(client, db, topic, fulfillment)


# ---------------------------------------------------------------- refunds

@st.composite
def refunds_of(draw, order: dict) -> dict:
    refund = copy.deepcopy(REFUND)
    for key in draw(some_keys_of(refund, keep=("id", "order_id", "refund_line_items",
                                               "transactions"))):
        del refund[key]
    known = [item["id"] for item in order["line_items"] or []]
    refunded = draw(st.lists(st.sampled_from([*known, 3, 4]), unique=True, max_size=4))
    refund.update(
        id=next(_ids), order_id=order["id"],
        refund_line_items=[{"id": next(_ids), "line_item_id": ref,
                            "quantity": draw(st.integers(0, 5))} for ref in refunded],
        transactions=[{"kind": draw(st.sampled_from(["refund", "sale"])),
                       "status": draw(st.sampled_from(["success", "failure"])),
                       "amount": f"{draw(st.integers(0, 500))}.00"}
                      for _ in range(draw(st.integers(0, 2)))])
    return {**refund, **draw(unknown_keys)}


def refunded_whole_units(refund: dict) -> int:
    return sum(int(Decimal(t["amount"])) for t in refund["transactions"]
               if (t["kind"], t["status"]) == ("refund", "success"))


def refunded_counts(order: dict, refund: dict) -> dict[str, int]:
    asked = {str(item["line_item_id"]): item["quantity"] for item in refund["refund_line_items"]}
    return {str(item["id"]): min(asked.get(str(item["id"]), 0), quantity_of(item))
            for item in order["line_items"] or [] if quantity_of(item) >= 1}


@EXAMPLES
@given(data=st.data(), order=shopify_orders(), order_first=st.booleans())
def test_any_odd_refund_is_applied_within_what_the_order_has(client, store, db, data, order,
                                                             order_first):
    order = with_fresh_ids(order)
    refund = data.draw(refunds_of(order))

    if order_first:
        assert deliver(client, "orders/create", order).status_code == 200
        response = deliver(client, "refunds/create", refund)
        assert (response.status_code, response.json()) == (200, {"status": "applied"})
    else:
        response = deliver(client, "refunds/create", refund)
        assert (response.status_code, response.json()) == (202, {"status": "held"})
        assert deliver(client, "orders/create", order).status_code == 200

    stored = stored_order(db, order["id"])
    paid_back = refunded_whole_units(refund) * 10 ** minor_units_exponent(stored.currency)
    assert stored.refunded_minor == min(paid_back, stored.total_minor)
    assert {ln.external_id: ln.refunded_quantity for ln in stored.lines} == refunded_counts(
        order, refund)
    assert_a_second_delivery_changes_nothing(client, db, "refunds/create", refund)


# ---------------------------------------------------------------- anything signed

RESOURCES = {"orders/create": ORDER, "orders/updated": ORDER, "orders/cancelled": ORDER,
             "fulfillments/create": FULFILLMENT, "fulfillments/update": FULFILLMENT,
             "refunds/create": REFUND}


@EXAMPLES
@given(topic=st.sampled_from(sorted(RESOURCES)), data=st.data())
def test_a_signed_json_object_is_never_refused_whatever_its_fields_hold(client, store, db,
                                                                        topic, data):
    payload = copy.deepcopy(RESOURCES[topic])
    payload["id"] = next(_ids)
    for key in data.draw(st.sets(st.sampled_from(sorted(payload)), max_size=3)):
        payload[key] = data.draw(json_values)

    response = deliver(client, topic, payload)

    assert response.status_code in (200, 202), response.text
    assert response.json()["status"] in ("applied", "duplicate", "held", "kept_for_review")
    before = counts(db)
    assert deliver(client, topic, payload).json() == {"status": "duplicate"}
    assert counts(db) == before
