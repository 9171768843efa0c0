from __future__ import annotations

from sqlalchemy import func, select

from afterward.commerce.models import Order, OrderLine
from afterward.events import Event
from afterward.jobs import Job
from tests.factories import order_body, product_body


def count(db, model) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_it_creates_an_order_with_its_lines_customer_event_and_job(client, store, db):
    response = client.post("/api/v1/orders", json=order_body(), headers=store.auth)

    assert response.status_code == 201
    order = response.json()
    assert order["number"] == "1001"
    assert order["subtotal_minor"] == 2 * 450 + 1200 + 3 * 300
    assert order["total_minor"] == 3000 + 495
    assert [line["sku"] for line in order["lines"]] == ["TEA-1", "MUG-1", "CUP-1"]
    assert order["customer_id"] is not None
    with db.reading() as session:
        names = session.scalars(select(Event.name).order_by(Event.id)).all()
        kinds = session.scalars(select(Job.kind)).all()
    assert names == ["customer.created", "order.created"]
    assert kinds == ["customers.refresh_stats"]


def test_it_links_lines_to_known_variants(client, store):
    product = client.post("/api/v1/products", json=product_body("TEA-1"), headers=store.auth)
    order = client.post("/api/v1/orders", json=order_body(), headers=store.auth).json()

    assert order["lines"][0]["variant_id"] == product.json()["variants"][0]["id"]
    assert order["lines"][0]["product_id"] == product.json()["id"]
    assert order["lines"][1]["variant_id"] is None


def test_it_refuses_a_duplicate_order_number_and_writes_nothing(client, store, db):
    client.post("/api/v1/orders", json=order_body(), headers=store.auth)
    events_before = count(db, Event)

    response = client.post("/api/v1/orders", json=order_body(currency="USD"), headers=store.auth)

    assert response.status_code == 409
    assert response.json() == {"error": {"code": "duplicate_order_number",
                                         "message": "order 1001 already exists",
                                         "field": "number"}}
    assert count(db, Order) == 1
    assert count(db, OrderLine) == 3
    assert count(db, Event) == events_before


def test_upsert_replaces_the_lines_of_an_existing_order(client, store, db):
    client.post("/api/v1/orders", json=order_body(), headers=store.auth)
    body = order_body(lines=[{"sku": "TEA-1", "title": "Tea", "quantity": 1,
                              "unit_price_minor": 450}])

    response = client.post("/api/v1/orders?upsert=true", json=body, headers=store.auth)

    assert response.status_code == 200
    assert response.json()["total_minor"] == 450 + 495
    assert count(db, OrderLine) == 1


def test_it_reads_an_order_by_number_and_by_id(client, store):
    created = client.post("/api/v1/orders", json=order_body("A-7"), headers=store.auth).json()

    by_number = client.get("/api/v1/orders", params={"number": "A-7"}, headers=store.auth)
    by_id = client.get(f"/api/v1/orders/{created['id']}", headers=store.auth)

    assert [o["id"] for o in by_number.json()["items"]] == [created["id"]]
    assert by_id.json()["number"] == "A-7"


def test_lists_page_with_a_cursor_newest_first(client, store):
    for n in range(5):
        client.post("/api/v1/orders", json=order_body(f"N{n}"), headers=store.auth)

    first = client.get("/api/v1/orders", params={"limit": 2}, headers=store.auth).json()
    second = client.get("/api/v1/orders", params={"limit": 2, "cursor": first["next_cursor"]},
                        headers=store.auth).json()
    third = client.get("/api/v1/orders", params={"limit": 2, "cursor": second["next_cursor"]},
                       headers=store.auth).json()

    assert [o["number"] for o in first["items"]] == ["N4", "N3"]
    assert [o["number"] for o in second["items"]] == ["N2", "N1"]
    assert [o["number"] for o in third["items"]] == ["N0"]
    assert third["next_cursor"] is None


def test_a_bad_cursor_is_a_400(client, store):
    response = client.get("/api/v1/orders", params={"cursor": "garbage!"}, headers=store.auth)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_a_cursor_with_an_out_of_range_id_is_a_400(client, store):
    import base64

    cursor = base64.urlsafe_b64encode(b"id:99999999999999999999999").decode()

    response = client.get("/api/v1/orders", params={"cursor": cursor}, headers=store.auth)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_a_customer_shows_its_marketing_consents(client, store):
    body = {"email": "bo@example.com", "accepts_marketing": {"email": True, "sms": False}}

    created = client.post("/api/v1/customers", json=body, headers=store.auth)
    again = client.post("/api/v1/customers", json=body, headers=store.auth)

    assert (created.status_code, again.status_code) == (201, 200)
    assert [(c["channel"], c["purpose"], c["granted"]) for c in again.json()["consents"]] == [
        ("email", "marketing", True), ("sms", "marketing", False)]


def test_a_product_naming_a_sku_twice_keeps_the_last(client, store):
    body = product_body("TWICE-1", variants=[
        {"sku": "TWICE-1", "price_minor": 100, "currency": "EUR"},
        {"sku": "TWICE-1", "price_minor": 250, "currency": "EUR"}])

    response = client.post("/api/v1/products", json=body, headers=store.auth)

    assert response.status_code == 201
    assert [(v["sku"], v["price_minor"]) for v in response.json()["variants"]] == [
        ("TWICE-1", 250)]


def test_a_sku_of_another_product_is_a_conflict(client, store, db):
    client.post("/api/v1/products", json=product_body("TEA-1"), headers=store.auth)
    client.post("/api/v1/products", json=product_body("MUG-1"), headers=store.auth)
    before = count(db, Event)

    response = client.post("/api/v1/products", headers=store.auth, json=product_body(
        "MUG-1", variants=[{"sku": "TEA-1", "price_minor": 1, "currency": "EUR"}]))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_sku"
    assert count(db, Event) == before


def test_amounts_past_64_bits_are_refused_and_nothing_is_stored(client, store, db):
    line = {"title": "Ship", "quantity": 100_000, "unit_price_minor": 10**12}
    body = order_body("HUGE-1", lines=[line] * 100)

    response = client.post("/api/v1/orders", json=body, headers=store.auth)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "amount_too_large"
    assert count(db, Order) == 0


def test_a_line_s_subscription_flag_must_be_true_or_false_and_nothing_is_stored(
        client, store, db):
    line = {"sku": "TEA-1", "title": "Tea", "quantity": 1, "unit_price_minor": 450,
            "subscription": "0"}

    response = client.post("/api/v1/orders", json=order_body(lines=[line]),
                           headers=store.auth)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "lines.0.subscription"
    assert count(db, Order) == 0
    assert count(db, Event) == 0
