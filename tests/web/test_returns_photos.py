"""Photos in the returns portal: added to a line in the item step, cleaned of their
metadata, attached to the confirmed return and shown on its status page under its
signed token; a line the policy wants a photo of cannot go on without one, and a
file that is not a safe photo is refused with a readable message and stored nowhere."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from afterward.returns.models import ReturnPhoto
from tests.returns.conftest import make_shop
from tests.returns.test_photo_files import jpeg_with_gps, png, png_claiming
from tests.web.portal_steps import Portal, action, fields, pending_tokens, problem

CUP = {"CUP-1": (1, "damaged")}


@pytest.fixture
def portal(client, db, store) -> Portal:
    return Portal(make_shop(client, db, store))


def photo_urls(html: str) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', html)


def test_a_photo_goes_with_the_return_and_shows_on_its_status_page(portal):
    page = portal.confirm(CUP, photos={"CUP-1": [jpeg_with_gps()]})

    [rma] = portal.returns()
    [url] = photo_urls(page.text)
    served = portal.client.get(url)
    assert (rma.status, rma.lines[0].photo_required) == ("approved", True)
    assert url.startswith(page.url.path + "/photos/")
    assert 'alt="Photo 1 of Cup"' in page.text
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert dict(Image.open(io.BytesIO(served.content)).getexif()) == {}
    assert pending_tokens(portal) == []


def test_a_photo_is_not_served_without_its_return_s_token(portal):
    page = portal.confirm(CUP, photos={"CUP-1": [png()]})
    [url] = photo_urls(page.text)
    photo_id = url.rsplit("/", 1)[1]

    assert portal.client.get(f"/returns/r/forged/photos/{photo_id}").status_code == 404
    assert portal.client.get(url + "0").status_code == 404
    assert portal.client.get(url.rsplit("/", 1)[0] + "/abc").status_code == 404


def test_a_damaged_item_without_a_photo_is_refused_readably_and_nothing_is_kept(portal):
    page = portal.review(CUP)

    assert page.status_code == 422
    assert problem(page.text) == "Please add a photo of each damaged, faulty or wrong item."
    assert portal.nothing_recorded()
    assert portal.shop.count(ReturnPhoto) == 0


def test_the_required_photo_message_is_in_the_shopper_s_language(portal):
    url, body = portal.choices(CUP, page=portal.start("de"))

    page = portal.client.post(url, data=body)

    assert problem(page.text) == ("Bitte fügen Sie ein Foto jedes beschädigten, defekten "
                                  "oder falschen Artikels hinzu.")


def test_an_item_returned_for_another_reason_needs_no_photo(portal):
    page = portal.confirm({"CUP-1": (1, "changed_mind")})

    [rma] = portal.returns()
    assert rma.status == "approved"
    assert photo_urls(page.text) == []


@pytest.mark.parametrize(("data", "message"), [
    (b"not a photo at all", "A file is not a photo we can read. Please add JPEG, PNG or "
                            "WebP photos."),
    (png() + b"\x00" * (9 * 1024 * 1024), "A photo is too large. Each photo may be up to "
                                          "8 MB."),
    (png_claiming(50_000, 50_000), "A photo has too many pixels. Please add a smaller "
                                   "photo."),
], ids=["text", "nine megabytes", "decompression bomb"])
def test_a_file_that_is_not_a_safe_photo_is_refused_readably(portal, data, message):
    page = portal.review(CUP, photos={"CUP-1": [data]})

    assert page.status_code == 422
    assert problem(page.text) == message
    assert portal.shop.count(ReturnPhoto) == 0


def test_a_fourth_photo_of_a_line_is_refused(portal):
    page = portal.review(CUP, photos={"CUP-1": [png(), png(), png(), png()]})

    assert page.status_code == 422
    assert problem(page.text) == "You can add up to 3 photos per item."
    assert portal.shop.count(ReturnPhoto) == 0


def test_photos_uploaded_once_are_kept_when_the_page_comes_back_with_a_problem(portal):
    page = portal.review(CUP, photos={"CUP-1": [png()]})
    [token] = pending_tokens(portal)
    cup = portal.line_ids()["CUP-1"]

    again = portal.client.post(action(page.text), data=fields(page.text) | {
        "resolution": "bogus"})

    assert again.status_code == 422
    assert f'<input type="hidden" name="photos_{cup}" value="{token}">' in again.text
    assert "Photos already added: 1" in again.text


def test_a_photo_token_changed_by_hand_records_nothing(portal):
    url, body = portal.confirm_form(CUP, photos={"CUP-1": [png()]})
    cup = portal.line_ids()["CUP-1"]

    page = portal.client.post(url, data=body | {f"photos_{cup}": "A" * 43})

    assert page.status_code == 422
    assert problem(page.text) == "Something in the form was not right. Please check your " \
                                 "choices."
    assert portal.returns() == []


def test_a_photo_of_another_line_cannot_be_moved_to_this_one(portal):
    portal.review({"TEA-1": (1, "damaged")}, photos={"TEA-1": [png()]})
    [tea_photo] = pending_tokens(portal)
    url, body = portal.confirm_form(CUP, photos={"CUP-1": [png()]})
    cup = portal.line_ids()["CUP-1"]

    page = portal.client.post(url, data=body | {f"photos_{cup}": tea_photo})

    assert page.status_code == 422
    assert portal.returns() == []
