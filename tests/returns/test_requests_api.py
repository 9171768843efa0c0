"""POST /api/v1/returns: what a request makes, and every refusal leaves nothing behind."""

from __future__ import annotations

from datetime import timedelta

from afterward.events import Event
from afterward.returns.models import ClaimedQuantity, Return, ReturnLine
from afterward.storage.types import utcnow


def nothing_recorded(shop) -> bool:
    return (shop.count(Return) == 0 and shop.count(ReturnLine) == 0
            and shop.count(Event, Event.name.like("return.%")) == 0
            and shop.count(ClaimedQuantity, ClaimedQuantity.claimed > 0) == 0)


def test_a_refund_request_within_the_window_is_approved_with_its_amounts(shop):
    answer = shop.request([{"sku": "MUG-1", "quantity": 1, "reason": "too_small",
                            "comment": "Smaller than it looked"}])

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["number"].startswith("R") and len(body["number"]) == 9
    assert (body["status"], body["resolution"], body["currency"]) == ("approved", "refund", "EUR")
    assert (body["value_minor"], body["refund_minor"], body["credit_minor"],
            body["fee_minor"]) == (1200, 1200, 0, 0)
    assert body["label_url"].startswith("http://testserver/returns/labels/")
    assert body["lines"] == [{"sku": "MUG-1", "title": "Mug", "quantity": 1,
                              "unit_paid_minor": 1200, "reason": "too_small",
                              "comment": "Smaller than it looked", "received_quantity": 0,
                              "condition": None, "restock": None, "accepted": None,
                              "photo_required": False}]
    assert shop.count(Event, Event.name == "return.requested") == 1
    assert shop.count(Event, Event.name == "return.approved") == 1


def test_store_credit_carries_the_bonus(shop):
    answer = shop.request([{"sku": "TEA-1", "quantity": 2, "reason": "changed_mind"}],
                          resolution="store_credit")

    body = answer.json()
    assert (body["value_minor"], body["bonus_minor"], body["credit_minor"],
            body["refund_minor"]) == (900, 90, 990, 0)


def test_the_order_discount_is_shared_among_the_units(client, db, store):
    from tests.returns.conftest import make_shop

    shop = make_shop(client, db, store, discount_minor=300)  # 10% of the 3000 subtotal

    body = shop.request([{"sku": "CUP-1", "quantity": 3, "reason": "other"}]).json()

    assert (body["value_minor"], body["refund_minor"]) == (810, 810)
    assert body["lines"][0]["unit_paid_minor"] == 270


def test_an_unknown_order_is_refused_and_nothing_is_recorded(shop):
    answer = shop.request(order_number="NOPE")

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "order_not_found"
    assert nothing_recorded(shop)


def test_a_closed_window_is_refused(shop):
    shop.deliver(utcnow() - timedelta(days=31))

    answer = shop.request()

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "return_window_closed"
    assert nothing_recorded(shop)


def test_more_than_was_bought_is_refused(shop):
    answer = shop.request([{"sku": "TEA-1", "quantity": 3, "reason": "too_large"}])

    assert answer.status_code == 422
    assert answer.json()["error"] == {"code": "quantity_exceeds_returnable",
                                      "message": "at most 2 of TEA-1 can be returned",
                                      "field": "lines.0"}
    assert nothing_recorded(shop)


def test_a_second_return_of_the_same_item_is_refused(shop):
    assert shop.request().status_code == 201

    answer = shop.request()

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "already_returned"
    assert shop.count(Return) == 1


def test_what_is_left_of_a_line_can_still_be_returned(shop):
    assert shop.request([{"sku": "CUP-1", "quantity": 2, "reason": "other"}]).status_code == 201

    too_many = shop.request([{"sku": "CUP-1", "quantity": 2, "reason": "other"}])
    the_last = shop.request([{"sku": "CUP-1", "quantity": 1, "reason": "other"}])

    assert too_many.json()["error"]["code"] == "quantity_exceeds_returnable"
    assert the_last.status_code == 201
    assert shop.count(Return) == 2


def test_a_non_returnable_category_is_refused(shop):
    shop.put_policy(non_returnable_categories=["tea"])

    answer = shop.request([{"sku": "TEA-1", "quantity": 1, "reason": "other"}])

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "item_not_returnable"
    assert nothing_recorded(shop)


def test_a_sku_the_order_does_not_have_is_not_returnable(shop):
    answer = shop.request([{"sku": "POT-1", "quantity": 1, "reason": "other"}])

    assert answer.json()["error"] == {"code": "item_not_returnable",
                                      "message": "order 1001 has no POT-1",
                                      "field": "lines.0.sku"}


