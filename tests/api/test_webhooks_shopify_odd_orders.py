"""Real Shopify orders that look odd are stored as they are and answered 200:
Shopify retries a refused webhook and drops the subscription after repeated
failures, so a refusal would cut the store off."""

from __future__ import annotations

from datetime import UTC, datetime

from afterward.commerce.models import Customer
from tests.api.shopify_helpers import counts, deliver, resource, stored_order

ORDER_ID = 450789469


def line(line_id: int, title: str = "Mug", price="12.00", quantity=1, **extra) -> dict:
    return {"id": line_id, "title": title, "name": title, "price": price, "quantity": quantity,
            "sku": None, "product_id": None, "variant_id": None, "gift_card": False, **extra}


def order_with(**changes) -> dict:
    order = resource("order")
    order.update(changes)
    return order


def assert_applied(response) -> None:
    assert (response.status_code, response.json()) == (200, {"status": "applied"})


def test_an_order_with_no_line_items_is_stored_with_no_lines(client, store, db):
    response = deliver(client, "orders/create", order_with(line_items=[]))

    assert_applied(response)
    order = stored_order(db, ORDER_ID)
    assert order.lines == []
    assert (order.number, order.subtotal_minor, order.total_minor) == ("#1001", 0, 40994)


def test_an_order_with_null_line_items_is_stored_with_no_lines(client, store, db):
    response = deliver(client, "orders/create", order_with(line_items=None))

    assert_applied(response)
    assert stored_order(db, ORDER_ID).lines == []


def test_a_custom_line_with_no_product_variant_or_sku_is_stored_as_a_custom_line(
        client, store, db):
    custom = line(11, "Engraving", "5.00", sku=None, product_id=None, variant_id=None)

    assert_applied(deliver(client, "orders/create", order_with(line_items=[custom])))

    [stored] = stored_order(db, ORDER_ID).lines
    assert (stored.sku, stored.product_id, stored.variant_id) == (None, None, None)
    assert (stored.external_id, stored.title, stored.quantity, stored.unit_price_minor) == (
        "11", "Engraving", 1, 500)


def test_zero_price_lines_are_stored_at_zero_whatever_way_the_price_is_written(
        client, store, db):
    lines = [line(1, price="0.00"), line(2, price=0), line(3, price="0"), line(4, price=None)]

    assert_applied(deliver(client, "orders/create", order_with(line_items=lines)))

    order = stored_order(db, ORDER_ID)
    assert [(ln.unit_price_minor, ln.total_minor) for ln in order.lines] == [(0, 0)] * 4
    assert order.subtotal_minor == 0


def test_a_gift_card_line_is_stored_as_a_line_with_its_price(client, store, db):
    gift_card = line(21, "Gift card", "50.00", gift_card=True, sku="", product_id=1,
                     requires_shipping=False)

    assert_applied(deliver(client, "orders/create", order_with(line_items=[gift_card])))

    [stored] = stored_order(db, ORDER_ID).lines
    assert (stored.title, stored.sku, stored.unit_price_minor) == ("Gift card", None, 5000)


def test_a_tip_is_stored_as_a_custom_line_and_counted_in_the_total(client, store, db):
    tip = line(31, "Tip", "5.00", requires_shipping=False, taxable=False)
    order = order_with(line_items=[line(30, "Mug", "12.00"), tip], total_tip_received="5.00",
                       subtotal_price="17.00", total_tax="0.00", total_price="17.00")

    assert_applied(deliver(client, "orders/create", order))

    stored = stored_order(db, ORDER_ID)
    assert [(ln.title, ln.sku, ln.unit_price_minor) for ln in stored.lines] == [
        ("Mug", None, 1200), ("Tip", None, 500)]
    assert (stored.subtotal_minor, stored.total_minor) == (1700, 1700)


def test_a_pos_order_with_no_customer_and_no_email_is_stored_without_a_customer(
        client, store, db):
    order = order_with(source_name="pos", customer=None, email=None, contact_email=None,
                       shipping_address=None, billing_address=None)

    assert_applied(deliver(client, "orders/create", order))

    stored = stored_order(db, ORDER_ID)
    assert (stored.customer_id, stored.email, stored.ship_city) == (None, None, None)
    assert len(stored.lines) == 3
    assert counts(db)["customers"] == 0


