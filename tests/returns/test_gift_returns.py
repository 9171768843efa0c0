"""Gift returns: the recipient of a gift returns it for store credit (or an exchange)
that is theirs, on a customer record for their email in this store; the buyer is
never refunded from a gift return."""

from __future__ import annotations

from sqlalchemy import select

from afterward.commerce.models import Customer
from afterward.returns.models import RefundRequest, Return

GIFT = {"email": "bea@example.com", "name": "Bea Lovelace"}
MUG = [{"sku": "MUG-1", "quantity": 1, "reason": "changed_mind"}]
RECEIVED = {"lines": [{"sku": "MUG-1", "quantity": 1, "condition": "new"}]}


def customer(shop, email: str) -> Customer | None:
    with shop.db.reading() as session:
        return session.scalar(select(Customer).where(Customer.email == email))


def test_a_gift_return_credits_a_new_customer_record_of_the_recipient(shop):
    made = shop.request(MUG, resolution="store_credit", gift_recipient=GIFT)
    assert made.status_code == 201, made.text
    body = made.json()

    shop.post(f"/api/v1/returns/{body['id']}/receive", RECEIVED)

    recipient = customer(shop, "bea@example.com")
    assert recipient is not None
    assert (recipient.first_name, recipient.last_name) == ("Bea", "Lovelace")
    assert (body["gift_recipient_email"], body["gift_customer_id"]) == (
        "bea@example.com", recipient.id)
    theirs = shop.get(f"/api/v1/customers/{recipient.id}/store-credit").json()
    buyers = shop.get(f"/api/v1/customers/{shop.customer_id}/store-credit").json()
    assert theirs["balance_minor"] == 1320
    assert buyers["balance_minor"] == 0
    assert shop.count(RefundRequest) == 0


def test_a_recipient_who_is_a_customer_already_keeps_their_record(shop):
    existing = shop.client.post("/api/v1/customers", headers=shop.auth, json={
        "email": "bea@example.com", "first_name": "Beatrice"})
    assert existing.status_code in (200, 201), existing.text

    body = shop.request(MUG, resolution="store_credit", gift_recipient=GIFT).json()

    assert body["gift_customer_id"] == existing.json()["id"]
    found = customer(shop, "bea@example.com")
    assert found is not None and found.first_name == "Beatrice"


def test_a_gift_return_is_never_refunded_to_the_buyer(shop):
    refused = shop.request(MUG, resolution="refund", gift_recipient=GIFT)

    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "resolution_not_offered"
    assert shop.count(Return) == 0
    assert customer(shop, "bea@example.com") is None


def test_a_store_without_gift_returns_refuses_them(shop):
    shop.put_policy(gift_returns=False)

    refused = shop.request(MUG, resolution="store_credit", gift_recipient=GIFT)

    assert (refused.status_code, refused.json()["error"]["code"],
            refused.json()["error"]["field"]) == (422, "gift_returns_not_offered",
                                                  "gift_recipient")
    assert shop.count(Return) == 0


def test_a_gift_exchange_for_less_leaves_the_rest_as_the_recipients_credit(shop):
    body = shop.request([{"sku": "MUG-1", "quantity": 1, "reason": "changed_mind"}],
                        resolution="exchange", exchange_for_sku="CUP-1",
                        gift_recipient=GIFT).json()

    done = shop.post(f"/api/v1/returns/{body['id']}/receive", RECEIVED).json()

    recipient = customer(shop, "bea@example.com")
    assert recipient is not None
    assert (done["status"], done["refund_minor"], done["credit_minor"]) == (
        "resolved", 0, 1200 + 120 - 300)
    assert shop.get(f"/api/v1/customers/{recipient.id}/store-credit").json()[
        "balance_minor"] == 1020
    assert shop.count(RefundRequest) == 0
    exchange = shop.get(f"/api/v1/orders/{done['exchange_order_id']}").json()
    assert exchange["email"] == "bea@example.com"


def test_a_malformed_recipient_email_is_refused(shop):
    refused = shop.request(MUG, resolution="store_credit",
                           gift_recipient={"email": "not an email"})

    assert refused.status_code == 422
    assert shop.count(Return) == 0
