"""The assistant's chat on the tracking page in a real browser, on a phone and a
desktop, by keyboard: ask where the parcel is and read its real status and last scan,
start a return from the chat by confirming it, ask for a person, and read the team's
answer in the open chat (the widget asks for it when the tab gets the focus back)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from afterward.assistant import inbox
from afterward.assistant.models import Conversation
from afterward.commerce import stores
from afterward.storage.types import utcnow
from tests.e2e.conftest import DESKTOP, PHONE
from tests.web import tracking_scenes

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_shopper_asks_starts_a_return_and_hands_over_in_the_chat(
        live_server, new_page, db, viewport):
    scene = tracking_scenes.build(db)
    with db.transaction() as session:
        store = stores.get_by_slug(session, tracking_scenes.SLUG)
        assert store is not None
        key = stores.issue_api_key(session, store=store)
    assert httpx.put(live_server.url + "/api/v1/returns/policy", json={"window_days": 3650},
                     headers={"Authorization": f"Bearer {key}"}).status_code == 200
    page = new_page(viewport=viewport)
    page.goto(f"{live_server.url}/t/{scene.tokens['delivered']}")
    log = page.locator("#assistant-log")

    page.get_by_label("Your question").fill("where is my order?")
    page.keyboard.press("Enter")
    page.locator("#assistant-log .assistant-bot").first.wait_for()
    page.get_by_label("Your question").fill("I want to return it")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Yes, start the return").click()
    page.locator("#assistant-log .assistant-bot").nth(2).wait_for()
    page.get_by_label("Your question").fill("I want to talk to a person")
    page.keyboard.press("Enter")
    page.locator("#assistant-log .assistant-bot").nth(3).wait_for()

    said = log.locator(".assistant-bot > p").all_inner_texts()
    assert said[0] == ("Your parcel for order 1001 is delivered. Last scan: Delivered, "
                       "Berlin, DE, Mar 4, 2026, 14:05. It was delivered on March 4, 2026.")
    assert said[2].startswith("Your return R") and said[2].endswith(
        "is approved. The return page has the next steps.")
    assert said[3] == ("I have passed this conversation to a person on our team. They "
                       "will answer here and by email.")
    assert log.get_attribute("aria-live") == "polite"
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    with db.transaction() as session:
        handed = session.scalars(select(Conversation)).one()
        inbox.answer(session, conversation=handed, text="<b>Ann</b>: it is at your door.",
                     by="ann@example.com", now=utcnow())
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    team = log.locator(".assistant-agent")
    team.wait_for()
    assert team.locator("p").all_inner_texts() == ["Support team",
                                                   "<b>Ann</b>: it is at your door."]
    assert "ann@example.com" not in log.inner_text()