def test_a_pos_order_with_an_empty_email_and_a_customer_without_one_has_no_customer(
        client, store, db):
    order = order_with(source_name="pos", email="", customer={"first_name": "Walk-in"})

    assert_applied(deliver(client, "orders/create", order))

    assert (stored_order(db, ORDER_ID).customer_id, counts(db)["customers"]) == (None, 0)


def test_a_missing_shipping_address_leaves_the_address_empty(client, store, db):
    order = resource("order")
    del order["shipping_address"], order["billing_address"]

    assert_applied(deliver(client, "orders/create", order))

    stored = stored_order(db, ORDER_ID)
    assert (stored.ship_name, stored.ship_address1, stored.ship_city, stored.ship_country) == (
        None, None, None, None)


def test_a_country_code_that_is_not_two_letters_is_left_out_of_the_address(client, store, db):
    order = resource("order")
    order["shipping_address"]["country_code"] = "USA"

    assert_applied(deliver(client, "orders/create", order))

    stored = stored_order(db, ORDER_ID)
    assert (stored.ship_city, stored.ship_postal_code, stored.ship_country) == (
        "Louisville", "40202", None)


def test_unknown_extra_fields_are_ignored(client, store, db):
    order = order_with(brand_new_field={"nested": [1, {"deeper": None}]}, another=None)
    for item in order["line_items"]:
        item["future_field"] = [True, "x"]

    assert_applied(deliver(client, "orders/create", order))

    stored = stored_order(db, ORDER_ID)
    assert (stored.total_minor, len(stored.lines)) == (40994, 3)


def test_an_order_with_only_an_id_is_stored_with_the_store_defaults(client, store, db):
    before = datetime.now(UTC)

    assert_applied(deliver(client, "orders/create", {"id": 820982911946154508}))

    stored = stored_order(db, 820982911946154508)
    assert (stored.number, stored.currency, stored.total_minor, stored.lines) == (
        "820982911946154508", "USD", 0, [])
    assert (stored.email, stored.customer_id, stored.financial_status) == (None, None, None)
    assert before <= stored.placed_at <= datetime.now(UTC)


def test_an_order_without_created_at_is_placed_at_its_processed_at(client, store, db):
    order = order_with(processed_at="2008-01-10T12:30:00-05:00")
    del order["created_at"]

    assert_applied(deliver(client, "orders/create", order))

    assert stored_order(db, ORDER_ID).placed_at == datetime(2008, 1, 10, 17, 30, tzinfo=UTC)


def test_a_created_at_beyond_the_calendar_in_utc_places_the_order_at_its_updated_at(
        client, store, db):
    order = order_with(created_at="9999-12-31T23:00:00-05:00")

    assert_applied(deliver(client, "orders/create", order))

    assert stored_order(db, ORDER_ID).placed_at == datetime(2008, 1, 10, 16, 0, tzinfo=UTC)


def test_prices_sent_as_numbers_are_read_exactly(client, store, db):
    lines = [line(1, price=19.99), line(2, price=20), line(3, price="7.5")]

    assert_applied(deliver(client, "orders/create", order_with(
        line_items=lines, total_price=47.49, total_tax=0, total_discounts="0.00")))

    stored = stored_order(db, ORDER_ID)
    assert [ln.unit_price_minor for ln in stored.lines] == [1999, 2000, 750]
    assert (stored.subtotal_minor, stored.total_minor, stored.tax_minor) == (4749, 4749, 0)


def test_more_decimals_than_the_currency_has_are_rounded_half_to_even(client, store, db):
    lines = [line(1, price="10.005"), line(2, price="10.015")]

    assert_applied(deliver(client, "orders/create", order_with(line_items=lines)))

    assert [ln.unit_price_minor for ln in stored_order(db, ORDER_ID).lines] == [1000, 1002]


def test_a_lowercase_currency_code_with_spaces_is_read(client, store, db):
    assert_applied(deliver(client, "orders/create", order_with(currency=" usd ")))

    assert stored_order(db, ORDER_ID).currency == "USD"


def test_a_yen_order_is_stored_in_whole_yen(client, store, db):
    order = order_with(currency="JPY", line_items=[line(1, price="1500.00", quantity=2)],
                       total_price="3300", total_tax="300.00")

    assert_applied(deliver(client, "orders/create", order))

    stored = stored_order(db, ORDER_ID)
    assert (stored.currency, stored.lines[0].unit_price_minor) == ("JPY", 1500)
    assert (stored.subtotal_minor, stored.tax_minor, stored.total_minor) == (3000, 300, 3300)


