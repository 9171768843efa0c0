"""A key for store B can neither read nor change store A's data, through every route."""

from __future__ import annotations

import re

from sqlalchemy import func, select, update

from afterward import jobs
from afterward.commerce.models import Customer, Order, OrderLine, Product
from afterward.events import Event
from afterward.jobs import Job
from afterward.returns.models import Return
from afterward.tracking.models import Shipment
from tests.factories import order_body, product_body
from tests.returns.test_photo_files import png

NAMED_ROUTES = sorted({"/api/v1/templates/{key}/email/{locale}",
                       "/api/v1/templates/{key}/sms/{locale}",
                       # journeys: every route tested in tests/api/test_journeys_api.py
                       "/api/v1/journeys/{key}", "/api/v1/journeys/{key}/versions/{version}",
                       "/api/v1/journeys/{key}/enable", "/api/v1/journeys/{key}/disable",
                       "/api/v1/journeys/{key}/enrolments", "/api/v1/journeys/{key}/results",
                       "/api/v1/journey-enrolments/{enrolment_id}",
                       # tests/returns/test_credit_codes_api.py: another store's code
                       "/api/v1/customers/{customer_id}/store-credit/codes/{code}/cancel",
                       # tests/loyalty/test_redemptions.py: another store's code
                       "/api/v1/loyalty/redemptions/{code}/refund",
                       # tests/loyalty/test_referrals.py: another store's referral
                       "/api/v1/loyalty/referrals/{referral_id}",
                       "/api/v1/loyalty/referrals/{referral_id}/approve",
                       "/api/v1/loyalty/referrals/{referral_id}/reject",
                       # tests/api/test_reviews_api.py: another store's review
                       "/api/v1/reviews/{review_id}", "/api/v1/reviews/{review_id}/publish",
                       "/api/v1/reviews/{review_id}/reject",
                       "/api/v1/reviews/{review_id}/reply"})
# Bodies for the routes that need one to get as far as looking the object up.
BODIES = {"/api/v1/returns/{return_id}/reject": {"reason": "worn"},
          "/api/v1/returns/{return_id}/tracking": {"tracking_number": "JJD0001"},
          "/api/v1/customers/{customer_id}/store-credit/codes": {
              "amount_minor": 1, "idempotency_key": "other-store"},
          "/api/v1/returns/{return_id}/receive": {"lines": [
              {"sku": "MUG-1", "quantity": 1, "condition": "new"}]}}


def snapshot(db) -> dict[str, int]:
    with db.reading() as session:
        return {m.__tablename__: session.scalar(select(func.count()).select_from(m))
                for m in (Order, OrderLine, Customer, Product, Shipment, Event, Job, Return)}


def seed_store_a(client, db, a) -> dict[str, int]:
    order = client.post("/api/v1/orders", json=order_body(), headers=a.auth).json()
    product = client.post("/api/v1/products", json=product_body(), headers=a.auth).json()
    shipment = client.post("/api/v1/shipments", headers=a.auth, json={
        "order_id": order["id"], "tracking_number": "1Z999AA10123456784", "carrier": "ups"}).json()
    with db.transaction() as session:
        job_id = jobs.enqueue(session, "customers.refresh_stats", {"customer_id": 1},
                              store_id=a.id)
        session.execute(update(Job).where(Job.id == job_id).values(status="dead"))
    message = client.post("/api/v1/messages", headers=a.auth, json={
        "channel": "email", "category": "order", "template_key": "order_confirmation",
        "idempotency_key": "a-1", "customer_id": order["customer_id"],
        "order_id": order["id"]}).json()
    template = client.put("/api/v1/templates/welcome/sms/en", headers=a.auth,
                          json={"body": "Hello from A"})
    assert template.status_code == 201, template.text
    endpoint = client.post("/api/v1/webhook-endpoints", headers=a.auth,
                           json={"url": "https://hooks.example/a"}).json()
    client.put("/api/v1/returns/policy", headers=a.auth, json={"window_days": 3650})
    returned = client.post("/api/v1/returns", headers=a.auth, json={
        "order_number": order["number"], "resolution": "refund",
        "lines": [{"sku": "MUG-1", "quantity": 1, "reason": "damaged"}]})
    assert returned.status_code == 201, returned.text
    photo = client.post(f"/api/v1/returns/{returned.json()['id']}/photos", headers=a.auth,
                        data={"sku": "MUG-1"}, files={"file": ("mug.png", png(), "image/png")})
    assert photo.status_code == 201, photo.text
    return {"order_id": order["id"], "customer_id": order["customer_id"],
            "product_id": product["id"], "shipment_id": shipment["id"], "job_id": job_id,
            "message_id": message["id"], "endpoint_id": endpoint["id"],
            "return_id": returned.json()["id"], "photo_id": photo.json()["photos"][0]["id"]}


