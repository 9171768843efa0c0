"""The admin's deliveries set aside: a Shopify order kept for review (its number is
another order's) is listed with its reason and body, applied again once the clash is
fixed, or dismissed; a held carrier scan waits for its parcel; a second click, a
forged form and another store's admin change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from afterward.commerce.models import Order
from afterward.inbound.models import HeldDelivery
from tests.api.shopify_helpers import counts, deliver, resource, set_aside, stored_order
from tests.factories import order_body
from tests.web.helpers import csrf_of, make_admin, sign_in

SHOPIFY_ORDER_ID = 450789469
CLASH = "review:number: #1001 is another order's number"


@pytest.fixture
def kept(client, db, store) -> int:
    """An API order #1001, then Shopify's order #1001: kept for review; its row id."""
    assert client.post("/api/v1/orders", json=order_body("#1001"),
                       headers=store.auth).status_code == 201
    assert deliver(client, "orders/create", resource("order")).status_code == 202
    make_admin(db)
    sign_in(client)
    with db.reading() as session:
        return int(session.scalar(select(HeldDelivery.id)))


def test_a_kept_delivery_is_listed_with_its_reason_and_body(client, kept):
    page = client.get("/admin/deliveries")

    assert page.status_code == 200
    assert "Kept for review</span> number: #1001 is another order&#39;s number" in page.text
    assert "<code>orders/create</code>" in page.text
    assert f'action="/admin/deliveries/{kept}/apply"' in page.text
    assert f'action="/admin/deliveries/{kept}/dismiss"' in page.text
    assert "  &#34;id&#34;: 450789469," in page.text  # the body, pretty-printed


def test_applied_again_after_the_clash_is_fixed_the_order_is_stored(client, db, kept):
    with db.transaction() as session:
        session.execute(update(Order).where(Order.number == "#1001").values(number="#1001-A"))
    token = csrf_of(client.get("/admin/deliveries").text)

    response = client.post(f"/admin/deliveries/{kept}/apply", data={"csrf": token},
                           follow_redirects=False)

    assert (response.status_code, response.headers["location"]) == (
        303, "/admin/deliveries?done=applied")
    assert set_aside(db) == []
    order = stored_order(db, SHOPIFY_ORDER_ID)
    assert order is not None and (order.number, len(order.lines)) == ("#1001", 3)
    assert "The delivery was applied." in client.get(response.headers["location"]).text


def test_applied_again_while_the_clash_remains_it_is_kept_again(client, db, kept):
    before = counts(db)
    token = csrf_of(client.get("/admin/deliveries").text)

    response = client.post(f"/admin/deliveries/{kept}/apply", data={"csrf": token},
                           follow_redirects=False)

    assert response.headers["location"] == "/admin/deliveries?done=kept_for_review"
    assert set_aside(db) == [("orders/create", CLASH)]
    assert counts(db)["orders"] == before["orders"]
    assert stored_order(db, SHOPIFY_ORDER_ID) is None


def test_a_dismissed_delivery_is_gone_and_a_second_click_says_so(client, db, kept):
    token = csrf_of(client.get("/admin/deliveries").text)

    first = client.post(f"/admin/deliveries/{kept}/dismiss", data={"csrf": token},
                        follow_redirects=False)
    second = client.post(f"/admin/deliveries/{kept}/dismiss", data={"csrf": token},
                         follow_redirects=False)

    assert first.headers["location"] == "/admin/deliveries?done=dismissed"
    assert second.headers["location"] == "/admin/deliveries?done=gone"
    assert set_aside(db) == []
    assert "Nothing set aside." in client.get("/admin/deliveries").text


def test_a_forged_form_changes_nothing(client, db, kept):
    response = client.post(f"/admin/deliveries/{kept}/dismiss", data={"csrf": "forged"})

    assert response.status_code == 403
    assert set_aside(db) == [("orders/create", CLASH)]


def test_another_stores_admin_neither_sees_nor_touches_the_delivery(client, db, kept,
                                                                    make_store):
    make_store("other")
    make_admin(db, email="olga@example.com", stores=("other",))
    client.cookies.clear()
    sign_in(client, email="olga@example.com")
    token = csrf_of(client.get("/admin/deliveries").text)

    listed = client.get("/admin/deliveries").text
    answer = client.post(f"/admin/deliveries/{kept}/dismiss", data={"csrf": token},
                         follow_redirects=False)

    assert "Nothing set aside." in listed
    assert answer.headers["location"] == "/admin/deliveries?done=gone"
    assert set_aside(db) == [("orders/create", CLASH)]
