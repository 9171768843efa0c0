"""Shopify deliveries that cannot be stored without guessing (no id, a price that
is not a number, an amount beyond the money columns) or that would overwrite another
order are kept for review: answered 202, so Shopify stops retrying, with the body
and the reason kept in held_deliveries, and no order written."""

from __future__ import annotations

from sqlalchemy import select

from afterward.commerce.models import Order
from tests.api.shopify_helpers import counts, deliver, resource, set_aside, stored_order
from tests.factories import order_body

ORDER_ID = 450789469


def line(line_id: int, price: str) -> dict:
    return {"id": line_id, "title": "Mug", "price": price, "quantity": 1}


def order_with(**changes) -> dict:
    order = resource("order")
    order.update(changes)
    return order


def assert_kept_for_review(response, db, before: dict[str, int], reason: str) -> None:
    assert (response.status_code, response.json()) == (202, {"status": "kept_for_review"})
    assert set_aside(db) == [("orders/create", f"review:{reason}"[:100])]
    after = counts(db)
    assert (after["orders"], after["order_lines"], after["customers"], after["events"]) == (
        before["orders"], before["order_lines"], before["customers"], before["events"])


def test_an_order_with_no_id_is_kept_for_review_and_no_order_written(client, store, db):
    before = counts(db)
    order = resource("order")
    del order["id"]

    response = deliver(client, "orders/create", order)

    assert_kept_for_review(response, db, before, "id: the order has no id")


def test_an_id_longer_than_any_shopify_id_is_kept_for_review(client, store, db):
    before = counts(db)

    response = deliver(client, "orders/create", order_with(id="9" * 80))

    assert_kept_for_review(response, db, before, "id: id is not an id: '99999999999999999999'...")


def test_a_negative_price_is_kept_for_review_and_no_order_written(client, store, db):
    before = counts(db)

    response = deliver(client, "orders/create", order_with(line_items=[line(1, "-1.00")]))

    assert_kept_for_review(response, db, before, "line_items.0.price: line_items.0.price "
                           "is not a non-negative amount: '-1.00'")


def test_an_amount_too_large_for_the_money_columns_is_kept_for_review(client, store, db):
    before = counts(db)

    response = deliver(client, "orders/create", order_with(
        line_items=[line(1, "30000000.00")]))

    assert_kept_for_review(response, db, before, "line_items.0.price: line_items.0.price "
                           "is too large to store (3000000000 minor units)")


def test_an_order_whose_number_an_api_order_has_is_kept_for_review_and_both_untouched(
        client, store, db):
    created = client.post("/api/v1/orders", json=order_body("#1001"), headers=store.auth)
    assert created.status_code == 201
    before = counts(db)

    response = deliver(client, "orders/create", resource("order"))

    assert_kept_for_review(response, db, before,
                           "number: #1001 is another order's number")
    with db.reading() as session:
        assert session.scalar(select(Order.source).where(Order.number == "#1001")) == "api"


def test_another_shopify_order_with_the_same_name_is_kept_for_review_not_overwriting(
        client, store, db):
    deliver(client, "orders/create", resource("order"))
    before = counts(db)

    response = deliver(client, "orders/create", order_with(id=1234, line_items=[]))

    assert_kept_for_review(response, db, before, "number: #1001 is another order's number")
    assert len(stored_order(db, ORDER_ID).lines) == 3


def test_a_delivery_kept_for_review_twice_is_a_duplicate_the_second_time(client, store, db):
    order = order_with(line_items=[line(1, "abc")])
    deliver(client, "orders/create", order)
    before = counts(db)

    response = deliver(client, "orders/create", order)

    assert response.json() == {"status": "duplicate"}
    assert counts(db) == before
