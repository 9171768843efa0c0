"""The order's review form, /review/{token}: one form for the order's items in the
shopper's language, stars as radio buttons, partial answers kept (the rest later,
then the request is answered), photos cleaned of their metadata, the category's
attributes; and every refusal readable with nothing recorded: a tampered or expired
link, an item reviewed already, stars missing, words missing, a bad photo, a form
without its CSRF value."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from PIL import Image
from sqlalchemy import select

from afterward.feedback import links
from afterward.feedback.models import Review, ReviewPhoto, ReviewRequest
from afterward.storage.types import utcnow
from tests.feedback.scene import SECRET, Shop, open_shop, snapshot
from tests.returns.test_photo_files import jpeg_with_gps, png


@pytest.fixture
def shop(client, db, make_store) -> Shop:
    return open_shop(client, db, make_store)


def form_path(shop: Shop, order: dict) -> str:
    return links.form_path(SECRET, shop.store.id, order["id"])


def skus_on(html: str) -> list[str]:
    return re.findall(r'name="sku_\d+" value="([^"]+)"', html)


def hidden(html: str) -> dict[str, str]:
    """The form's hidden fields, as a browser sends them (the CSRF value, each item's SKU)."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def send(shop: Shop, path: str, fields: dict[str, str], files: list | None = None):
    return shop.client.post(path, data={**hidden(shop.client.get(path).text), **fields},
                            files=files or [])


def reviews(db) -> list[Review]:
    with db.reading() as session:
        return list(session.scalars(select(Review).order_by(Review.id)))


def request_row(db) -> ReviewRequest | None:
    with db.reading() as session:
        return session.scalar(select(ReviewRequest))


def test_the_form_lists_every_item_with_five_star_radio_buttons(shop):
    path = form_path(shop, shop.order("1001"))

    page = shop.client.get(path)

    assert page.status_code == 200
    assert skus_on(page.text) == ["TEA-1", "MUG-1", "CUP-1"]
    assert len(re.findall(r'<input type="radio" id="rating-0-\d"', page.text)) == 5
    assert 'enctype="multipart/form-data"' in page.text
    assert "<script" not in page.text


def test_the_form_speaks_the_customers_language(shop, client):
    order = shop.order("1001")
    client.post("/api/v1/customers", headers=shop.auth,
                json={"email": "ada@example.com", "locale": "de"})

    page = client.get(form_path(shop, order))

    assert '<html lang="de">' in page.text
    assert "Bestellung bewerten" in page.text


def test_some_items_now_and_the_rest_later_answers_the_request(shop, db):
    order = shop.order("1001")
    path = form_path(shop, order)

    first = send(shop, path, {"rating_0": "5", "title_0": "Fresh", "body_0": "Lovely tea"})
    after_first = request_row(db)
    second_page = shop.client.get(path)
    second = send(shop, path, {"rating_0": "2", "body_0": "Chipped", "rating_1": "4",
                               "title_1": "Nice cup"})

    assert first.status_code == 200 and "Thank you! We received your review." in first.text
    assert after_first is not None and after_first.status == "open"
    assert skus_on(second_page.text) == ["MUG-1", "CUP-1"]
    assert second.status_code == 200
    made = reviews(db)
    assert [(r.sku, r.rating, r.source, r.verified_buyer, r.author_name, r.email)
            for r in made] == [
        ("TEA-1", 5, "link", True, "Ada L.", "ada@example.com"),
        ("MUG-1", 2, "link", True, "Ada L.", "ada@example.com"),
        ("CUP-1", 4, "link", True, "Ada L.", "ada@example.com")]
    answered = request_row(db)
    assert answered is not None and answered.status == "answered"
    assert answered.answered_at is not None
    assert 'id="all-reviewed"' in shop.client.get(path).text


def test_an_item_reviewed_already_records_nothing_and_says_so(shop, db):
    path = form_path(shop, shop.order("1001"))
    fields = {**hidden(shop.client.get(path).text), "rating_0": "5", "title_0": "Fresh"}
    shop.client.post(path, data=fields)
    before = snapshot(db)

    again = shop.client.post(path, data={**fields, "sku_0": "TEA-1"})
    elsewhere = shop.client.post(path, data={**fields, "sku_0": "NOT-IN-ORDER"})

    assert again.status_code == 409
    assert "nothing new was recorded" in again.text
    assert elsewhere.status_code == 400
    assert "This form was changed" in elsewhere.text
    assert snapshot(db) == before


def test_the_whole_order_reviewed_then_sent_again_is_a_409_page_with_nothing_recorded(
        shop, db):
    path = form_path(shop, shop.order("1001", lines=[
        {"sku": "TEA-1", "title": "Green tea", "quantity": 1, "unit_price_minor": 450}]))
    fields = hidden(shop.client.get(path).text)
    shop.client.post(path, data={**fields, "rating_0": "5", "title_0": "Fresh"})
    before = snapshot(db)

    again = shop.client.post(path, data={**fields, "rating_0": "1", "title_0": "Again"})

    assert again.status_code == 409
    assert "nothing new was recorded" in again.text
    assert snapshot(db) == before


