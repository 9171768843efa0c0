"""Feedback in a customer's export and erasure: their reviews (by customer or by
email), their photos (described) and review requests; erasure anonymises the
reviews, deletes the photos and unlinks the requests, and a second erasure finds
nothing left."""

from __future__ import annotations

from sqlalchemy import func, select

from afterward import privacy
from afterward.feedback import collection
from afterward.feedback.collection import Answer
from afterward.feedback.models import Review, ReviewPhoto, ReviewRequest
from afterward.images import clean
from afterward.storage.types import utcnow
from tests.returns.test_photo_files import png


def reviewed_order(shop, db) -> dict:
    order = shop.order("1001")
    db.run(lambda session: collection.submit(
        session, store_id=shop.store.id, order_id=order["id"], locale="en", now=utcnow(),
        answers=[Answer("TEA-1", 4, "Good", "Fresh", {}, (clean(png()),))]))
    shop.review(sku="MUG-1", rating=2, author_name="Ada L", order_number=None)
    return order


def test_the_export_holds_the_reviews_their_photos_and_the_request(shop, db):
    order = reviewed_order(shop, db)

    with db.reading() as session:
        found = privacy.export_customer(session, store_id=shop.store.id,
                                        customer_id=order["customer_id"])["feedback"]

    assert [(r["sku"], r["rating"], r["author_name"], r["email"], r["source"])
            for r in found["reviews"]] == [("TEA-1", 4, "Ada L.", "ada@example.com", "link"),
                                           ("MUG-1", 2, "Ada L", "ada@example.com", "api")]
    assert [(p["position"], p["content_type"]) for p in found["review_photos"]] == [
        (0, "image/png")]
    assert [(q["order_id"], q["status"]) for q in found["review_requests"]] == [
        (order["id"], "open")]


def test_erasure_anonymises_the_reviews_and_deletes_their_photos(shop, db):
    order = reviewed_order(shop, db)

    with db.transaction() as session:
        rows = privacy.erase_customer(session, store_id=shop.store.id,
                                      customer_id=order["customer_id"])
    with db.transaction() as session:
        again = privacy.erase_customer(session, store_id=shop.store.id,
                                       customer_id=order["customer_id"])

    assert {k: v for k, v in rows.items() if k.startswith("review")} == {
        "reviews": 2, "review_photos": 1, "review_requests": 1}
    assert {k: v for k, v in again.items() if k.startswith("review")} == {
        "reviews": 0, "review_photos": 0, "review_requests": 0}
    with db.reading() as session:
        kept = list(session.execute(select(Review.author_name, Review.email, Review.customer_id,
                                           Review.has_photos, Review.body, Review.rating)
                                    .order_by(Review.id)))
        photos = session.scalar(select(func.count()).select_from(ReviewPhoto))
        request = session.scalar(select(ReviewRequest))
    assert [tuple(r) for r in kept] == [("Anonymous", None, None, False, "Fresh", 4),
                                        ("Anonymous", None, None, False, "Fresh and green.", 2)]
    assert photos == 0
    assert request is not None and request.customer_id is None


def test_a_customer_without_reviews_exports_none(shop, db):
    order = shop.order("1001")

    with db.reading() as session:
        found = privacy.export_customer(session, store_id=shop.store.id,
                                        customer_id=order["customer_id"])

    assert found["feedback"] is None
