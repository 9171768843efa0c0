"""Money on receipt: store credit on the ledger with its bonus, exchange orders, and
the refund handed to the signed outbound webhooks once."""

from __future__ import annotations

from sqlalchemy import select

from afterward import outbound
from afterward.commerce.models import Order
from afterward.jobs import Job
from afterward.messaging import service as messaging
from afterward.messaging.models import Message
from afterward.returns.models import CreditEntry, RefundRequest
from tests.messaging.conftest import run_jobs
from tests.returns.conftest import stock
from tests.webhook_listeners import listening

MUG_BACK = {"lines": [{"sku": "MUG-1", "quantity": 1, "condition": "new"}]}


def test_store_credit_is_posted_with_the_bonus_and_shown_for_the_customer(shop):
    made = shop.request(resolution="store_credit").json()

    body = shop.post(f"/api/v1/returns/{made['id']}/receive", MUG_BACK).json()
    credit = shop.get(f"/api/v1/customers/{shop.customer_id}/store-credit").json()

    assert (body["credit_minor"], body["bonus_minor"], body["refund_minor"]) == (1320, 120, 0)
    assert credit["balance_minor"] == 1320
    assert credit["currency"] == "EUR"
    assert [(e["kind"], e["amount_minor"], e["note"]) for e in credit["entries"]] == [
        ("bonus", 120, f"Return {made['number']}"), ("return", 1200, f"Return {made['number']}")]
    assert shop.count(RefundRequest) == 0


def test_a_customer_without_credit_has_a_zero_balance(shop):
    credit = shop.get(f"/api/v1/customers/{shop.customer_id}/store-credit").json()

    assert credit == {"balance_minor": 0, "currency": "USD", "entries": []}


def test_an_unknown_customer_has_no_store_credit(shop, make_store):
    other = make_store("other")

    answer = shop.client.get(f"/api/v1/customers/{shop.customer_id}/store-credit",
                             headers=other.auth)

    assert answer.status_code == 404


def test_an_exchange_becomes_an_order_for_the_difference(shop):
    made = shop.request(resolution="exchange", exchange_for_sku="MUG-3").json()

    body = shop.post(f"/api/v1/returns/{made['id']}/receive", MUG_BACK).json()

    with shop.db.reading() as session:
        order = session.get(Order, body["exchange_order_id"])
        assert (order.number, order.source, order.currency) == (
            f"{made['number']}-X", "exchange", "EUR")
        assert (order.subtotal_minor, order.discount_minor, order.total_minor,
                order.financial_status) == (1500, 1200, 300, "pending")
        assert [(line.sku, line.quantity, line.title) for line in order.lines] == [
            ("MUG-3", 1, "Mug Large")]
        assert order.customer_id == shop.customer_id
    assert (body["status"], body["refund_minor"]) == ("resolved", 0)
    assert shop.count(RefundRequest) == 0


def test_the_exchange_order_is_handed_to_the_store_platform_once_in_shopify_s_shape(shop):
    listening(shop.db, shop.store.id)
    made = shop.request(resolution="exchange", exchange_for_sku="MUG-3").json()
    body = shop.post(f"/api/v1/returns/{made['id']}/receive", MUG_BACK).json()

    with shop.db.reading() as session:
        jobs = session.scalars(select(Job).where(Job.kind == outbound.PUBLISH_JOB)).all()
    exchange_id = body["exchange_order_id"]
    assert [(job.dedupe_key, job.payload["event_type"], job.payload["event_id"])
            for job in jobs] == [(f"returns.exchange:{exchange_id}",
                                  "return.exchange_order_created",
                                  f"exchange_order_{exchange_id}")]
    data = jobs[0].payload["data"]
    assert (data["order_number"], data["total_minor"], data["difference_minor"]) == (
        f"{made['number']}-X", 300, 300)
    assert data["lines"] == [{"sku": "MUG-3", "title": "Mug Large", "quantity": 1,
                              "unit_price_minor": 1500}]
    shopify = data["shopify"]["order"]
    assert (shopify["financial_status"], shopify["tags"]) == ("pending",
                                                              f"exchange,{made['number']}")
    assert shopify["line_items"] == [{"sku": "MUG-3", "title": "Mug Large", "quantity": 1,
                                      "price": "15.00"}]
    assert shopify["discount_codes"] == [{"code": f"EXCHANGE-{made['number']}",
                                          "type": "fixed_amount", "amount": "12.00"}]


def test_an_exchange_for_less_refunds_the_difference_and_takes_stock(shop):
    made = shop.request([{"sku": "CUP-1", "quantity": 3, "reason": "other"}],
                        resolution="exchange", exchange_for_sku="MUG-1").json()

    body = shop.post(f"/api/v1/returns/{made['id']}/receive", {"lines": [
        {"sku": "CUP-1", "quantity": 1, "condition": "new"}]}).json()

    # one cup back (300 + 10% bonus 30) for one blue mug (1200): the shopper pays 870
    assert (body["exchange_minor"], body["difference_minor"], body["refund_minor"]) == (
        1200, 870, 0)
    assert stock(shop, "MUG-1") == 4


