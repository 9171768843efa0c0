"""POST /api/v1/reviews with photos (reviews imported with their photos): up to 3,
each sniffed, capped and re-encoded without its metadata; a bad photo is a 422 naming
it, and nothing is recorded."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image
from sqlalchemy import select

from afterward.feedback.models import Review, ReviewPhoto
from tests.feedback.scene import Shop, open_shop, snapshot
from tests.returns.test_photo_files import jpeg_with_gps, png, png_claiming


@pytest.fixture
def shop(client, db, make_store) -> Shop:
    return open_shop(client, db, make_store)


def photo(data: bytes, content_type: str = "image/png") -> dict[str, str]:
    return {"content_type": content_type, "data_base64": base64.b64encode(data).decode()}


def test_photos_sent_with_a_review_are_kept_without_their_metadata(shop, db):
    answer = shop.review(photos=[photo(jpeg_with_gps(), "image/jpeg"), photo(png())])

    assert answer.status_code == 201, answer.text
    assert answer.json()["has_photos"] is True
    with db.reading() as session:
        kept = list(session.scalars(select(ReviewPhoto).order_by(ReviewPhoto.position)))
    assert [(p.review_id, p.position, p.content_type, p.width, p.height) for p in kept] == [
        (answer.json()["id"], 0, "image/jpeg", 64, 48),
        (answer.json()["id"], 1, "image/png", 40, 30)]
    assert dict(Image.open(io.BytesIO(kept[0].data)).getexif()) == {}


def test_the_same_review_with_its_photos_and_key_again_is_the_same_review(shop, db):
    first = shop.review(headers={"Idempotency-Key": "imp-1"}, photos=[photo(png())])
    again = shop.review(headers={"Idempotency-Key": "imp-1"}, photos=[photo(png())])

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert snapshot(db)["review_photos"] == 1


@pytest.mark.parametrize(("photos", "code", "field"), [
    ([photo(b"not an image at all")], "photo_not_an_image", "photos.0.data_base64"),
    ([photo(png()), {"content_type": "image/png", "data_base64": "***not base64***"}],
     "photo_not_base64", "photos.1.data_base64"),
    ([photo(png(), "image/jpeg")], "photo_type_mismatch", "photos.0.content_type"),
    ([photo(png_claiming(50_000, 50_000))], "photo_too_many_pixels", "photos.0.data_base64"),
    ([photo(png()) for _ in range(4)], "invalid", "photos"),
    ([{"content_type": "image/gif", "data_base64": "R0lGODlh"}], "invalid",
     "photos.0.content_type"),
])
def test_a_bad_photo_is_a_422_naming_it_and_nothing_is_recorded(shop, db, photos, code,
                                                                 field):
    before = snapshot(db)

    answer = shop.review(photos=photos)

    assert answer.status_code == 422
    assert (answer.json()["error"]["code"], answer.json()["error"]["field"]) == (code, field)
    assert snapshot(db) == before


def test_a_photo_over_8_mb_is_refused(shop, db):
    before = snapshot(db)

    answer = shop.review(photos=[photo(png() + b"\0" * (8 * 1024 * 1024))])

    assert answer.status_code == 422
    assert (answer.json()["error"]["code"], answer.json()["error"]["field"]) == (
        "invalid", "photos.0.data_base64")
    assert snapshot(db) == before
    with db.reading() as session:
        assert session.scalar(select(Review.id)) is None