def test_every_route_with_an_id_answers_404_for_another_stores_object(client, db, make_store):
    a, b = make_store("store-a"), make_store("store-b")
    ids = seed_store_a(client, db, a)
    before = snapshot(db)
    schema = client.get("/openapi.json").json()
    tried, named = [], []

    for path, operations in schema["paths"].items():
        params = re.findall(r"{(\w+)}", path)
        if not path.startswith("/api/v1/") or "webhooks" in path or not params:
            continue
        if not set(params) <= set(ids):
            named.append(path)  # addressed by name, not id: tested one by one below
            continue
        url = path
        for name in params:
            url = url.replace("{" + name + "}", str(ids[name]))
        for method in operations:
            response = client.request(method.upper(), url, headers=b.auth,
                                      json=BODIES.get(path, {}))
            tried.append((method, path, response.status_code))
            assert response.status_code == 404, (method, path, response.text)

    assert len(tried) >= 7
    assert sorted(set(named)) == NAMED_ROUTES
    assert snapshot(db) == before


def test_lists_never_show_another_stores_rows(client, db, make_store):
    a, b = make_store("store-a"), make_store("store-b")
    seed_store_a(client, db, a)

    for path in ("/api/v1/orders", "/api/v1/customers", "/api/v1/products",
                 "/api/v1/shipments", "/api/v1/jobs", "/api/v1/events",
                 "/api/v1/orders?number=1001", "/api/v1/customers?email=ada@example.com",
                 "/api/v1/shipments?tracking_number=1Z999AA10123456784",
                 "/api/v1/jobs?status=dead"):
        response = client.get(path, headers=b.auth)
        assert response.status_code == 200, path
        assert response.json()["items"] == [], path


def test_creating_a_shipment_for_another_stores_order_is_refused(client, db, make_store):
    a, b = make_store("store-a"), make_store("store-b")
    ids = seed_store_a(client, db, a)
    before = snapshot(db)

    response = client.post("/api/v1/shipments", headers=b.auth, json={
        "order_id": ids["order_id"], "tracking_number": "1Z999AA10123456785"})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_order"
    assert snapshot(db) == before


def test_the_same_order_number_in_two_stores_are_two_orders(client, db, make_store):
    a, b = make_store("store-a"), make_store("store-b")

    first = client.post("/api/v1/orders", json=order_body("1001"), headers=a.auth)
    second = client.post("/api/v1/orders", json=order_body("1001"), headers=b.auth)

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["customer_id"] != second.json()["customer_id"]


def test_every_api_route_needs_a_valid_key(client, store):
    schema = client.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/") or "webhooks" in path:
            continue
        url = re.sub(r"{\w+}", "1", path)
        for method in operations:
            missing = client.request(method.upper(), url)
            wrong = client.request(method.upper(), url,
                                   headers={"Authorization": "Bearer aw_not_a_real_key"})
            assert missing.status_code == 401, (method, path)
            assert wrong.status_code == 401, (method, path)
            assert wrong.json()["error"]["code"] == "unauthorized"


def test_a_revoked_key_stops_working(client, store, db):
    from afterward.api import deps
    from afterward.commerce import stores

    with db.transaction() as session:
        stores.revoke_api_key(session, store=stores.get_by_slug(session, "acme"),
                              prefix=store.api_key[:10])
    client.app.state.key_cache.clear()  # what KEY_CACHE_SECONDS does on its own

    response = client.get("/api/v1/orders", headers=store.auth)

    assert deps.KEY_CACHE_SECONDS <= 5
    assert response.status_code == 401