def test_a_resolution_the_policy_does_not_offer_is_refused(shop):
    shop.put_policy(resolutions=["store_credit"])

    answer = shop.request(resolution="refund")

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "resolution_not_offered"
    assert nothing_recorded(shop)


def test_an_exchange_for_an_unknown_sku_is_refused(shop):
    answer = shop.request(resolution="exchange", exchange_for_sku="MUG-9")

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "unknown_exchange_sku"
    assert nothing_recorded(shop)


def test_an_exchange_for_a_variant_out_of_stock_is_refused(shop):
    answer = shop.request(resolution="exchange", exchange_for_sku="MUG-2")

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "exchange_out_of_stock"
    assert nothing_recorded(shop)


def test_an_exchange_for_another_variant_is_priced_against_the_returned_one(shop):
    body = shop.request(resolution="exchange", exchange_for_sku="MUG-3").json()

    assert (body["exchange_for_sku"], body["exchange_minor"], body["difference_minor"],
            body["bonus_minor"], body["refund_minor"]) == ("MUG-3", 1500, 300, 0, 0)


def test_an_exchange_for_another_product_counts_the_bonus(shop):
    body = shop.request([{"sku": "CUP-1", "quantity": 3, "reason": "other"}],
                        resolution="exchange", exchange_for_sku="TEA-1").json()

    # 3 teas (1350) for 3 cups (900) plus 10% (90): the shopper pays 360
    assert (body["exchange_minor"], body["bonus_minor"], body["difference_minor"]) == (
        1350, 90, 360)


def test_a_request_the_fraud_signals_flag_waits_for_review(shop):
    shop.put_policy(fraud={"max_returns_90d": 1})
    assert shop.request([{"sku": "TEA-1", "quantity": 1, "reason": "other"}]).status_code == 201

    body = shop.request([{"sku": "CUP-1", "quantity": 1, "reason": "other"}]).json()

    assert (body["status"], body["review_reasons"], body["label_url"]) == (
        "requested", ["fraud: return count"], None)


def test_the_same_idempotency_key_and_body_give_the_same_return(shop):
    key = {"Idempotency-Key": "portal-42"}

    first = shop.request(headers=key)
    again = shop.request(headers=key)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert shop.count(Return) == 1


def test_an_idempotency_key_used_for_another_body_is_refused(shop):
    assert shop.request(headers={"Idempotency-Key": "k1"}).status_code == 201

    answer = shop.request([{"sku": "TEA-1", "quantity": 1, "reason": "other"}],
                          headers={"Idempotency-Key": "k1"})

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "idempotency_key_reused"
    assert shop.count(Return) == 1


def test_another_store_s_key_sees_no_return(shop, make_store):
    made = shop.request().json()
    other = make_store("other")

    assert shop.client.get(f"/api/v1/returns/{made['id']}",
                           headers=other.auth).status_code == 404
    assert shop.client.get("/api/v1/returns?order_number=1001",
                           headers=other.auth).json() == {"items": []}
    assert shop.client.post(f"/api/v1/returns/{made['id']}/approve",
                            headers=other.auth).status_code == 404


def test_serial_high_value_returns_wait_for_review(shop):
    shop.put_policy(fraud={"high_value_minor": 800, "max_high_value_returns_90d": 1})
    first = shop.request().json()  # the mug: 1200

    cheap = shop.request([{"sku": "CUP-1", "quantity": 1, "reason": "other"}]).json()
    dear = shop.request([{"sku": "TEA-1", "quantity": 2, "reason": "other"}]).json()

    assert (first["status"], cheap["status"]) == ("approved", "approved")
    assert (dear["status"], dear["review_reasons"]) == (
        "requested", ["fraud: serial high-value returns"])


def test_an_exchange_for_another_product_is_refused_when_the_policy_says_so(shop):
    shop.put_policy(exchange_other_products=False)

    answer = shop.request(resolution="exchange", exchange_for_sku="POT-1")

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "exchange_not_allowed"
    assert nothing_recorded(shop)


def test_an_exchange_needs_its_sku_and_only_an_exchange_takes_one(shop):
    without = shop.request(resolution="exchange")
    stray = shop.request(resolution="refund", exchange_for_sku="MUG-3")

    assert [a.json()["error"]["field"] for a in (without, stray)] == [
        "exchange_for_sku", "exchange_for_sku"]
    assert nothing_recorded(shop)


def test_a_sku_named_twice_is_refused(shop):
    answer = shop.request([{"sku": "CUP-1", "quantity": 1, "reason": "other"},
                           {"sku": "CUP-1", "quantity": 1, "reason": "damaged"}])

    assert answer.json()["error"] == {"code": "invalid", "message": "name each SKU once",
                                      "field": "lines"}
    assert nothing_recorded(shop)
