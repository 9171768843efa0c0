from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import func, select

from afterward.commerce.models import Customer, Order
from afterward.events import Event
from afterward.tracking.models import Shipment
from tests.api.shopify_helpers import counts, deliver, resource, set_aside, sign


def test_orders_create_stores_the_order_in_minor_units(client, store, db):
    response = deliver(client, "orders/create", resource("order"))

    assert response.status_code == 200
    assert response.json() == {"status": "applied"}
    with db.reading() as session:
        order = session.scalar(select(Order))
        assert (order.number, order.source, order.external_id) == ("#1001", "shopify", "450789469")
        assert (order.total_minor, order.tax_minor, order.currency) == (40994, 1194, "USD")
        assert [(ln.sku, ln.quantity, ln.unit_price_minor) for ln in order.lines] == [
            ("IPOD2008GREEN", 1, 19900), ("IPOD2008RED", 1, 19900), ("IPOD2008BLACK", 1, 19900)]
        assert order.ship_postal_code == "40202"
        customer = session.get(Customer, order.customer_id)
        assert (customer.email, customer.external_id) == ("bob.norman@hostmail.com", "207119551")


def test_the_same_delivery_twice_changes_nothing_the_second_time(client, store, db):
    deliver(client, "orders/create", resource("order"))
    before = counts(db)

    response = deliver(client, "orders/create", resource("order"))

    assert response.json() == {"status": "duplicate"}
    assert counts(db) == before


def test_an_update_that_arrives_before_its_create_wins(client, store, db):
    created = resource("order")
    updated = copy.deepcopy(created)
    updated["updated_at"] = "2008-01-11T09:00:00-05:00"
    updated["line_items"] = updated["line_items"][:1]
    updated["total_price"] = "199.00"

    assert deliver(client, "orders/updated", updated).status_code == 200
    assert deliver(client, "orders/create", created).status_code == 200

    with db.reading() as session:
        order = session.scalar(select(Order))
        assert order.total_minor == 19900
        assert len(order.lines) == 1
        assert session.scalar(select(func.count()).select_from(Order)) == 1


def test_orders_cancelled_cancels_the_order_once(client, store, db):
    deliver(client, "orders/create", resource("order"))
    cancelled = resource("order")
    cancelled["cancelled_at"] = "2008-01-12T10:00:00-05:00"
    cancelled["cancel_reason"] = "customer"
    cancelled["updated_at"] = "2008-01-12T10:00:00-05:00"

    deliver(client, "orders/cancelled", cancelled)

    with db.reading() as session:
        order = session.scalar(select(Order))
        assert (order.status, order.cancel_reason) == ("cancelled", "customer")
        names = session.scalars(select(Event.name).where(Event.name == "order.cancelled")).all()
        assert names == ["order.cancelled"]


def test_a_fulfillment_creates_a_shipment_for_its_lines(client, store, db):
    deliver(client, "orders/create", resource("order"))

    response = deliver(client, "fulfillments/create", resource("fulfillment"))

    assert response.json() == {"status": "applied"}
    with db.reading() as session:
        shipment = session.scalar(select(Shipment))
        assert (shipment.tracking_number, shipment.status) == ("1Z2345", "info_received")
        assert [line.quantity for line in shipment.lines] == [1]
        assert len(shipment.token) >= 43


def test_a_fulfillment_before_its_order_is_held_then_applied(client, store, db):
    held = deliver(client, "fulfillments/create", resource("fulfillment"))
    assert held.status_code == 202
    assert counts(db)["held_deliveries"] == 1

    deliver(client, "orders/create", resource("order"))

    after = counts(db)
    assert (after["shipments"], after["held_deliveries"]) == (1, 0)


def test_a_refund_is_applied_once_to_amount_and_lines(client, store, db):
    deliver(client, "orders/create", resource("order"))

    first = deliver(client, "refunds/create", resource("refund"))
    again = deliver(client, "refunds/create", resource("refund"), raw=json.dumps(
        resource("refund"), indent=1).encode())

    assert first.json() == {"status": "applied"}
    assert again.json() == {"status": "duplicate"}
    with db.reading() as session:
        order = session.scalar(select(Order))
        assert order.refunded_minor == 20900
        assert sorted(ln.refunded_quantity for ln in order.lines) == [0, 1, 1]


@pytest.mark.parametrize("signature", ["", "bm90IHRoZSByaWdodCBzaWduYXR1cmU=", sign(b"other")])
def test_a_bad_or_missing_signature_is_refused_and_nothing_is_written(client, store, db,
                                                                      signature):
    before = counts(db)

    response = deliver(client, "orders/create", resource("order"), signature=signature)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    assert counts(db) == before


def test_an_unknown_store_is_a_404(client, store):
    response = deliver(client, "orders/create", resource("order"), slug="nope")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_store"


def test_malformed_json_is_a_400_and_nothing_is_written(client, store, db):
    before = counts(db)

    response = deliver(client, "orders/create", None, raw=b'{"order": ')

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert counts(db) == before


def test_an_unknown_currency_code_is_read_as_the_store_currency(client, make_store, db):
    make_store("euro", currency="EUR", shopify_secret="shpss_test_secret")
    order = resource("order")
    order["currency"] = "XYZ"

    response = deliver(client, "orders/create", order, slug="euro")

    assert (response.status_code, response.json()) == (200, {"status": "applied"})
    with db.reading() as session:
        stored = session.scalar(select(Order))
        assert (stored.currency, stored.total_minor) == ("EUR", 40994)


def test_a_quantity_that_is_not_a_number_is_kept_for_review_and_no_order_written(
        client, store, db):
    order = resource("order")
    order["line_items"][1]["quantity"] = "two"
    before = counts(db)

    response = deliver(client, "orders/create", order)

    assert (response.status_code, response.json()) == (202, {"status": "kept_for_review"})
    assert set_aside(db) == [("orders/create", "review:line_items.1.quantity: "
                              "line_items.1.quantity is not a whole number: 'two'")]
    after = counts(db)
    assert (after["orders"], after["events"]) == (before["orders"], before["events"])
    assert after["webhook_receipts"] == before["webhook_receipts"] + 1


def test_a_body_that_is_not_a_json_object_is_a_422_and_nothing_is_written(client, store, db):
    before = counts(db)

    response = deliver(client, "orders/create", [resource("order")])

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert counts(db) == before


def test_nan_is_not_json_so_a_body_with_it_is_a_400(client, store, db):
    before = counts(db)

    response = deliver(client, "orders/create", None, raw=b'{"id": 1, "total_price": NaN}')

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert counts(db) == before


def test_a_body_nested_too_deep_to_read_is_a_400_and_nothing_is_written(client, store, db):
    before = counts(db)

    response = deliver(client, "orders/create", None,
                       raw=b'{"id": 1, "x": ' + b"[" * 5000 + b"]" * 5000 + b"}")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert counts(db) == before


def test_an_unsupported_topic_is_a_422(client, store):
    response = deliver(client, "products/create", resource("order"))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unsupported_topic"


def test_a_body_over_one_mebibyte_is_a_413(client, store, db):
    before = counts(db)
    raw = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'

    response = deliver(client, "orders/create", None, raw=raw)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert counts(db) == before
