"""Photos through the API: a return whose damaged line needs a photo waits in review
until one is added (multipart), then is approved; the photo is listed on the return,
served with the key only, clean of metadata; bad uploads are refused with their code
and change nothing."""

from __future__ import annotations

import io

from PIL import Image

from afterward.returns.models import ReturnPhoto
from tests.returns.test_photo_files import jpeg_with_gps, png, png_claiming

DAMAGED = [{"sku": "CUP-1", "quantity": 1, "reason": "damaged"}]


def upload(shop, return_id: int, data: bytes, sku: str = "CUP-1", name: str = "photo.jpg",
           content_type: str = "image/jpeg", auth: dict[str, str] | None = None):
    return shop.client.post(f"/api/v1/returns/{return_id}/photos", headers=auth or shop.auth,
                            data={"sku": sku}, files={"file": (name, data, content_type)})


def test_a_damaged_item_without_a_photo_waits_in_review_and_cannot_be_approved(shop):
    made = shop.request(DAMAGED).json()

    approving = shop.post(f"/api/v1/returns/{made['id']}/approve")

    assert (made["status"], made["review_reasons"], made["fee_minor"]) == (
        "requested", ["photo required"], 0)
    assert made["lines"][0]["photo_required"] is True
    assert approving.status_code == 422
    assert approving.json()["error"]["code"] == "photo_required"
    assert shop.get(f"/api/v1/returns/{made['id']}").json()["status"] == "requested"


def test_the_photo_it_waited_for_approves_it(shop):
    made = shop.request(DAMAGED).json()

    answer = upload(shop, made["id"], jpeg_with_gps())

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["status"], body["review_reasons"]) == ("approved", [])
    [photo] = body["photos"]
    assert (photo["sku"], photo["content_type"], photo["width"], photo["height"]) == (
        "CUP-1", "image/jpeg", 64, 48)
    assert photo["url"] == f"http://testserver/api/v1/returns/{made['id']}/photos/{photo['id']}"


def test_a_photo_is_served_with_the_key_only_and_without_metadata(shop, make_store):
    made = shop.request(DAMAGED).json()
    [photo] = upload(shop, made["id"], jpeg_with_gps()).json()["photos"]
    path = f"/api/v1/returns/{made['id']}/photos/{photo['id']}"

    served = shop.get(path)
    other = make_store("other-shop")

    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert dict(Image.open(io.BytesIO(served.content)).getexif()) == {}
    assert shop.client.get(path).status_code == 401
    assert shop.client.get(path, headers=other.auth).status_code == 404


def test_a_png_sent_as_a_jpeg_is_stored_as_a_png(shop):
    made = shop.request(DAMAGED).json()

    body = upload(shop, made["id"], png(), name="holiday.jpg").json()

    assert body["photos"][0]["content_type"] == "image/png"


def test_another_review_reason_keeps_the_return_waiting_after_the_photo(shop):
    shop.put_policy(auto_approve=False)
    made = shop.request(DAMAGED).json()

    body = upload(shop, made["id"], png()).json()

    assert (body["status"], body["review_reasons"]) == (
        "requested", ["policy: every return is reviewed"])


def test_bad_uploads_are_refused_with_their_code_and_nothing_is_stored(shop):
    made = shop.request(DAMAGED).json()
    cases = [(b"just some text", "photo_not_an_image"),
             (png() + b"\x00" * (9 * 1024 * 1024), "photo_too_large"),
             (png_claiming(50_000, 50_000), "photo_too_many_pixels")]

    answers = [upload(shop, made["id"], data) for data, _ in cases]
    wrong_line = upload(shop, made["id"], png(), sku="TEA-1")

    assert [(a.status_code, a.json()["error"]["code"], a.json()["error"]["field"])
            for a in answers] == [(422, code, "file") for _, code in cases]
    assert (wrong_line.status_code, wrong_line.json()["error"]["code"]) == (
        422, "unknown_line")
    assert shop.count(ReturnPhoto) == 0
    assert shop.get(f"/api/v1/returns/{made['id']}").json()["status"] == "requested"


def test_a_line_takes_at_most_three_photos(shop):
    made = shop.request(DAMAGED).json()
    for _ in range(3):
        assert upload(shop, made["id"], png()).status_code == 201

    fourth = upload(shop, made["id"], png())

    assert (fourth.status_code, fourth.json()["error"]["code"]) == (422, "too_many_photos")
    assert shop.count(ReturnPhoto) == 3


def test_no_photo_is_added_once_the_return_was_received(shop):
    made = shop.request([{"sku": "MUG-1", "quantity": 1, "reason": "too_small"}]).json()
    shop.post(f"/api/v1/returns/{made['id']}/receive",
              {"lines": [{"sku": "MUG-1", "quantity": 1, "condition": "new"}]})

    answer = upload(shop, made["id"], png(), sku="MUG-1")

    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "invalid_status")
    assert shop.count(ReturnPhoto) == 0


def test_a_reason_not_of_the_lines_category_is_refused(shop):
    shop.put_policy(reasons=["changed_mind", "too_small"],
                    reasons_by_category={"home": ["damaged", "changed_mind"]})

    refused = shop.request([{"sku": "MUG-1", "quantity": 1, "reason": "too_small"}])
    tea = shop.request([{"sku": "TEA-1", "quantity": 1, "reason": "too_small"}])

    assert refused.status_code == 422
    assert (refused.json()["error"]["code"], refused.json()["error"]["field"]) == (
        "unknown_reason", "lines.0")
    assert tea.status_code == 201, tea.text


def test_a_photo_without_its_line_or_file_is_refused(shop):
    made = shop.request(DAMAGED).json()
    path = f"/api/v1/returns/{made['id']}/photos"

    no_file = shop.client.post(path, headers=shop.auth, data={"sku": "CUP-1"})
    no_sku = shop.client.post(path, headers=shop.auth,
                              files={"file": ("cup.png", png(), "image/png")})

    assert [(a.status_code, a.json()["error"]["code"], a.json()["error"]["field"])
            for a in (no_file, no_sku)] == [(422, "invalid", "file"), (422, "invalid", "sku")]
    assert shop.count(ReturnPhoto) == 0
