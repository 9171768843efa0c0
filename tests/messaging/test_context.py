"""The personalization context: order and lines, the shipment's tracking link,
care content of what was bought, products bought together."""

from __future__ import annotations

from afterward.commerce.models import Store
from afterward.messaging.context import Links, bought_together, build_context
from tests.messaging.conftest import make_customer, make_order, make_product, make_shipment


def test_the_context_has_order_shipment_care_and_recommendations(db, make_store):
    store = make_store("acme")
    with db.transaction() as session:
        ada = make_customer(session, store.id)
        bob = make_customer(session, store.id, email="bob@example.com")
        tea = make_product(session, store.id, "TEA-1", "Green tea", price_minor=450,
                           care_content="Keep dry.", howto_content="Steep 2 minutes.")
        mug = make_product(session, store.id, "MUG-1", "Mug", price_minor=1200)
        whisk = make_product(session, store.id, "WHISK", "Whisk", price_minor=1500)
        kettle = make_product(session, store.id, "KETTLE", "Kettle", price_minor=4000)
        spoon = make_product(session, store.id, "SPOON", "Spoon", price_minor=300)
        # others bought tea with the whisk twice, with the kettle once
        make_order(session, store.id, bob, "900", [(tea, 1), (whisk, 1)])
        make_order(session, store.id, bob, "901", [(tea, 1), (whisk, 1), (kettle, 1)])
        make_order(session, store.id, bob, "902", [(spoon, 9)])  # a best seller, unrelated
        order = make_order(session, store.id, ada, "1001", [(tea, 2), (mug, 1)])
        shipment = make_shipment(session, store.id, order, carrier="royal_mail")

        context = build_context(
            session, store=session.get(Store, store.id), customer=ada,
            refs={"shipment_id": shipment.id}, data={"coupon": "X"}, locale="en",
            timezone="Europe/Berlin", public_url="https://shop.example/",
            links=Links(unsubscribe=None))

    assert context["order"]["number"] == "1001"
    assert [(line["title"], line["quantity"]) for line in context["order"]["lines"]] == [
        ("Green tea", 2), ("Mug", 1)]
    assert context["order"]["total_minor"] == 2 * 450 + 1200 + 495
    assert context["shipment"]["tracking_url"] == f"https://shop.example/t/{shipment.token}"
    assert context["shipment"]["carrier_name"] == "Royal Mail"
    assert context["care"] == [{"title": "Green tea", "care": "Keep dry.",
                                "howto": "Steep 2 minutes."}]
    assert [p["title"] for p in context["recommendations"]] == ["Whisk", "Kettle", "Spoon"]
    assert context["recommendations"][0]["price_minor"] == 1500
    assert context["customer"]["first_name"] == "Ada"
    assert context["data"] == {"coupon": "X"}
    assert set(context) == {"locale", "timezone", "store", "customer", "order", "shipment",
                            "recommendations", "care", "links", "data", "return", "loyalty",
                            "offer", "review", "survey", "csat", "insights", "goes_with",
                            "conversation"}
    assert context["return"] is None  # the returns module's part: this message is no return's
    assert context["loyalty"] is None  # the loyalty module's part: the store has no program
    assert context["insights"] is None  # the insights module's part: nothing computed yet
    assert context["goes_with"] is None  # insights' part: refs name no order
    assert context["conversation"] is None  # the assistant's part: refs name none


def test_nothing_bought_means_no_recommendations(db, make_store):
    store = make_store("acme")
    with db.reading() as session:
        assert bought_together(session, store_id=store.id, product_ids=[]) == []


def test_recommendations_stay_inside_the_store(db, make_store):
    acme, other = make_store("acme"), make_store("other")
    with db.transaction() as session:
        tea = make_product(session, acme.id, "TEA-1", "Green tea")
        theirs = make_product(session, other.id, "X-1", "Their product")
        bob = make_customer(session, other.id, email="bob@example.com")
        make_order(session, other.id, bob, "1", [(theirs, 5)])
        found = bought_together(session, store_id=acme.id, product_ids=[tea.id])
    assert found == []


def test_order_lines_come_in_their_position_order_with_the_order_s_own_columns(db, make_store):
    store = make_store("acme")
    with db.transaction() as session:
        ada = make_customer(session, store.id)
        tea = make_product(session, store.id, "TEA-1", "Green tea", price_minor=450)
        mug = make_product(session, store.id, "MUG-1", "Mug", price_minor=1200)
        order = make_order(session, store.id, ada, "1002", [(tea, 2), (mug, 1)])
        tea_id, mug_id = tea.id, mug.id
        order.lines[0].position, order.lines[1].position = 1, 0  # the mug was listed first
        session.flush()
        session.expire_all()

        context = build_context(
            session, store=session.get(Store, store.id), customer=ada,
            refs={"order_id": order.id}, data={}, locale="en", timezone="UTC",
            public_url="https://shop.example/", links=Links())

    assert context["order"]["lines"] == [
        {"title": "Mug", "sku": "MUG-1", "quantity": 1, "unit_price_minor": 1200,
         "total_minor": 1200, "product_id": mug_id},
        {"title": "Green tea", "sku": "TEA-1", "quantity": 2, "unit_price_minor": 450,
         "total_minor": 900, "product_id": tea_id}]
    assert (context["order"]["number"], context["order"]["subtotal_minor"],
            context["order"]["ship_city"]) == ("1002", 2100, "Berlin")
