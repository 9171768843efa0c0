"""The export and erase routes: one call each, JSON out, 404 for another store's
customer, and an erasure that is whole."""

from __future__ import annotations

from afterward.commerce.models import Customer
from tests.factories import order_body


def test_a_customer_is_exported_then_erased_through_the_api(client, db, store):
    order = client.post("/api/v1/orders", json=order_body(), headers=store.auth).json()
    customer_id = order["customer_id"]

    exported = client.get(f"/api/v1/customers/{customer_id}/export", headers=store.auth)
    erased = client.post(f"/api/v1/customers/{customer_id}/erase", headers=store.auth)
    after = client.get(f"/api/v1/customers/{customer_id}/export", headers=store.auth)

    assert exported.status_code == 200, exported.text
    body = exported.json()
    assert body["commerce"]["customer"]["email"] == order["email"]
    assert [o["number"] for o in body["commerce"]["orders"]] == [order["number"]]
    assert erased.status_code == 200, erased.text
    assert erased.json() == {"customer_id": customer_id, "erased": True, "rows": {
        "shipments": 0, "tracking_events": 0, "journey_enrolments": 0, "messages": 0,
        "message_outbox": 0, "customers": 1, "consents": 0, "orders": 1, "returns": 0,
        "return_lines": 0, "loyalty_entries": 0, "loyalty_referrals": 0, "reviews": 0,
        "review_photos": 0, "review_requests": 0, "survey_responses": 0,
        "text_sentiments": 0, "text_themes": 0, "customer_insights": 0,
        "replenishment_dates": 0, "recommendation_items": 0, "customer_subscriptions": 0,
        "conversations": 0, "conversation_messages": 0}}
    assert after.json()["commerce"]["customer"]["email"] is None
    assert after.json()["commerce"]["orders"][0]["email"] is None
    with db.reading() as session:
        assert session.get(Customer, customer_id).email is None


def test_an_unknown_customer_is_a_404_with_the_error_shape(client, store):
    response = client.post("/api/v1/customers/424242/erase", headers=store.auth)

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found",
                                         "message": "no such customer in this store",
                                         "field": None}}


def test_without_a_key_nothing_is_exported(client, store):
    assert client.get("/api/v1/customers/1/export").status_code == 401