def test_an_exchange_for_a_cheaper_variant_refunds_what_is_left(shop):
    made = shop.request([{"sku": "TEA-1", "quantity": 2, "reason": "other"}],
                        resolution="exchange", exchange_for_sku="CUP-1").json()

    body = shop.post(f"/api/v1/returns/{made['id']}/receive", {"lines": [
        {"sku": "TEA-1", "quantity": 2, "condition": "new"}]}).json()

    # 2 teas (900) + 10% (90) for 2 cups (600): 390 back
    assert (body["difference_minor"], body["refund_minor"]) == (-390, 390)
    assert shop.count(RefundRequest, RefundRequest.amount_minor == 390) == 1


def test_the_refund_request_carries_shopify_s_refund_shape(shop):
    listening(shop.db, shop.store.id)
    made = shop.request().json()
    shop.post(f"/api/v1/returns/{made['id']}/receive", {"lines": [
        {"sku": "MUG-1", "quantity": 1, "condition": "new", "restock": True}]})

    with shop.db.reading() as session:
        request = session.scalar(select(RefundRequest))
        job = session.scalar(select(Job).where(Job.kind == outbound.PUBLISH_JOB))
        assert request.payload["shopify"] == {"refund": {
            "currency": "EUR", "notify": True, "note": f"Return {made['number']}",
            "refund_line_items": [{"line_item_id": "li-1", "quantity": 1,
                                   "restock_type": "return"}],
            "transactions": [{"kind": "refund", "amount": "12.00"}]}}
        assert request.payload["idempotency_key"] == f"afterward-return-{made['id']}"
        assert job.dedupe_key == f"returns.refund:{request.id}"
        assert job.payload == {"event_type": "return.refund_requested",
                               "event_id": f"refund_request_{request.id}",
                               "data": request.payload}


def test_the_refund_is_queued_once_to_each_endpoint_even_when_published_twice(shop, db):
    with db.transaction() as session:
        messaging.add_webhook_endpoint(session, store_id=shop.store.id,
                                       url="https://refunds.invalid/hook")
    made = shop.request().json()
    shop.post(f"/api/v1/returns/{made['id']}/receive", MUG_BACK)
    with db.reading() as session:
        payload = session.scalar(select(Job.payload).where(
            Job.kind == outbound.PUBLISH_JOB))

    with db.transaction() as session:  # as if the first run's worker had died after it
        messaging.queue_webhook_event(session, store_id=shop.store.id, **payload)
    run_jobs(db)

    with db.reading() as session:
        bodies = list(session.scalars(select(Message.payload).where(
            Message.category == "return.refund_requested")))
    assert len(bodies) == 1
    assert bodies[0]["body"]["data"]["amount_minor"] == 1200


def test_a_store_without_endpoints_queues_no_refund_webhook(shop):
    made = shop.request().json()
    shop.post(f"/api/v1/returns/{made['id']}/receive", MUG_BACK)

    assert shop.count(RefundRequest) == 1
    assert shop.count(Job, Job.kind == outbound.PUBLISH_JOB) == 0


def test_a_refund_request_is_recorded_once_per_return(shop):
    made = shop.request().json()
    shop.post(f"/api/v1/returns/{made['id']}/receive", MUG_BACK)

    with shop.db.reading() as session:
        assert session.scalar(select(CreditEntry.id)) is None
    assert shop.count(RefundRequest, RefundRequest.return_id == made["id"]) == 1


def test_an_exchange_whose_item_ran_out_becomes_store_credit_with_the_bonus(shop):
    made = shop.request([{"sku": "TEA-1", "quantity": 2, "reason": "other"}],
                        resolution="exchange", exchange_for_sku="MUG-1").json()
    sold_out = {"external_id": "p-mug", "title": "Mug", "category": "home", "variants": [
        {"sku": "MUG-1", "title": "Blue", "price_minor": 1200, "currency": "EUR",
         "inventory_quantity": 0}]}
    assert shop.post("/api/v1/products", sold_out).status_code == 200

    body = shop.post(f"/api/v1/returns/{made['id']}/receive", {"lines": [
        {"sku": "TEA-1", "quantity": 2, "condition": "new"}]}).json()

    assert (body["status"], body["resolution"], body["credit_minor"], body["bonus_minor"],
            body["exchange_order_id"], body["difference_minor"]) == (
        "resolved", "store_credit", 990, 90, None, None)
    assert shop.get(f"/api/v1/customers/{shop.customer_id}/store-credit").json()[
        "balance_minor"] == 990
    assert shop.count(Order, Order.source == "exchange") == 0
