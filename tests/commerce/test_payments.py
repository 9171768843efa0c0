"""Payment fingerprints: hashed, compared by equality, read from Shopify's
payment_details and kept by an update that names none."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from afterward.commerce import payments
from afterward.commerce.ingest.shopify_parse import parse_order
from afterward.commerce.models import Order
from tests.factories import order_body

SHOPIFY_ORDER = Path(__file__).parents[1] / "data" / "shopify" / "order.json"


def test_a_fingerprint_is_stored_as_32_hex_digits_of_a_hash():
    stored = payments.fingerprint("card_fp_Xy12")

    assert (len(stored), stored == payments.fingerprint("card_fp_Xy12"),
            stored == payments.fingerprint("card_fp_Xy13"), "Xy12" in stored) == (
        32, True, False, False)
    assert set(stored) <= set("0123456789abcdef")


def test_a_shopify_card_is_its_brand_bin_and_last_four_digits():
    assert payments.shopify_card({"credit_card_number": "XXXX-XXXX-XXXX-4242",
                                  "credit_card_company": "American Express",
                                  "credit_card_bin": "378282"}) == \
        "card:american-express:378282:4242"
    assert payments.shopify_card({"credit_card_number": "•••• •••• •••• 4242",
                                  "credit_card_company": "Visa",
                                  "credit_card_bin": None}) == "card:visa::4242"


def test_a_payment_without_four_digits_gives_no_fingerprint():
    assert [payments.shopify_card(value) for value in (
        None, "visa", {}, {"credit_card_number": None}, {"credit_card_number": "XX-42"},
        {"credit_card_number": 4242})] == [None] * 6


def test_the_shopify_order_fixture_carries_its_cards_fingerprint():
    data = json.loads(SHOPIFY_ORDER.read_text(encoding="utf-8"))
    data = data.get("order", data)

    order, _ = parse_order(data, store_currency="USD")

    assert order.payment_fingerprint == "card:visa::4242"


def test_an_order_keeps_its_fingerprint_when_an_update_names_none(client, store, db):
    body = order_body("5001", payment_fingerprint="card_fp_Xy12")
    assert client.post("/api/v1/orders", json=body, headers=store.auth).status_code == 201
    body.pop("payment_fingerprint")
    body["email"] = "new@example.com"
    assert client.post("/api/v1/orders?upsert=true", json=body,
                       headers=store.auth).status_code == 200

    with db.reading() as session:
        stored = session.scalar(select(Order.payment_fingerprint))
    assert stored == payments.fingerprint("card_fp_Xy12")


def test_a_fingerprint_with_a_space_is_refused_and_nothing_written(client, store, db):
    answer = client.post("/api/v1/orders", json=order_body(
        "5002", payment_fingerprint="card fp"), headers=store.auth)

    assert (answer.status_code, answer.json()["error"]["field"]) == (
        422, "payment_fingerprint")
    with db.reading() as session:
        assert session.scalar(select(Order.id)) is None
