"""The returns portal in a real browser on a phone and a desktop, JavaScript off (the pages need
none): the lookup, the items, the resolution, the confirmation and the status page
with the label's link and QR code, none wider than the screen. Screenshots land in
test-artifacts/."""

from __future__ import annotations

import pytest

from afterward.returns.models import Return
from tests.e2e.conftest import DESKTOP, PHONE, keep_screenshot
from tests.e2e.phone import problems_on
from tests.returns.conftest import make_shop

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_a_shopper_returns_a_mug_for_store_credit(
        live_server, new_page, artifacts, client, db, store, name, viewport):
    shop = make_shop(client, db, store)
    page = new_page(viewport=viewport, java_script_enabled=False)
    problems = []

    # given: the portal's lookup form
    page.goto(f"{live_server.url}/returns?store=acme")
    assert page.get_by_role("heading", level=1).inner_text() == "Return an item"

    # when: the shopper finds the order, picks the mug and a reason
    page.get_by_label("Order number").fill("1001")
    page.get_by_label("Email address or postal code").fill("ada@example.com")
    page.get_by_role("button", name="Find my order").click()
    page.wait_for_url(f"{live_server.url}/returns/o/*")
    problems += problems_on(page)
    keep_screenshot(page, artifacts / f"returns-items-{name}.png")
    mug = page.get_by_role("group", name="Mug")
    mug.get_by_label("How many to return").select_option("1")
    mug.get_by_label("Reason").select_option("too_small")
    mug.get_by_label("Tell us more (optional)").fill("Smaller than it looked")
    page.get_by_role("button", name="Continue").click()

    # and: chooses store credit, and reads the confirmation
    page.wait_for_url("**/review")
    problems += problems_on(page)
    page.get_by_label("Store credit").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/check")
    problems += problems_on(page)
    keep_screenshot(page, artifacts / f"returns-confirm-{name}.png")
    assert page.locator("dl.facts").inner_text().split("\n")[:6] == [
        "What you return is worth", "€12.00", "Bonus", "€1.20",
        "Store credit for you", "€13.20"]
    page.get_by_role("button", name="Confirm the return").click()

    # then: the status page, approved, with the label and its QR code
    page.wait_for_url(f"{live_server.url}/returns/r/*")
    problems += problems_on(page)
    keep_screenshot(page, artifacts / f"returns-status-{name}.png")
    assert page.get_by_role("heading", level=1).inner_text() == "Approved: please send it back"
    assert page.get_by_role("link", name="Print the return label (PDF)").is_visible()
    assert page.locator(".return-qr svg").is_visible()
    assert problems == []
    assert shop.count(Return, Return.resolution == "store_credit") == 1


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_a_shopper_sends_a_photo_of_a_damaged_mug_and_exchanges_it_for_a_teapot(
        live_server, new_page, artifacts, client, db, store, name, viewport):
    from tests.returns.test_photo_files import jpeg_with_gps

    shop = make_shop(client, db, store)
    page = new_page(viewport=viewport, java_script_enabled=False)
    problems = []
    page.goto(f"{live_server.url}/returns?store=acme")
    page.get_by_label("Order number").fill("1001")
    page.get_by_label("Email address or postal code").fill("ada@example.com")
    page.get_by_role("button", name="Find my order").click()
    page.wait_for_url(f"{live_server.url}/returns/o/*")

    # when: the mug arrived damaged; the shopper adds a photo taken with a phone (GPS in it)
    mug = page.get_by_role("group", name="Mug")
    mug.get_by_label("How many to return").select_option("1")
    mug.get_by_label("Reason").select_option("damaged")
    mug.get_by_label("Photos").set_input_files(files=[{
        "name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps((640, 480))}])
    keep_screenshot(page, artifacts / f"returns-photo-{name}.png")
    page.get_by_role("button", name="Continue").click()

    # and: searches the shop for a teapot and picks it, seeing the difference to pay
    page.wait_for_url("**/review")
    problems += problems_on(page)
    page.get_by_label("Search the shop for another product").fill("teapot")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/review#exchange")
    problems += problems_on(page)
    keep_screenshot(page, artifacts / f"returns-exchange-search-{name}.png")
    assert page.get_by_label("Exchange for another item").is_checked()
    page.get_by_label("Teapot (€25.00)").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/check")
    problems += problems_on(page)
    keep_screenshot(page, artifacts / f"returns-exchange-confirm-{name}.png")
    facts = page.locator("dl.facts").inner_text().split("\n")
    assert facts[:8] == ["What you return is worth", "€12.00", "Bonus", "€1.20",
                         "You receive", "1 \u00d7 Teapot", "You pay the difference", "€11.80"]
    page.get_by_role("button", name="Confirm the return").click()

    # then: the status page shows the photo, served clean
    page.wait_for_url(f"{live_server.url}/returns/r/*")
    problems += problems_on(page)
    keep_screenshot(page, artifacts / f"returns-exchange-status-{name}.png")
    photo = page.get_by_role("img", name="Photo 1 of Mug")
    assert photo.is_visible()
    served = page.request.get(live_server.url + str(photo.get_attribute("src")))
    assert (served.status, served.headers["content-type"]) == (200, "image/jpeg")
    assert b"Exif" not in served.body()
    assert problems == []
    assert shop.count(Return, Return.exchange_for_sku == "POT-1",
                      Return.difference_minor == 1180) == 1
