"""The assistant's chat embedded on a store's own site, in a real browser on a phone: a
plain HTML page served from another origin on loopback (with CSS that would wreck an
unscoped widget) carries the one script tag; by keyboard the shopper opens the chat,
asks where the order is, gives its number and email, reads the parcel's real status,
closes it with Escape, and on the next page load goes on with the same conversation.
Nothing is requested from anywhere but the two origins."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from afterward.assistant import embeds
from tests.e2e.conftest import PHONE, free_port
from tests.web import tracking_scenes

pytestmark = pytest.mark.e2e

WHERE = ("Your parcel for order 1001 is delivered. Last scan: Delivered, Berlin, DE, "
         "Mar 4, 2026, 14:05. It was delivered on March 4, 2026.")
SHOP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Brew shop</title>
<style>
  body { font: 40px/1 serif; color: #f0f; }
  button { background: #f00 !important; font-size: 60px !important; width: 900px; }
  li, p, input { display: none !important; }
  ol { list-style: decimal; }
</style></head>
<body><h1>Brew shop</h1><p>Our beans.</p>
<script src="{afterward}/embed/brew/assistant.js" async></script>
</body></html>"""


@pytest.fixture
def store_site(live_server) -> Iterator[str]:
    """The store's own site: one static page, on another port (another origin)."""
    page = SHOP_PAGE.replace("{afterward}", live_server.url).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, name="store-site", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_shopper_finds_the_order_in_the_chat_embedded_on_the_stores_site(
        live_server, store_site, new_page, db):
    scene = tracking_scenes.build(db)
    with db.transaction() as session:
        embeds.set_origins(session, store_id=scene.store_id, values=[store_site])
    page = new_page(viewport=PHONE)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(store_site + "/")
    launch = page.get_by_role("button", name="Questions about your order? Ask us")
    launch.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Ask our assistant")
    question = dialog.get_by_label("Your question")

    assert launch.get_attribute("aria-expanded") == "true"
    assert question.evaluate("el => el.getRootNode().activeElement === el")
    page.keyboard.type("where is my order?")
    page.keyboard.press("Enter")
    dialog.locator(".bot").nth(1).wait_for()
    page.keyboard.type("1001 ada@example.com")
    page.keyboard.press("Enter")
    dialog.locator(".bot").nth(2).wait_for()
    said = dialog.locator(".bot > p").all_inner_texts()
    width = dialog.evaluate("el => el.getBoundingClientRect().width")
    font = question.evaluate("el => getComputedStyle(el).fontSize")
    live = dialog.locator(".log").get_attribute("aria-live")
    page.keyboard.press("Escape")

    assert said == ["Hello! Ask me about your order: where it is, returns or refunds.",
                    "I can look that up. Please give me your order number and the email "
                    "address (or postal code) you ordered with.", WHERE]
    assert live == "polite"
    assert width == PHONE["width"]  # the whole width of the phone
    assert font == "16px"  # the store's CSS did not reach in
    assert page.locator("#aw-panel").is_hidden()
    assert launch.get_attribute("aria-expanded") == "false"
    assert launch.evaluate("el => el.getRootNode().activeElement === el")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.reload()  # another page of the store: the conversation goes on
    launch.click()
    page.keyboard.type("when will it arrive?")
    page.keyboard.press("Enter")
    dialog.locator(".bot").nth(3).wait_for()
    assert dialog.locator(".log > li > p").all_inner_texts()[-3:] == [
        WHERE, "when will it arrive?",
        "Your parcel for order 1001 is delivered. It was delivered on March 4, 2026."]
    assert sorted({url.split("/")[2] for url in requested}) == sorted(
        {store_site.split("/")[2], live_server.url.split("/")[2]})