def test_a_title_longer_than_the_column_is_cut_to_300_characters(client, store, db):
    title = "Very long engraved title " * 60

    assert_applied(deliver(client, "orders/create", order_with(line_items=[line(1, title)])))

    assert stored_order(db, ORDER_ID).lines[0].title == title[:300].rstrip()


def test_long_customer_names_and_address_parts_are_cut_to_their_columns(client, store, db):
    order = resource("order")
    order["customer"]["first_name"] = "Bartholomew" * 20
    order["shipping_address"]["city"] = "Llanfair" * 30
    order["shipping_address"]["zip"] = "40202-1234-5678-9012-3456"

    assert_applied(deliver(client, "orders/create", order))

    stored = stored_order(db, ORDER_ID)
    assert (stored.ship_city, stored.ship_postal_code) == (
        ("Llanfair" * 30)[:100], "40202-1234-5678-9012")
    with db.reading() as session:
        assert session.get(Customer, stored.customer_id).first_name == ("Bartholomew" * 20)[:100]


def test_a_line_of_zero_items_is_left_out_and_the_rest_of_the_order_stored(client, store, db):
    lines = [line(1, "Mug", quantity=1), line(2, "Removed", quantity=0), line(3, "Cup",
                                                                            quantity=2)]

    assert_applied(deliver(client, "orders/create", order_with(line_items=lines)))

    stored = stored_order(db, ORDER_ID)
    assert [(ln.external_id, ln.quantity) for ln in stored.lines] == [("1", 1), ("3", 2)]
    assert stored.subtotal_minor == 3600


def test_quantities_sent_as_text_or_whole_floats_are_read(client, store, db):
    lines = [line(1, quantity="2"), line(2, quantity=3.0)]

    assert_applied(deliver(client, "orders/create", order_with(line_items=lines)))

    assert [ln.quantity for ln in stored_order(db, ORDER_ID).lines] == [2, 3]


def test_an_email_we_cannot_send_to_is_left_out_and_the_order_kept(client, store, db):
    order = order_with(email="bob at hostmail", customer=None)

    assert_applied(deliver(client, "orders/create", order))

    stored = stored_order(db, ORDER_ID)
    assert (stored.email, stored.customer_id) == (None, None)


def test_an_internationalised_email_domain_is_stored_in_its_ascii_form(client, store, db):
    order = resource("order")
    order["email"] = order["customer"]["email"] = "anna@bücher.de"

    assert_applied(deliver(client, "orders/create", order))

    stored = stored_order(db, ORDER_ID)
    assert stored.email == "anna@xn--bcher-kva.de"
    with db.reading() as session:
        assert session.get(Customer, stored.customer_id).email == "anna@xn--bcher-kva.de"


def test_an_order_name_with_spaces_is_stored_without_them(client, store, db):
    assert_applied(deliver(client, "orders/create", order_with(name=" # 1001 ")))

    assert stored_order(db, ORDER_ID).number == "#1001"


def test_nul_characters_are_removed_from_text_not_refused(client, store, db):
    order = order_with(line_items=[line(1, "Mug\x00 with lid")], note="a\x00b")

    assert_applied(deliver(client, "orders/create", order))

    assert stored_order(db, ORDER_ID).lines[0].title == "Mug with lid"


def test_an_update_with_no_line_items_removes_the_lines(client, store, db):
    deliver(client, "orders/create", resource("order"))

    response = deliver(client, "orders/updated", order_with(
        line_items=[], updated_at="2008-01-11T09:00:00-05:00", total_price="0.00"))

    assert_applied(response)
    stored = stored_order(db, ORDER_ID)
    assert (stored.lines, stored.subtotal_minor, stored.total_minor) == ([], 0, 0)


def test_a_cancellation_with_no_cancelled_at_and_no_lines_cancels_at_its_update_time(
        client, store, db):
    order = order_with(line_items=[], cancelled_at=None, customer=None,
                       updated_at="2008-01-12T10:00:00-05:00")

    assert_applied(deliver(client, "orders/cancelled", order))

    stored = stored_order(db, ORDER_ID)
    assert (stored.status, stored.cancelled_at) == (
        "cancelled", datetime(2008, 1, 12, 15, 0, tzinfo=UTC))