def test_another_store_sees_none_of_a_stores_templates_and_cannot_change_them(client, db,
                                                                               make_store):
    a, b = make_store("store-a"), make_store("store-b")
    seed_store_a(client, db, a)

    seen = client.get("/api/v1/templates/welcome/sms/en", headers=b.auth)
    client.put("/api/v1/templates/welcome/sms/en", headers=b.auth, json={"body": "Hello from B"})
    a_versions = client.get("/api/v1/templates/welcome/sms/en", headers=a.auth).json()["items"]

    assert seen.json()["items"] == []
    assert [v["body"] for v in a_versions] == ["Hello from A"]


def test_a_message_naming_another_stores_customer_or_order_is_refused(client, db, make_store):
    a, b = make_store("store-a"), make_store("store-b")
    ids = seed_store_a(client, db, a)
    before = snapshot(db)

    for ref in ("customer_id", "order_id", "shipment_id"):
        response = client.post("/api/v1/messages", headers=b.auth, json={
            "channel": "email", "category": "order", "template_key": "order_confirmation",
            "idempotency_key": f"b-{ref}", "recipient": "x@example.com", ref: ids[ref]})
        assert 400 <= response.status_code < 500, (ref, response.text)

    assert snapshot(db) == before


def test_another_stores_key_neither_sees_nor_continues_a_conversation(client, db, make_store):
    a, b = make_store("store-a"), make_store("store-b")
    seed_store_a(client, db, a)
    opened = client.post("/api/v1/assistant/messages", headers=a.auth, json={
        "text": "I want to talk to a person"}).json()
    before = snapshot(db)

    listed = client.get("/api/v1/conversations?status=open", headers=b.auth)
    counted = client.get("/api/v1/conversations/stats", headers=b.auth)
    continued = client.post("/api/v1/assistant/messages", headers=b.auth, json={
        "text": "where is my order?", "conversation_id": opened["conversation_id"]})
    looked_up = client.post("/api/v1/assistant/messages", headers=b.auth, json={
        "text": "where is my order?", "order_number": "1001", "email": "ada@example.com"})

    assert opened["handoff"] is True
    assert listed.json() == {"items": []}
    assert (counted.json()["conversations"], counted.json()["intents"]["talk_to_person"]) \
        == (0, 0)
    assert continued.status_code == 404
    assert looked_up.json()["reply"].startswith("I couldn't find an order with those details.")
    assert snapshot(db) == before


def test_another_stores_embed_neither_reaches_its_orders_nor_its_conversations(
        client, db, make_store):
    from afterward.assistant import embeds

    a, b = make_store("store-a"), make_store("store-b")
    seed_store_a(client, db, a)
    with db.transaction() as session:
        embeds.set_origins(session, store_id=a.id, values=["https://a.example"])
        embeds.set_origins(session, store_id=b.id, values=["https://b.example"])
    opened = client.post("/embed/store-a/messages", headers={"Origin": "https://a.example"},
                         json={"text": "where is my order?"}).json()
    before = snapshot(db)

    continued = client.post("/embed/store-b/messages", headers={"Origin": "https://b.example"},
                            json={"text": "hi", "conversation_id": opened["conversation_id"]})
    looked_up = client.post("/embed/store-b/messages", headers={"Origin": "https://b.example"},
                            json={"text": "where is my order? 1001 ada@example.com"})
    from_b_site = client.post("/embed/store-a/messages",
                              headers={"Origin": "https://b.example"}, json={"text": "hi"})
    preflight = client.options("/embed/store-a/messages", headers={
        "Origin": "https://b.example", "Access-Control-Request-Method": "POST"})
    read = client.get(f"/embed/store-b/conversations/{opened['conversation_id']}/messages",
                      headers={"Origin": "https://b.example"})

    assert (continued.status_code, continued.json()["error"]["code"]) == (
        404, "conversation_not_found")
    assert continued.headers["access-control-allow-origin"] == "https://b.example"
    assert looked_up.json()["reply"].startswith("I couldn't find an order with those details.")
    assert (from_b_site.status_code, preflight.status_code) == (403, 403)
    assert (read.status_code, read.json()["error"]["code"]) == (404, "conversation_not_found")
    assert snapshot(db) == before
