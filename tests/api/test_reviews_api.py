"""POST /api/v1/reviews and its moderation through the API: verified buyers, the
Idempotency-Key, the auto-publish rule and flags, imports keeping their date, lists
by SKU and status in pages, publish / reject / reply, the settings document, and
every refusal (422, 409, 404) leaving nothing written."""

from __future__ import annotations

import pytest

from tests.feedback.scene import Shop, open_shop, snapshot


@pytest.fixture
def shop(client, db, make_store) -> Shop:
    return open_shop(client, db, make_store)


def test_a_review_naming_the_buyers_order_and_email_is_a_verified_buyers(shop):
    order = shop.order("1001")

    answer = shop.review(order_number="1001", rating=3)

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["verified_buyer"], body["source"], body["order_id"], body["customer_id"],
            body["status"], body["rating"]) == (True, "api", order["id"],
                                               order["customer_id"], "pending", 3)


def test_a_review_with_another_email_than_the_orders_is_not_verified(shop):
    shop.order("1001")

    body = shop.review(order_number="1001", email="someone@example.com").json()

    assert (body["verified_buyer"], body["customer_id"]) == (False, None)


def test_a_review_without_an_order_is_not_verified_but_finds_the_customer_by_email(shop):
    order = shop.order("1001")

    body = shop.review().json()

    assert (body["verified_buyer"], body["order_id"], body["customer_id"]) == (
        False, None, order["customer_id"])


def test_five_stars_without_flags_are_published_at_once_by_the_default_rule(shop):
    body = shop.review(rating=5).json()

    assert body["status"] == "published"
    assert body["published_at"] is not None


def test_a_flagged_word_keeps_a_five_star_review_pending_with_its_flag(shop):
    shop.put_settings(flagged_words=["Rubbish", "scam"])

    body = shop.review(rating=5, body="What a SCAM, visit www.cheap-tea.com").json()

    assert (body["status"], body["flags"]) == ("pending", ["word:scam", "link"])


def test_auto_publishing_switched_off_keeps_every_review_pending(shop):
    shop.put_settings(auto_publish={"enabled": False})

    assert shop.review(rating=5).json()["status"] == "pending"


def test_html_and_script_are_stored_as_the_text_they_are(shop):
    body = shop.review(rating=2, title="<b>bold</b>",
                       body="<script>alert(1)</script> & more").json()

    assert (body["title"], body["body"]) == ("<b>bold</b>", "<script>alert(1)</script> & more")


@pytest.mark.parametrize("change", [
    {"rating": 0}, {"rating": 6}, {"rating": "5"}, {"rating": 4.5}, {"title": "", "body": ""},
    {"title": "  ", "body": None}, {"author_name": ""}, {"sku": ""},
    {"email": "not-an-email"}, {"attributes": {"taste": 6}},
    {"submitted_at": "2024-01-01T00:00:00Z"},  # kept only for imports
])
def test_a_bad_review_is_refused_with_422_and_nothing_is_written(shop, db, change):
    before = snapshot(db)

    answer = shop.review(**change)

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid"
    assert snapshot(db) == before


def test_an_order_of_another_store_is_refused_and_nothing_is_written(shop, client, db,
                                                                     make_store):
    other = open_shop(client, db, make_store, "other")
    other.order("2001")
    before = snapshot(db)

    answer = shop.review(order_number="2001")

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "order_not_found"
    assert snapshot(db) == before


def test_a_sku_of_another_store_is_refused_and_nothing_is_written(shop, client, db,
                                                                  make_store):
    other = open_shop(client, db, make_store, "other")
    assert other.client.post("/api/v1/products", headers=other.auth, json={
        "title": "Theirs", "variants": [{"sku": "THEIRS-1", "price_minor": 100,
                                         "currency": "EUR"}]}).status_code == 201
    before = snapshot(db)

    answer = shop.review(sku="THEIRS-1")

    assert (answer.status_code, answer.json()["error"]["code"]) == (422, "unknown_sku")
    assert snapshot(db) == before


def test_a_sku_that_is_not_in_the_order_named_is_refused(shop, db):
    shop.order("1001")
    before = snapshot(db)

    answer = shop.review(order_number="1001", sku="NOPE-1")

    assert (answer.status_code, answer.json()["error"]["code"]) == (422, "sku_not_in_order")
    assert snapshot(db) == before


def test_an_attribute_the_category_does_not_rate_is_refused(shop, db):
    shop.put_settings(attributes={"tea": ["taste"]})
    before = snapshot(db)

    refused = shop.review(attributes={"fit": 4})
    taken = shop.review(attributes={"taste": 4}, headers={"Idempotency-Key": "t-1"})

    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "unknown_attribute")
    assert taken.status_code == 201 and taken.json()["attributes"] == {"taste": 4}
    assert snapshot(db)["reviews"] == before["reviews"] + 1