def test_a_tampered_link_is_a_readable_404_page(shop, db):
    path = form_path(shop, shop.order("1001"))
    before = snapshot(db)

    page = shop.client.get(path[:-3] + "xyz")
    sent = shop.client.post(path[:-3] + "xyz", data={"rating_0": "5", "title_0": "x"})

    assert (page.status_code, sent.status_code) == (404, 404)
    assert "This link does not work" in page.text
    assert snapshot(db) == before


class MonthOld(TimestampSigner):
    def get_timestamp(self) -> int:
        return int((utcnow() - timedelta(days=31)).timestamp())


def test_an_expired_link_is_a_readable_410_page_and_records_nothing(shop, db):
    order = shop.order("1001")
    shop.put_settings(link_days=30)
    old = URLSafeTimedSerializer(SECRET, salt=links.SALT, signer=MonthOld)
    path = f"/review/{old.dumps([shop.store.id, order['id']])}"
    before = snapshot(db)

    page = shop.client.get(path)
    sent = shop.client.post(path, data={"rating_0": "5", "title_0": "x"})

    assert (page.status_code, sent.status_code) == (410, 410)
    assert "expired" in page.text
    assert snapshot(db) == before


def test_a_link_to_another_stores_order_does_not_open(shop, client, db, make_store):
    other = open_shop(client, db, make_store, "other")
    theirs = other.order("1001")

    page = client.get(links.form_path(SECRET, shop.store.id, theirs["id"]))

    assert page.status_code == 404


@pytest.mark.parametrize(("fields", "problem"), [
    ({}, "Choose a number of stars for at least one item."),
    ({"title_0": "Words but no stars"}, "Choose a number of stars for “Green tea”."),
    ({"rating_0": "4"}, "Write a few words about “Green tea”"),
    ({"rating_0": "9", "title_0": "x"}, "Choose a number of stars for “Green tea”."),
])
def test_a_form_missing_stars_or_words_says_what_is_missing_and_records_nothing(
        shop, db, fields, problem):
    path = form_path(shop, shop.order("1001"))
    before = snapshot(db)

    answer = send(shop, path, fields)

    assert answer.status_code == 422
    assert problem in answer.text
    assert snapshot(db) == before


def test_a_form_without_its_csrf_value_changes_nothing(shop, db):
    path = form_path(shop, shop.order("1001"))
    fields = hidden(shop.client.get(path).text)
    before = snapshot(db)

    answer = shop.client.post(path, data={**fields, "csrf": "forged", "rating_0": "5",
                                          "title_0": "x"})

    assert answer.status_code == 403
    assert snapshot(db) == before


def test_photos_are_kept_without_their_metadata(shop, db):
    path = form_path(shop, shop.order("1001"))

    answer = send(shop, path, {"rating_0": "5", "title_0": "With photos"}, files=[
        ("photos_0", ("a.jpg", jpeg_with_gps(), "image/jpeg")),
        ("photos_0", ("b.png", png(), "image/png"))])

    assert answer.status_code == 200, answer.text
    with db.reading() as session:
        photos = list(session.scalars(select(ReviewPhoto).order_by(ReviewPhoto.position)))
        review = session.scalar(select(Review))
    assert review is not None and review.has_photos
    assert [(p.position, p.content_type, p.width, p.height) for p in photos] == [
        (0, "image/jpeg", 64, 48), (1, "image/png", 40, 30)]
    kept = Image.open(io.BytesIO(photos[0].data))
    assert dict(kept.getexif()) == {}


@pytest.mark.parametrize(("files", "problem"), [
    ([("photos_0", ("a.txt", b"not an image at all", "image/jpeg"))], "is not a photo"),
    ([("photos_0", (f"{n}.png", png(), "image/png")) for n in range(4)], "at most 3 photos"),
    # 20 MB sent as one photo: within the upload's body limit, over a photo's 8 MB
    ([("photos_0", ("big.png", png() + b"\0" * (20 * 1024 * 1024), "image/png"))],
     "is too large"),
])
def test_a_bad_photo_or_too_many_refuse_the_form_and_record_nothing(shop, db, files, problem):
    path = form_path(shop, shop.order("1001"))
    before = snapshot(db)

    answer = send(shop, path, {"rating_0": "5", "title_0": "x"}, files=files)

    assert answer.status_code == 422
    assert problem in answer.text
    assert snapshot(db) == before


def test_the_categorys_attributes_are_rated_beside_the_stars(shop, db):
    shop.put_settings(attributes={"tea": ["taste"], "home": ["quality"]})
    path = form_path(shop, shop.order("1001"))

    page = shop.client.get(path)
    send(shop, path, {"rating_0": "5", "title_0": "x", "attr_0_taste": "4",
                      "rating_1": "3", "title_1": "y", "attr_1_quality": "2"})

    assert 'name="attr_0_taste"' in page.text and 'name="attr_1_quality"' in page.text
    assert [r.attributes for r in reviews(db)] == [{"taste": 4}, {"quality": 2}]


def test_review_text_with_html_is_shown_back_as_text(shop):
    path = form_path(shop, shop.order("1001"))

    answer = send(shop, path, {"title_0": "<script>alert(1)</script>", "body_0": "<b>x</b>"})

    assert answer.status_code == 422
    assert "<script>alert(1)</script>" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
