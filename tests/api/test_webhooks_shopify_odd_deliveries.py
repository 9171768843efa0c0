"""Fulfillments and refunds that do not fit the order we have are applied as far as
they fit, never refused: Shopify has already shipped or paid back."""

from __future__ import annotations

from sqlalchemy import select

from afterward.events import Event
from afterward.inbound.models import HeldDelivery
from afterward.tracking.models import Shipment
from tests.api.shopify_helpers import counts, deliver, resource, set_aside, stored_order

ORDER_ID = 450789469
GREEN, RED, BLACK = 466157049, 518995019, 703073504  # the order's line item ids


def fulfillment_with(**changes) -> dict:
    fulfillment = resource("fulfillment")
    fulfillment.update(changes)
    return fulfillment


def refund_with(**changes) -> dict:
    refund = resource("refund")
    refund.update(changes)
    return refund


def refunded_item(line_item_id, quantity, sku=None) -> dict:
    return {"id": line_item_id + 1, "line_item_id": line_item_id, "quantity": quantity,
            "line_item": {"id": line_item_id, "sku": sku}}


def paid_back(amount: str) -> list[dict]:
    return [{"id": 1, "kind": "refund", "status": "success", "amount": amount}]


def the_shipment(db) -> Shipment:
    with db.reading() as session:
        shipment = session.scalar(select(Shipment))
        shipment.lines  # noqa: B018 - loaded before the session closes
        session.expunge(shipment)
        return shipment


def line_ids_by_external_id(db) -> dict[str, int]:
    return {ln.external_id: ln.id for ln in stored_order(db, ORDER_ID).lines}


def refunded_quantities(db) -> dict[str, int]:
    return {ln.external_id: ln.refunded_quantity for ln in stored_order(db, ORDER_ID).lines}


def assert_applied(response) -> None:
    assert (response.status_code, response.json()) == (200, {"status": "applied"})


# ---------------------------------------------------------------- fulfillments

def test_a_fulfillment_naming_a_line_the_order_lacks_ships_the_lines_it_has(client, store, db):
    deliver(client, "orders/create", resource("order"))
    lines = [{"id": 999999, "quantity": 1}, {"id": RED, "quantity": 1}]

    assert_applied(deliver(client, "fulfillments/create", fulfillment_with(line_items=lines)))

    shipped = [(ln.order_line_id, ln.quantity) for ln in the_shipment(db).lines]
    assert shipped == [(line_ids_by_external_id(db)[str(RED)], 1)]


def test_a_fulfillment_for_an_order_with_no_lines_is_a_shipment_with_no_lines(
        client, store, db):
    order = resource("order")
    order["line_items"] = []
    deliver(client, "orders/create", order)

    assert_applied(deliver(client, "fulfillments/create", resource("fulfillment")))

    shipment = the_shipment(db)
    assert (shipment.tracking_number, shipment.lines) == ("1Z2345", [])


def test_a_fulfillment_line_of_zero_items_is_not_shipped(client, store, db):
    deliver(client, "orders/create", resource("order"))
    lines = [{"id": GREEN, "quantity": 0}, {"id": RED, "quantity": "2"}]

    assert_applied(deliver(client, "fulfillments/create", fulfillment_with(line_items=lines)))

    shipped = [(ln.order_line_id, ln.quantity) for ln in the_shipment(db).lines]
    assert shipped == [(line_ids_by_external_id(db)[str(RED)], 2)]


def test_a_tracking_number_that_cannot_be_one_is_left_out_and_the_shipment_kept(
        client, store, db):
    deliver(client, "orders/create", resource("order"))
    url = "https://www.example-carrier.com/track?number=1Z2345&lang=en&country=US&x=1"

    response = deliver(client, "fulfillments/create", fulfillment_with(
        tracking_number=url, tracking_numbers=[url]))

    assert_applied(response)
    shipment = the_shipment(db)
    assert (shipment.tracking_number, len(shipment.lines)) == (None, 1)


def test_a_fulfillment_without_tracking_is_a_shipment_without_a_number(client, store, db):
    deliver(client, "orders/create", resource("order"))

    response = deliver(client, "fulfillments/create", fulfillment_with(
        tracking_number=None, tracking_numbers=None, tracking_company=None, service=None))

    assert_applied(response)
    shipment = the_shipment(db)
    assert (shipment.tracking_number, shipment.carrier, shipment.service) == (None, None, None)


def test_a_long_tracking_company_is_cut_to_the_carrier_column(client, store, db):
    deliver(client, "orders/create", resource("order"))
    company = "Pan-Pacific Express Logistics International Ltd"

    assert_applied(deliver(client, "fulfillments/create", fulfillment_with(
        tracking_company=company)))

    assert the_shipment(db).carrier == company[:32]


def test_a_fulfillment_update_to_delivered_marks_the_shipment_delivered(client, store, db):
    deliver(client, "orders/create", resource("order"))
    deliver(client, "fulfillments/create", resource("fulfillment"))

    response = deliver(client, "fulfillments/update", fulfillment_with(
        shipment_status="delivered", updated_at="2013-11-03T10:00:00-04:00", extra_field=1))

    assert_applied(response)
    assert the_shipment(db).status == "delivered"


