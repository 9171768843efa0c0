"""Collection by the order's link: the signed, expiring token; the `review` part of
a message (the link the review_request email carries); the `review` facts the
journey's reminders read (open while items are left and the order has not gone
back); and the request answered once every item is reviewed, by any way in."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from afterward.commerce.models import Order
from afterward.feedback import collection, journey_facts, links, message_part
from afterward.feedback.collection import Answer
from afterward.feedback.models import ReviewRequest
from afterward.storage.types import utcnow
from tests.feedback.scene import SECRET


def test_a_token_names_the_store_and_the_order_and_nothing_else_reads(shop):
    token = links.signed_order(SECRET, 3, 14)

    reading = links.read(SECRET, token)

    assert reading is not None and (reading.store_id, reading.order_id) == (3, 14)
    assert abs((utcnow() - reading.signed_at).total_seconds()) < 5
    assert links.read("another-secret", token) is None
    assert links.read(SECRET, token[:-2]) is None
    assert links.read(SECRET, "x" * 400) is None
    assert "@" not in token


def test_a_link_lasts_the_stores_link_days(shop):
    settings = shop.put_settings(link_days=10)
    from afterward.feedback.settings import ReviewSettings
    rule = ReviewSettings.model_validate(settings.json())
    now = utcnow()

    assert collection.link_open(rule, now - timedelta(days=10), now) is True
    assert collection.link_open(rule, now - timedelta(days=10, seconds=1), now) is False


def test_the_message_part_carries_the_forms_link_and_the_items(shop, db):
    order = shop.order("1001")

    with db.reading() as session:
        part = message_part.load(session, store_id=shop.store.id, id=order["id"],
                                 public_url="https://shop.example", secret_key=SECRET)
        elsewhere = message_part.load(session, store_id=shop.store.id + 1, id=order["id"],
                                      public_url="https://shop.example", secret_key=SECRET)

    assert part is not None and elsewhere is None
    assert part["url"].startswith("https://shop.example/review/")
    reading = links.read(SECRET, part["url"].rsplit("/", 1)[1])
    assert reading is not None and reading.order_id == order["id"]
    assert [i["sku"] for i in part["items"]] == ["TEA-1", "MUG-1", "CUP-1"]
    assert (part["reviewed"], part["answered"]) == (0, False)
    assert set(message_part.sample(currency="EUR", public_url="https://x")) == set(part)


def facts(db, store_id: int, order_id: int) -> dict:
    with db.reading() as session:
        return journey_facts.load(session, store_id=store_id, customer_id=None, now=utcnow(),
                                  order_id=order_id)


def answer(db, store_id: int, order_id: int, *skus: str):
    return db.run(lambda session: collection.submit(
        session, store_id=store_id, order_id=order_id, locale="en", now=utcnow(),
        answers=[Answer(sku, 5, "Good", None, {}) for sku in skus]))


def test_the_facts_stay_open_until_every_item_is_reviewed(shop, db):
    order = shop.order("1001")
    store_id = shop.store.id

    at_first = facts(db, store_id, order["id"])
    answer(db, store_id, order["id"], "TEA-1")
    partly = facts(db, store_id, order["id"])
    outcome = answer(db, store_id, order["id"], "MUG-1", "CUP-1")

    assert at_first == {"open": True, "answered": False, "items": 3, "reviewed": 0,
                        "returned": False}
    assert (partly["open"], partly["reviewed"]) == (True, 1)
    assert outcome.answered is True
    assert facts(db, store_id, order["id"]) == {"open": False, "answered": True, "items": 3,
                                                "reviewed": 3, "returned": False}
    with db.reading() as session:
        request = session.scalar(select(ReviewRequest))
    assert request is not None and request.status == "answered"


def test_a_refunded_order_closes_the_facts_so_no_reminder_goes(shop, db):
    order = shop.order("1001")
    with db.transaction() as session:
        session.get(Order, order["id"]).refunded_minor = 450

    found = facts(db, shop.store.id, order["id"])

    assert (found["open"], found["returned"]) == (False, True)


def test_a_return_asked_for_closes_the_facts(shop, db):
    order = shop.order("1001", placed_at=utcnow().isoformat())
    shop.client.put("/api/v1/returns/policy", headers=shop.auth, json={"window_days": 3650})
    returned = shop.client.post("/api/v1/returns", headers=shop.auth, json={
        "order_number": "1001", "resolution": "refund",
        "lines": [{"sku": "MUG-1", "quantity": 1, "reason": "damaged"}]})
    assert returned.status_code == 201, returned.text

    assert facts(db, shop.store.id, order["id"])["open"] is False


def test_an_api_review_by_the_buyer_counts_for_the_request(shop, db):
    order = shop.order("1001", lines=[
        {"sku": "TEA-1", "title": "Green tea", "quantity": 1, "unit_price_minor": 450}])

    shop.review(order_number="1001")

    assert facts(db, shop.store.id, order["id"])["answered"] is True


def test_the_journey_hands_the_order_to_the_review_facts(shop, db):
    from afterward.journeys.facts import Refs, gather

    order = shop.order("1001")
    with db.reading() as session:
        found = gather(session, store_id=shop.store.id,
                       refs=Refs(order["customer_id"], order["id"], None), event=None,
                       now=utcnow())
        assert found["review"]["open"] is True
        assert found["review"]["items"] == 3
