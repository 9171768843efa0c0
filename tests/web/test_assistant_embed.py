"""The assistant's chat on the store's own site (/embed/{store}/assistant.js and
/embed/{store}/messages, cross-origin for the store's listed sites only) and on the
returns portal (bound to the portal's order)."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from afterward.assistant import embeds
from afterward.assistant.models import Conversation, ConversationMessage
from afterward.throttle import ThrottleHit
from afterward.web.pages import returns_links
from tests.web import tracking_scenes as scenes

SHOP = "https://shop.brew.example"
ELSEWHERE = "https://evil.example"
WHERE = ("Your parcel for order 1001 is delivered. Last scan: Delivered, Berlin, DE, "
         "Mar 4, 2026, 14:05. It was delivered on March 4, 2026.")
ASK_ORDER = ("I can look that up. Please give me your order number and the email address "
             "(or postal code) you ordered with.")
NOT_FOUND = ("I couldn't find an order with those details. Please check the order number "
             "and the email address or postal code.")


@pytest.fixture
def shop(db) -> scenes.Scene:
    scene = scenes.build(db)
    with db.transaction() as session:
        embeds.set_origins(session, store_id=scene.store_id, values=[SHOP + "/"])
    return scene


def written(db) -> dict[str, int]:
    with db.reading() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                or 0 for model in (Conversation, ConversationMessage, ThrottleHit)}


def post(client, text: str, origin: str | None = SHOP, **fields):
    headers = {"Origin": origin} if origin else {}
    return client.post(f"/embed/{scenes.SLUG}/messages", json={"text": text, **fields},
                       headers=headers)


def test_the_embed_script_is_javascript_with_the_stores_words_cached_five_minutes(
        client, shop):
    answer = client.get(f"/embed/{scenes.SLUG}/assistant.js")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
    assert answer.headers["cache-control"] == "public, max-age=300"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cross-origin-resource-policy"] == "cross-origin"
    assert answer.headers.get("set-cookie") is None
    script = answer.text
    assert script.startswith("(function () {\n// What the assistant's two chats share")
    assert "// The assistant's chat on a store's own site" in script
    wrapped = re.fullmatch(r"(?s)\(function \(\) \{\n(.*)\}\)\((\{.*\})\);\n\}\)\(\);\n",
                           script)
    assert wrapped is not None  # the shared part and the embed in one scope: no global
    config = json.loads(wrapped[2])
    assert {k: config[k] for k in ("store", "locale", "primary", "on_primary",
                                   "origins")} == {
        "store": "brew", "locale": "en", "primary": "#f4b400", "on_primary": "#000000",
        "origins": [SHOP]}
    assert config["words"]["en"] == {
        "title": "Ask our assistant", "open": "Questions about your order? Ask us",
        "close": "Close the chat", "question": "Your question", "send": "Send",
        "failed": "Sorry, that did not work. Please try again.",
        "hello": "Hello! Ask me about your order: where it is, returns or refunds.",
        "new_tab": "(opens in a new tab)", "team": "Support team"}
    assert [config["words"][code]["close"] for code in ("de", "fr", "pt_BR")] == [
        "Chat schließen", "Fermer la discussion", "Fechar o chat"]
    assert re.findall(r"https?://", wrapped[1]) == []  # loads nothing
    assert "/*CONFIG*/" not in script


def test_an_unknown_store_has_no_embed_script_and_no_messages(client, shop):
    script = client.get("/embed/nope/assistant.js")
    preflight = client.options("/embed/nope/messages", headers={
        "Origin": SHOP, "Access-Control-Request-Method": "POST"})

    assert script.status_code == 404
    assert script.json() == {"error": {"code": "not_found", "message": "no such store",
                                       "field": "store"}}
    assert preflight.status_code == 404
    message = client.post("/embed/nope/messages", json={"text": "hi"},
                          headers={"Origin": SHOP})
    assert (message.status_code, message.json()) == (404, {"error": {
        "code": "not_found", "message": "no such store", "field": "store"}})


def test_the_preflight_allows_the_stores_site_and_refuses_another(client, shop):
    asked = {"Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "content-type"}
    allowed = client.options(f"/embed/{scenes.SLUG}/messages", headers={"Origin": SHOP,
                                                                          **asked})
    refused = client.options(f"/embed/{scenes.SLUG}/messages", headers={"Origin": ELSEWHERE,
                                                                          **asked})

    assert allowed.status_code == 204
    assert {k: v for k, v in allowed.headers.items() if k.startswith("access-control")} == {
        "access-control-allow-origin": SHOP, "access-control-allow-methods": "POST",
        "access-control-allow-headers": "Content-Type", "access-control-max-age": "600"}
    assert allowed.headers["vary"] == "Origin"
    assert "access-control-allow-credentials" not in allowed.headers
    assert refused.status_code == 403
    assert refused.json() == {"error": {"code": "origin_not_allowed", "message":
                                        "this site may not embed the store's chat",
                                        "field": "origin"}}
    assert "access-control-allow-origin" not in refused.headers


def test_a_message_from_another_site_is_refused_and_nothing_is_written(client, db, shop):
    before = written(db)

    answer = post(client, "where is my order 1001 ada@example.com", origin=ELSEWHERE)

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in answer.headers
    assert written(db) == before


def test_an_embedded_conversation_sees_no_order_until_the_two_facts(client, db, shop):
    asked = post(client, "where is my order?", locale="en")
    conversation = asked.json()["conversation_id"]
    wrong = post(client, "1001 eve@example.com", conversation_id=conversation, locale="en")
    right = post(client, "1001 ada@example.com", conversation_id=conversation, locale="en")

    assert asked.status_code == 200
    assert asked.headers["access-control-allow-origin"] == SHOP
    assert asked.headers["vary"] == "Origin"
    assert (asked.json()["intent"], asked.json()["reply"]) == ("where_is_my_order", ASK_ORDER)
    assert (wrong.json()["intent"], wrong.json()["reply"]) == ("where_is_my_order", NOT_FOUND)
    assert (right.json()["intent"], right.json()["reply"]) == ("where_is_my_order", WHERE)
    with db.reading() as session:
        stored = session.scalar(select(Conversation))
        assert stored is not None
        assert (stored.channel, stored.order_id) == ("widget", shop.orders["delivered"])


def test_the_embed_takes_no_tracking_token_and_says_errors_to_the_stores_site(
        client, db, shop):
    before = written(db)

    token = post(client, "where is my order", token=shop.tokens["delivered"])
    empty = post(client, "   ")
    broken = client.post(f"/embed/{scenes.SLUG}/messages", content=b"{not json",
                         headers={"Origin": SHOP, "Content-Type": "application/json"})

    assert (token.status_code, token.json()["error"]["field"]) == (422, "token")
    assert token.headers["access-control-allow-origin"] == SHOP
    assert (empty.status_code, empty.json()["error"]["code"]) == (422, "invalid")
    assert empty.headers["access-control-allow-origin"] == SHOP
    assert (broken.status_code, broken.json()["error"]["code"]) == (400, "malformed_json")
    assert written(db) == {**before, "throttle_hits": 1}  # the empty message was counted


def test_the_returns_portal_has_the_chat_bound_to_its_order(client, db, shop, settings):
    order_id = shop.orders["delivered"]
    token = returns_links.signed_order(settings.secret_key, shop.store_id, order_id)

    page = client.get(f"/returns/o/{token}")
    bound = re.search(r'id="assistant"[^>]* data-order="([^"]+)"', page.text)
    assert bound is not None
    asked = client.post("/assistant/messages", json={
        "text": "where is my order?", "order_token": bound.group(1), "locale": "en"})

    assert page.status_code == 200
    assert "script-src 'self'; connect-src 'self'; style-src" in \
        page.headers["content-security-policy"]
    assert '<script src="/static/assistant-chat.js" defer></script>' in page.text
    assert '<script src="/static/assistant-widget.js" defer></script>' in page.text
    assert (asked.status_code, asked.json()["reply"]) == (200, WHERE)


def test_the_portals_chat_never_reaches_another_order(client, db, shop, settings):
    secret = settings.secret_key
    mine = returns_links.signed_order(secret, shop.store_id, shop.orders["delivered"])
    other = returns_links.signed_order(secret, shop.store_id, shop.orders["in_transit"])
    opened = client.post("/assistant/messages", json={"text": "where is my order?",
                                                      "order_token": other}).json()
    before = written(db)

    crossed = client.post("/assistant/messages", json={
        "text": "where is my order?", "order_token": mine,
        "conversation_id": opened["conversation_id"]})
    forged = client.post("/assistant/messages", json={
        "text": "where is my order?", "order_token": mine[:-2] + "xx"})
    facts = client.post("/assistant/messages", json={
        "text": "where is order 1002 ada@example.com?", "order_token": mine, "locale": "en"})

    assert (crossed.status_code, crossed.json()["error"]["code"]) == (
        404, "conversation_not_found")
    assert (forged.status_code, forged.json()["error"]["field"]) == (404, "order_token")
    assert facts.json()["reply"] == WHERE  # the portal's order, whatever the text names
    assert written(db)["conversations"] == before["conversations"] + 1