def test_the_same_idempotency_key_and_review_again_is_the_same_review(shop, db):
    first = shop.review(headers={"Idempotency-Key": "imp-1"})
    after_first = snapshot(db)

    again = shop.review(headers={"Idempotency-Key": "imp-1"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert snapshot(db) == after_first


def test_an_idempotency_key_used_for_another_review_is_a_409(shop, db):
    shop.review(headers={"Idempotency-Key": "imp-1"})
    before = snapshot(db)

    answer = shop.review(rating=1, headers={"Idempotency-Key": "imp-1"})

    assert (answer.status_code, answer.json()["error"]["code"]) == (409,
                                                                   "idempotency_key_reused")
    assert snapshot(db) == before


def test_an_import_keeps_its_original_date_and_source(shop):
    body = shop.review(source="import", submitted_at="2024-05-06T07:08:09Z").json()

    assert (body["source"], body["submitted_at"]) == ("import", "2024-05-06T07:08:09Z")


def test_reviews_are_listed_by_sku_and_status_newest_first_in_pages(shop):
    ids = [shop.review(sku=sku, rating=rating).json()["id"]
           for sku, rating in (("TEA-1", 5), ("MUG-1", 2), ("TEA-1", 1), ("TEA-1", 3))]

    tea = shop.client.get("/api/v1/reviews?sku=TEA-1&limit=2", headers=shop.auth).json()
    rest = shop.client.get(f"/api/v1/reviews?sku=TEA-1&limit=2&cursor={tea['next_cursor']}",
                           headers=shop.auth).json()
    pending = shop.client.get("/api/v1/reviews?status=pending", headers=shop.auth).json()
    low = shop.client.get("/api/v1/reviews?rating=2", headers=shop.auth).json()
    bad = shop.client.get("/api/v1/reviews?rating=6", headers=shop.auth)

    assert [r["id"] for r in tea["items"]] == [ids[3], ids[2]]
    assert ([r["id"] for r in rest["items"]], rest["next_cursor"]) == ([ids[0]], None)
    assert [r["id"] for r in pending["items"]] == [ids[3], ids[2], ids[1]]
    assert [r["id"] for r in low["items"]] == [ids[1]]
    assert bad.status_code == 422


def test_a_pending_review_is_published_then_rejected_with_a_reason_then_replied_to(shop):
    review_id = shop.review(rating=2).json()["id"]
    path = f"/api/v1/reviews/{review_id}"

    published = shop.client.post(f"{path}/publish", headers=shop.auth)
    twice = shop.client.post(f"{path}/publish", headers=shop.auth)
    rejected = shop.client.post(f"{path}/reject", json={"reason": "Off topic"},
                                headers=shop.auth)
    replied = shop.client.post(f"{path}/reply", json={"text": "Thank you, <Ada>!"},
                               headers=shop.auth)

    assert published.json()["status"] == "published"
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "invalid_status")
    assert (rejected.json()["status"], rejected.json()["reject_reason"],
            rejected.json()["published_at"]) == ("rejected", "Off topic", None)
    assert replied.json()["reply"] == "Thank you, <Ada>!"
    events = shop.client.get("/api/v1/events", headers=shop.auth).json()["items"]
    assert [e["name"] for e in events if e["name"].startswith("review.")] == [
        "review.submitted", "review.published", "review.rejected"]


def test_a_reject_without_a_reason_is_refused_and_changes_nothing(shop, db):
    review_id = shop.review(rating=2).json()["id"]
    before = snapshot(db)

    answer = shop.client.post(f"/api/v1/reviews/{review_id}/reject", json={"reason": " "},
                              headers=shop.auth)

    assert answer.status_code == 422
    assert snapshot(db) == before
    assert shop.client.get(f"/api/v1/reviews/{review_id}",
                           headers=shop.auth).json()["status"] == "pending"


def test_another_stores_key_sees_and_moderates_none_of_the_reviews(shop, client, db,
                                                                   make_store):
    review_id = shop.review(rating=2).json()["id"]
    other = open_shop(client, db, make_store, "other")
    before = snapshot(db)

    answers = [client.get(f"/api/v1/reviews/{review_id}", headers=other.auth),
               client.post(f"/api/v1/reviews/{review_id}/publish", headers=other.auth),
               client.post(f"/api/v1/reviews/{review_id}/reject", json={"reason": "x"},
                           headers=other.auth),
               client.post(f"/api/v1/reviews/{review_id}/reply", json={"text": "x"},
                           headers=other.auth)]
    listed = client.get("/api/v1/reviews", headers=other.auth).json()

    assert [a.status_code for a in answers] == [404, 404, 404, 404]
    assert listed == {"items": [], "next_cursor": None}
    assert snapshot(db) == before


def test_the_settings_are_the_defaults_until_put_and_a_bad_document_is_refused(shop, db):
    defaults = shop.client.get("/api/v1/reviews/settings", headers=shop.auth).json()
    bad = shop.client.put("/api/v1/reviews/settings", headers=shop.auth, json={
        "rewards": {"kind": "code"}})
    put = shop.put_settings(auto_publish={"min_rating": 5}, flagged_words=["Scam", "scam "],
                            attributes={"apparel": ["fit", "quality"]})

    assert defaults["auto_publish"] == {"enabled": True, "min_rating": 4,
                                        "verified_only": False}
    assert bad.status_code == 422
    assert put.json()["flagged_words"] == ["scam"]
    assert shop.client.get("/api/v1/reviews/settings", headers=shop.auth).json() == put.json()