def test_a_fulfillment_with_no_order_id_is_kept_for_review(client, store, db):
    before = counts(db)
    fulfillment = resource("fulfillment")
    del fulfillment["order_id"]

    response = deliver(client, "fulfillments/create", fulfillment)

    assert (response.status_code, response.json()) == (202, {"status": "kept_for_review"})
    assert set_aside(db) == [("fulfillments/create",
                              "review:order_id: a fulfillment needs id and order_id")]
    assert counts(db)["shipments"] == before["shipments"]


def test_a_fulfillment_for_an_unknown_order_is_held_with_a_202(client, store, db):
    response = deliver(client, "fulfillments/update", resource("fulfillment"))

    assert (response.status_code, response.json()) == (202, {"status": "held"})
    assert set_aside(db) == [("fulfillments/update", f"order:{ORDER_ID}")]


def test_a_held_delivery_keeps_unknown_fields_with_nesting_beyond_32_levels_cut(
        client, store, db):
    nested: list = []
    for _ in range(500):
        nested = [nested]

    response = deliver(client, "fulfillments/create", fulfillment_with(x_deep=nested))

    assert (response.status_code, response.json()) == (202, {"status": "held"})
    with db.reading() as session:
        body = session.scalar(select(HeldDelivery.body))
    depth, value = 0, body["x_deep"]
    while isinstance(value, list):
        depth, value = depth + 1, value[0]
    assert (depth, value, body["tracking_number"]) == (31, None, "1Z2345")


# ---------------------------------------------------------------- refunds

def test_a_refund_for_a_line_the_store_does_not_know_applies_its_amount(client, store, db):
    deliver(client, "orders/create", resource("order"))
    refund = refund_with(refund_line_items=[refunded_item(123456, 1, sku="UNKNOWN")],
                         transactions=paid_back("10.00"))

    assert_applied(deliver(client, "refunds/create", refund))

    assert stored_order(db, ORDER_ID).refunded_minor == 1000
    assert set(refunded_quantities(db).values()) == {0}


def test_a_refund_of_more_items_than_a_line_has_left_refunds_what_is_left(client, store, db):
    deliver(client, "orders/create", resource("order"))
    refund = refund_with(refund_line_items=[refunded_item(RED, 5)],
                         transactions=paid_back("199.00"))

    assert_applied(deliver(client, "refunds/create", refund))

    assert refunded_quantities(db) == {str(GREEN): 0, str(RED): 1, str(BLACK): 0}
    assert stored_order(db, ORDER_ID).refunded_minor == 19900


def test_a_refund_matched_by_sku_when_it_names_no_line_item_id(client, store, db):
    deliver(client, "orders/create", resource("order"))
    item = {"id": 1, "quantity": 1, "line_item": {"sku": "IPOD2008BLACK"}}

    assert_applied(deliver(client, "refunds/create", refund_with(refund_line_items=[item])))

    assert refunded_quantities(db)[str(BLACK)] == 1


def test_a_refund_above_the_order_total_is_cut_to_what_is_left_of_the_total(
        client, store, db):
    deliver(client, "orders/create", resource("order"))
    deliver(client, "refunds/create", refund_with(id=1, refund_line_items=[],
                                                  transactions=paid_back("400.00")))

    response = deliver(client, "refunds/create", refund_with(
        id=2, refund_line_items=[], transactions=paid_back("1000.00")))

    assert_applied(response)
    assert stored_order(db, ORDER_ID).refunded_minor == 40994
    with db.reading() as session:
        amounts = session.scalars(select(Event.payload).where(Event.name == "order.refunded")
                                  .order_by(Event.id)).all()
    assert [p["amount_minor"] for p in amounts] == [40000, 994]


def test_a_refund_with_no_lines_and_no_transactions_is_recorded_at_zero(client, store, db):
    deliver(client, "orders/create", resource("order"))

    assert_applied(deliver(client, "refunds/create", {"id": 7, "order_id": ORDER_ID}))

    assert stored_order(db, ORDER_ID).refunded_minor == 0
    with db.reading() as session:
        [payload] = session.scalars(select(Event.payload).where(
            Event.name == "order.refunded")).all()
    assert (payload["refund_key"], payload["amount_minor"], payload["lines"]) == (
        "shopify:7", 0, [])


def test_a_refund_for_an_order_with_no_lines_applies_its_amount(client, store, db):
    order = resource("order")
    order["line_items"] = []
    deliver(client, "orders/create", order)

    assert_applied(deliver(client, "refunds/create", resource("refund")))

    assert stored_order(db, ORDER_ID).refunded_minor == 20900


def test_a_refund_for_an_unknown_order_is_held_then_applied_when_the_order_arrives(
        client, store, db):
    held = deliver(client, "refunds/create", resource("refund"))
    assert (held.status_code, held.json()) == (202, {"status": "held"})

    assert_applied(deliver(client, "orders/create", resource("order")))

    assert stored_order(db, ORDER_ID).refunded_minor == 20900
    assert set_aside(db) == []


def test_a_held_refund_that_cannot_be_read_is_kept_for_review_and_the_order_stored(
        client, store, db):
    deliver(client, "refunds/create", refund_with(transactions=paid_back("lots")))

    assert_applied(deliver(client, "orders/create", resource("order")))

    assert stored_order(db, ORDER_ID).refunded_minor == 0
    assert set_aside(db) == [("refunds/create", "review:transactions.amount: "
                              "transactions.amount is not an amount: 'lots'")]
