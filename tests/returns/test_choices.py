"""What the portal offers, read from the store: per order line what can still come
back (or why none can), the policy's reasons, and the variants an exchange may be for;
and service.preview, the policy's answer to a request that records nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from afterward.commerce import service as commerce
from afterward.returns import choices, service
from afterward.returns.errors import ReturnError
from afterward.returns.schemas import ReturnIn, ReturnLineIn
from afterward.storage.types import utcnow
from tests.returns.test_requests_api import nothing_recorded


def offer(shop) -> dict[str, tuple[int, str | None]]:
    with shop.db.reading() as session:
        order = commerce.get_order(session, store_id=shop.store.id, order_id=shop.order_id)
        found = choices.for_order(session, order)
    return {line.sku: (line.returnable, line.refusal) for line in found.lines}


def test_each_line_offers_what_was_bought(shop):
    assert offer(shop) == {"TEA-1": (2, None), "MUG-1": (1, None), "CUP-1": (3, None)}


def test_a_line_already_claimed_or_on_final_sale_says_why_none_can_come_back(shop):
    shop.request([{"sku": "MUG-1", "quantity": 1, "reason": "other"},
                  {"sku": "TEA-1", "quantity": 1, "reason": "other"}])
    shop.put_policy(final_sale_skus=["CUP-1"])

    assert offer(shop) == {"TEA-1": (1, None), "MUG-1": (0, "already_returned"),
                           "CUP-1": (0, "item_not_returnable")}


def test_after_the_window_no_line_can_come_back(shop):
    shop.deliver(utcnow() - timedelta(days=31))

    assert set(offer(shop).values()) == {(0, "return_window_closed")}


def test_an_exchange_may_be_for_another_variant_of_the_product_in_stock(shop):
    with shop.db.reading() as session:
        order = commerce.get_order(session, store_id=shop.store.id, order_id=shop.order_id)
        one = choices.exchange_options(session, order, ["MUG-1"], 1)
        six = choices.exchange_options(session, order, ["MUG-1"], 6)

    assert [(o.sku, o.title, o.price_minor) for o in one] == [("MUG-3", "Mug, Large", 1500)]
    assert [o.sku for o in six] == ["MUG-3"]  # not tracked: always available


def test_a_preview_answers_the_decision_and_records_nothing(shop):
    data = ReturnIn(order_number="1001", resolution="refund", lines=[
        ReturnLineIn(sku="TEA-1", quantity=2, reason="changed_mind")])
    with shop.db.transaction() as session:
        order = commerce.get_order(session, store_id=shop.store.id, order_id=shop.order_id)
        decision, offered = service.preview(session, order=order, data=data)

    assert (decision.value_minor, decision.bonus_minor) == (900, 90)
    assert offered == ["refund", "store_credit", "exchange"]
    assert nothing_recorded(shop)


def test_a_preview_raises_the_refusal_the_request_would_get(shop):
    data = ReturnIn(order_number="1001", resolution="refund", lines=[
        ReturnLineIn(sku="TEA-1", quantity=3, reason="changed_mind")])
    with shop.db.transaction() as session, pytest.raises(ReturnError) as refused:
        order = commerce.get_order(session, store_id=shop.store.id, order_id=shop.order_id)
        service.preview(session, order=order, data=data)

    assert refused.value.code == "quantity_exceeds_returnable"
    assert nothing_recorded(shop)
