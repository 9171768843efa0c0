"""Through the returns API: a return received and accepted takes back the points of
what came back, and the platform's refund of the same items later takes nothing more."""

from __future__ import annotations

from sqlalchemy import select

from afterward.commerce.models import Order
from afterward.commerce.orders import RefundLine, apply_refund
from afterward.loyalty import consumer
from tests.returns.conftest import make_shop


def points(shop):
    found = shop.get(f"/api/v1/customers/{shop.customer_id}/loyalty").json()
    return found["points_balance"], found["points_pending"], found["points_debt"]


def consume(shop):
    shop.db.run(lambda session: consumer.consume(session, store_id=shop.store.id))


def test_a_received_return_takes_back_its_points_and_the_later_refund_nothing_more(
        client, db, store):
    assert client.put("/api/v1/loyalty/program", json={"points_per_currency_unit": 10},
                      headers=store.auth).status_code == 200
    shop = make_shop(client, db, store)
    consume(shop)
    assert points(shop) == (0, 300, 0)  # 30.00 EUR of goods

    made = shop.request([{"sku": "MUG-1", "quantity": 1, "reason": "too_small"}]).json()
    received = shop.post(f"/api/v1/returns/{made['id']}/receive",
                         {"lines": [{"sku": "MUG-1", "quantity": 1, "condition": "new"}]})
    assert received.status_code == 200, received.text
    consume(shop)
    assert points(shop) == (0, 180, 0)

    with db.transaction() as session:  # the platform refunds the mug, told by webhook
        order = session.scalar(select(Order).where(Order.id == shop.order_id))
        apply_refund(session, order=order, refund_key="shopify-1", amount_minor=1200,
                     lines=[RefundLine(None, "MUG-1", 1)])
    consume(shop)
    assert points(shop) == (0, 180, 0)
