"""The moderation queue in the admin: pending reviews first, filters (status,
rating, SKU, flagged), a review with its order and flags, publish, reject with a
reason, a public reply; a step the review's status no longer allows is a sentence,
and a bad form changes nothing. In the admin's languages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from afterward.events import Event
from tests.feedback.scene import Shop, open_shop, snapshot
from tests.web.helpers import csrf_of, make_admin, sign_in


@pytest.fixture
def shop(client, db, make_store) -> Shop:
    found = open_shop(client, db, make_store)
    make_admin(db)
    sign_in(client)
    found.put_settings(flagged_words=["scam"])
    return found


def listed(html: str) -> list[str]:
    return re.findall(r'<a href="/admin/reviews/(\d+)">', html)


def test_the_queue_shows_pending_reviews_newest_first_with_counts(shop, client):
    published = shop.review(rating=5).json()["id"]
    low = shop.review(rating=2, title="Meh").json()["id"]
    flagged = shop.review(rating=5, body="a scam").json()["id"]

    page = client.get("/admin/reviews")

    assert page.status_code == 200
    assert listed(page.text) == [str(flagged), str(low)]
    assert str(published) not in listed(page.text)
    assert re.search(r"Pending</span> <span class=\"count\">2<", page.text)


@pytest.mark.parametrize(("query", "expected"), [
    ("status=any", ["flagged", "low", "published"]), ("status=published", ["published"]),
    ("status=any&rating=2", ["low"]), ("status=any&flagged=1", ["flagged"]),
    ("status=any&sku=MUG-1", ["low"]),
])
def test_the_queue_filters(shop, client, query, expected):
    ids = {"published": shop.review(rating=5).json()["id"],
           "low": shop.review(rating=2, sku="MUG-1").json()["id"],
           "flagged": shop.review(rating=5, body="a scam").json()["id"]}

    page = client.get(f"/admin/reviews?{query}")

    assert listed(page.text) == [str(ids[name]) for name in expected]


def test_a_bad_filter_is_a_sentence_and_a_400(shop, client):
    page = client.get("/admin/reviews?rating=9")

    assert page.status_code == 400
    assert "A rating is 1 to 5 stars" in page.text


def test_a_review_is_published_from_its_page(shop, client):
    review_id = shop.review(rating=2, title="<i>Meh</i>").json()["id"]
    page = client.get(f"/admin/reviews/{review_id}")

    done = client.post(f"/admin/reviews/{review_id}/publish",
                       data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    again = client.post(f"/admin/reviews/{review_id}/publish",
                        data={"csrf": csrf_of(page.text)})

    assert "&lt;i&gt;Meh&lt;/i&gt;" in page.text
    assert (done.status_code, done.headers["location"]) == (
        303, f"/admin/reviews/{review_id}?done=published")
    assert "The review was published." in client.get(done.headers["location"]).text
    assert again.status_code == 409
    assert "This review was already published." in again.text


def test_a_rejection_needs_a_reason_and_keeps_it(shop, client, db):
    review_id = shop.review(rating=1).json()["id"]
    csrf = csrf_of(client.get(f"/admin/reviews/{review_id}").text)
    before = snapshot(db)

    refused = client.post(f"/admin/reviews/{review_id}/reject", data={"csrf": csrf,
                                                                      "reason": " "})
    unchanged = snapshot(db)
    done = client.post(f"/admin/reviews/{review_id}/reject",
                       data={"csrf": csrf, "reason": "Talks about the courier"})

    assert refused.status_code == 422
    assert "Give a reason for rejecting this review." in refused.text
    assert unchanged == before
    assert done.status_code == 200
    assert 'id="reject-reason">Talks about the courier<' in done.text


def test_a_reply_is_saved_and_an_empty_one_removes_it(shop, client):
    review_id = shop.review(rating=3).json()["id"]
    csrf = csrf_of(client.get(f"/admin/reviews/{review_id}").text)

    saved = client.post(f"/admin/reviews/{review_id}/reply",
                        data={"csrf": csrf, "text": "Thanks, we <b>fixed</b> it."})
    api = shop.client.get(f"/api/v1/reviews/{review_id}", headers=shop.auth).json()
    removed = client.post(f"/admin/reviews/{review_id}/reply", data={"csrf": csrf, "text": ""})

    assert "Your reply was saved." in saved.text
    assert "Thanks, we &lt;b&gt;fixed&lt;/b&gt; it." in saved.text
    assert api["reply"] == "Thanks, we <b>fixed</b> it."
    assert "Your reply was removed." in removed.text


def test_a_step_without_the_csrf_value_changes_nothing(shop, client, db):
    review_id = shop.review(rating=2).json()["id"]
    before = snapshot(db)

    answer = client.post(f"/admin/reviews/{review_id}/publish", data={"csrf": "forged"})

    assert answer.status_code == 403
    assert snapshot(db) == before


def test_another_stores_review_is_a_404(shop, client, db, make_store):
    other = open_shop(client, db, make_store, "other")
    theirs = other.review(rating=2).json()["id"]

    assert client.get(f"/admin/reviews/{theirs}").status_code == 404
    assert client.post(f"/admin/reviews/{theirs}/publish", data={
        "csrf": csrf_of(client.get("/admin/reviews").text)}).status_code == 404


def test_the_queue_speaks_german(shop, client):
    shop.review(rating=2)

    page = client.get("/admin/reviews", headers={"Accept-Language": "de"})

    assert "Bewertungen" in page.text and "Nur markierte" in page.text


def test_a_reviews_page_gives_the_product_pages_address_and_the_widget_snippet(
        shop, client, settings):
    review_id = shop.review(sku="TEA-1").json()["id"]

    page = client.get(f"/admin/reviews/{review_id}").text

    public = settings.public_url.rstrip("/")
    assert f'id="review-page-link">{public}/reviews/acme/TEA-1</a>' in page
    snippet = re.search(r'<textarea id="widget-snippet"[^>]*>(.*?)</textarea>', page, re.S)
    assert snippet is not None
    assert snippet.group(1) == (
        f'&lt;iframe src="{public}/reviews/acme/TEA-1/widget" data-afterward-reviews '
        'title="Customer reviews" loading="lazy" style="width:100%;height:640px;border:0"'
        f'&gt;&lt;/iframe&gt;\n&lt;script src="{public}/static/review-embed.js" async&gt;'
        '&lt;/script&gt;')


def ticked(html: str) -> list[str]:
    return re.findall(r'name="review" value="(\d+:\w+)" id="pick-\d+" checked', html)


def test_select_all_ticks_every_review_on_the_page(shop, client):
    ids = [shop.review(rating=2, title=f"Meh {n}").json()["id"] for n in range(3)]

    page = client.get("/admin/reviews?status=pending&all=1")

    assert ticked(page.text) == [f"{i}:pending" for i in reversed(ids)]
    assert ticked(client.get("/admin/reviews").text) == []


def test_several_reviews_are_published_at_once_each_with_its_event(shop, client, db):
    first, second = (shop.review(rating=2).json()["id"] for _ in range(2))
    csrf = csrf_of(client.get("/admin/reviews").text)

    page = client.post("/admin/reviews/bulk", data={
        "csrf": csrf, "action": "publish", "status": "pending",
        "review": [f"{first}:pending", f"{second}:pending"]})

    assert page.status_code == 200
    assert "Reviews published: 2." in page.text
    with db.reading() as session:
        published = sorted(session.scalars(select(Event.subject_id).where(
            Event.name == "review.published")))
    assert published == [first, second]
    assert listed(page.text) == []


def test_a_bulk_rejection_gives_each_review_the_one_reason(shop, client):
    first, second = (shop.review(rating=1).json()["id"] for _ in range(2))
    csrf = csrf_of(client.get("/admin/reviews").text)

    page = client.post("/admin/reviews/bulk", data={
        "csrf": csrf, "action": "reject", "reason": "Off topic",
        "review": [f"{first}:pending", f"{second}:pending"]})

    assert "Reviews rejected: 2." in page.text
    for review_id in (first, second):
        api = shop.client.get(f"/api/v1/reviews/{review_id}", headers=shop.auth).json()
        assert api["status"] == "rejected"


def test_a_review_moderated_by_someone_else_meanwhile_is_reported_and_left(shop, client, db):
    mine, theirs = (shop.review(rating=2).json()["id"] for _ in range(2))
    csrf = csrf_of(client.get(f"/admin/reviews/{theirs}").text)
    client.post(f"/admin/reviews/{theirs}/reject", data={"csrf": csrf, "reason": "Spam"})

    page = client.post("/admin/reviews/bulk", data={
        "csrf": csrf, "action": "publish",
        "review": [f"{mine}:pending", f"{theirs}:pending"]})

    assert "Reviews published: 1." in page.text
    assert re.search(rf'<li><a href="/admin/reviews/{theirs}">#{theirs}</a>: moderated by '
                     r"someone else in the meantime; left as it is.</li>", page.text)
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(
            Event.name == "review.published", Event.subject_id == theirs)) == 0
    api = shop.client.get(f"/api/v1/reviews/{theirs}", headers=shop.auth).json()
    assert api["status"] == "rejected"


@pytest.mark.parametrize(("fields", "sentence"), [
    ({"action": "publish"}, "Select at least one review."),
    ({"action": "reject", "reason": " ", "review": ["1:pending"]},
     "Give a reason for rejecting this review."),
    ({"action": "delete", "review": ["1:pending"]},
     "Choose to publish or to reject the selected reviews."),
    ({"action": "publish", "review": ["x:pending"]},
     "That selection is not valid. Reload the page and select again."),
])
def test_a_bad_bulk_step_is_a_sentence_and_changes_nothing(shop, client, db, fields,
                                                           sentence):
    shop.review(rating=2)
    csrf = csrf_of(client.get("/admin/reviews").text)
    before = snapshot(db)

    page = client.post("/admin/reviews/bulk", data={"csrf": csrf, **fields})

    assert page.status_code == 422
    assert sentence in page.text
    assert snapshot(db) == before


def test_a_bulk_step_without_the_csrf_value_or_on_another_stores_reviews_changes_nothing(
        shop, client, db, make_store):
    other = open_shop(client, db, make_store, "other")
    theirs = other.review(rating=2).json()["id"]
    csrf = csrf_of(client.get("/admin/reviews").text)
    before = snapshot(db)

    forged = client.post("/admin/reviews/bulk", data={
        "csrf": "forged", "action": "publish", "review": [f"{theirs}:pending"]})
    astray = client.post("/admin/reviews/bulk", data={
        "csrf": csrf, "action": "publish", "review": [f"{theirs}:pending"]})

    assert forged.status_code == 403
    assert "Reviews published: 0." in astray.text
    assert f"#{theirs}</a>: not found." in astray.text
    assert snapshot(db) == before


def test_the_bulk_step_speaks_german(shop, client):
    review_id = shop.review(rating=2).json()["id"]
    csrf = csrf_of(client.get("/admin/reviews").text)

    page = client.post("/admin/reviews/bulk", headers={"Accept-Language": "de"}, data={
        "csrf": csrf, "action": "publish", "review": [f"{review_id}:pending"]})

    assert "Veröffentlichte Bewertungen: 1." in page.text
