"""The shopper's tracking pages in a real browser: through the lookup form to a
delivered parcel, then an in-transit and a held-at-customs one, on a phone and a
desktop, keyboard only where it matters, with JavaScript switched off (the pages
need none). Screenshots land in test-artifacts/."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, keep_screenshot
from tests.web import tracking_scenes

pytestmark = pytest.mark.e2e

VIEWPORTS = [("phone", PHONE), ("desktop", DESKTOP)]


@pytest.fixture
def scene(db):
    return tracking_scenes.build(db)


def focus_path(page, limit: int = 80) -> list[str]:
    """The accessible text of each element Tab reaches, in order, from the top."""
    seen = []
    page.locator("body").focus()
    for _ in range(limit):
        page.keyboard.press("Tab")
        text = page.evaluate("(document.activeElement.innerText || document.activeElement"
                             ".getAttribute('aria-label') || '').trim()")
        if seen and text == seen[0]:
            break
        seen.append(text)
    return seen


@pytest.mark.parametrize(("name", "viewport"), VIEWPORTS)
def test_a_shopper_finds_their_order_and_reads_each_kind_of_parcel(
        live_server, new_page, artifacts, scene, name, viewport):
    page = new_page(viewport=viewport, java_script_enabled=False)

    # given: the lookup form, with nothing filled in yet
    page.goto(f"{live_server.url}/track")
    assert page.get_by_role("heading", level=1).inner_text() == "Track your order"
    keep_screenshot(page, artifacts / f"track-lookup-{name}.png")

    # when: the shopper types the order number and email and submits with the keyboard
    page.get_by_label("Order number").fill("#1001")
    page.get_by_label("Email address or postal code").fill("Ada@Example.com")
    page.keyboard.press("Enter")

    # then: the delivered parcel's page, with every part a shopper looks for
    page.wait_for_url(f"{live_server.url}/t/{scene.tokens['delivered']}")
    assert page.locator("#status-heading").inner_text().strip().endswith("Delivered")
    assert page.locator(".progress .step.done").count() == 5
    timeline = page.locator(".timeline li")
    assert timeline.count() == 4
    assert timeline.first.locator(".event-title").inner_text() == "Delivered"
    assert page.get_by_role("heading", name="Goes with what you bought").is_visible()
    assert page.get_by_role("link", name="Start a return").is_visible()
    keep_screenshot(page, artifacts / f"track-delivered-{name}.png")

    # and: the in-transit and the held-at-customs parcels
    page.goto(f"{live_server.url}/t/{scene.tokens['in_transit']}")
    assert page.locator("#status-heading").inner_text().strip() == "In transit"
    assert page.locator(".progress [aria-current=step] .step-label").inner_text() == \
        "In transit"
    keep_screenshot(page, artifacts / f"track-in-transit-{name}.png")

    page.goto(f"{live_server.url}/t/{scene.tokens['exception']}")
    assert page.locator("#status-heading").inner_text().strip().endswith("Held at customs")
    assert page.locator(".status.is-problem").count() == 1
    keep_screenshot(page, artifacts / f"track-exception-{name}.png")


@pytest.mark.parametrize(("name", "viewport"), VIEWPORTS)
def test_every_link_on_the_tracking_page_is_reachable_by_keyboard_with_a_visible_focus(
        live_server, new_page, scene, name, viewport):
    page = new_page(viewport=viewport)
    page.goto(f"{live_server.url}/t/{scene.tokens['parcel_a']}")

    reached = focus_path(page)

    assert reached[0] == "Skip to content"
    for wanted in ("Deutsch", "Français", "Português (Brasil)",
                   "Track on the DHL Express website", "Start a return", "Contact support"):
        assert wanted in reached, f"{wanted!r} is not reachable with Tab: {reached}"
    assert any(text.startswith("Parcel 2") for text in reached)
    page.get_by_role("link", name="Start a return").focus()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineWidth") == "3px"


def test_the_language_switcher_and_the_parcel_tabs_work_without_javascript(
        live_server, new_page, artifacts, scene):
    page = new_page(viewport=PHONE, java_script_enabled=False)
    page.goto(f"{live_server.url}/t/{scene.tokens['exception']}")

    page.get_by_role("link", name="Deutsch").click()
    page.wait_for_url("**lang=de**")  # the click navigates; a busy machine read too soon

    assert page.evaluate("document.documentElement.lang") == "de"
    assert page.locator("#status-heading").inner_text().strip().endswith(
        "Beim Zoll festgehalten")
    keep_screenshot(page, artifacts / "track-exception-phone-de.png")

    # and: the other parcel of a split order, through its tab, in the chosen language
    page.goto(f"{live_server.url}/t/{scene.tokens['parcel_a']}?lang=pt_BR")
    page.get_by_role("link", name="Pacote 2").click()
    page.wait_for_url(f"**/t/{scene.tokens['parcel_b']}**")
    assert page.url.endswith(f"/t/{scene.tokens['parcel_b']}?lang=pt_BR")
    assert page.locator("#status-heading").inner_text().strip() == "Em trânsito"
    keep_screenshot(page, artifacts / "track-second-parcel-phone-pt_BR.png")


def test_a_wrong_email_in_the_form_shows_the_same_message_as_a_wrong_number(
        live_server, new_page, scene):
    page = new_page(viewport=PHONE, java_script_enabled=False)
    messages = []
    for number, email in (("1001", "someone@example.com"), ("9999", "ada@example.com")):
        page.goto(f"{live_server.url}/track")
        page.get_by_label("Order number").fill(number)
        page.get_by_label("Email address or postal code").fill(email)
        page.get_by_role("button", name="Find my order").click()
        messages.append(page.get_by_role("alert").inner_text())

    assert messages[0] == messages[1]
    assert "We could not find that order" in messages[0]
