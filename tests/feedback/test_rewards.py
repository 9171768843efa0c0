"""Rewards for reviews without buying praise: given when a review is published (by
the rule at submission or by a moderator), once, whatever its rating; loyalty points
(the program's review bonus, its photo bonus on top) or a single-use code; recorded
on the review so the published review can say so."""

from __future__ import annotations

import re

from sqlalchemy import select

from afterward.commerce.code_models import DiscountCode
from afterward.feedback import collection, links
from afterward.feedback.collection import Answer
from afterward.feedback.models import Review
from afterward.images import clean
from afterward.storage.types import utcnow
from tests.feedback.scene import snapshot
from tests.returns.test_photo_files import png


def points_program(shop) -> None:
    answer = shop.client.put("/api/v1/loyalty/program", headers=shop.auth, json={
        "bonuses": {"review": 50, "review_photo": 100}})
    assert answer.status_code == 200, answer.text


def balance(shop, customer_id: int) -> int:
    found = shop.client.get(f"/api/v1/customers/{customer_id}/loyalty", headers=shop.auth)
    return int(found.json()["points_balance"])


def test_a_one_star_review_earns_what_a_five_star_one_does_when_published(shop):
    points_program(shop)
    shop.put_settings(rewards={"kind": "points"}, auto_publish={"enabled": False})
    order = shop.order("1001")
    low = shop.review(order_number="1001", rating=1).json()
    high = shop.review(order_number="1001", sku="MUG-1", rating=5).json()
    assert (low["incentive"], balance(shop, order["customer_id"])) == (None, 0)

    published = [shop.client.post(f"/api/v1/reviews/{r['id']}/publish",
                                  headers=shop.auth).json() for r in (low, high)]

    assert [(p["incentive"], p["incentive_points"]) for p in published] == [
        ("points", 50), ("points", 50)]
    assert balance(shop, order["customer_id"]) == 100


def test_a_review_published_taken_down_and_published_again_is_rewarded_once(shop):
    points_program(shop)
    shop.put_settings(rewards={"kind": "points"})
    order = shop.order("1001")
    review = shop.review(order_number="1001", rating=5).json()
    path = f"/api/v1/reviews/{review['id']}"

    shop.client.post(f"{path}/reject", json={"reason": "mistake"}, headers=shop.auth)
    again = shop.client.post(f"{path}/publish", headers=shop.auth).json()

    assert (review["status"], review["incentive_points"]) == ("published", 50)
    assert (again["status"], again["incentive_points"]) == ("published", 50)
    assert balance(shop, order["customer_id"]) == 50


def test_a_review_with_photos_earns_the_photo_bonus_on_top(shop, db):
    points_program(shop)
    shop.put_settings(rewards={"kind": "points"})
    order = shop.order("1001")

    outcome = db.run(lambda session: collection.submit(
        session, store_id=shop.store.id, order_id=order["id"], locale="en", now=utcnow(),
        answers=[Answer("TEA-1", 4, "Good", None, {}, (clean(png()),))]))

    assert [(r.incentive, r.incentive_points) for r in outcome.made] == [("points", 150)]
    assert balance(shop, order["customer_id"]) == 150


def test_a_code_reward_issues_one_code_for_the_reviewer_and_says_so(shop, db):
    shop.put_settings(rewards={"kind": "code", "code_percent": 10, "code_expiry_days": 30})
    order = shop.order("1001")

    review = shop.review(order_number="1001", rating=2, headers={"Idempotency-Key": "k"})
    published = shop.client.post(f"/api/v1/reviews/{review.json()['id']}/publish",
                                 headers=shop.auth).json()

    assert (published["incentive"], published["incentive_points"]) == ("code", None)
    with db.reading() as session:
        codes = list(session.scalars(select(DiscountCode)))
    assert [(c.kind, c.percent, c.customer_id, c.source, c.source_id) for c in codes] == [
        ("discount", 10, order["customer_id"], "review", str(published["id"]))]


def test_a_review_without_a_customer_earns_nothing(shop, db):
    shop.put_settings(rewards={"kind": "code", "code_amount_minor": 500})
    before = snapshot(db)

    body = shop.review(email="stranger@example.com", rating=5).json()

    assert (body["status"], body["incentive"], body["customer_id"]) == ("published", None,
                                                                        None)
    assert snapshot(db)["discount_codes"] == before["discount_codes"]


def test_photo_only_rewards_skip_a_review_without_photos(shop, db):
    points_program(shop)
    shop.put_settings(rewards={"kind": "points", "photo_only": True})
    order = shop.order("1001")

    body = shop.review(order_number="1001", rating=5).json()

    assert (body["incentive"], balance(shop, order["customer_id"])) == (None, 0)


def test_a_review_from_the_form_waiting_for_moderation_has_earned_nothing_yet(shop, db):
    points_program(shop)
    shop.put_settings(rewards={"kind": "points"})
    order = shop.order("1001")
    path = links.form_path("test-secret-key-0123456789", shop.store.id, order["id"])
    page = shop.client.get(path).text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))

    shop.client.post(path, data={**fields, "rating_1": "3", "title_1": "Fine"})

    with db.reading() as session:
        review = session.scalar(select(Review))
    assert review is not None
    assert (review.sku, review.status, review.incentive, review.incentive_points) == (
        "MUG-1", "pending", None, None)
