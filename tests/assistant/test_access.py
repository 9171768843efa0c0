"""Who may see what: a conversation sees the order of the parcel it was opened from, or
one found by two facts; wrong facts and unknown orders get the same answer; a guessed
token or another conversation's id finds nothing; bad input is refused and writes
nothing; a flood from one address is answered 429."""

from __future__ import annotations

from sqlalchemy import select

from afterward.assistant.models import ConversationMessage
from tests.assistant.conftest import counts

NOT_FOUND = ("I couldn't find an order with those details. Please check the order number "
             "and the email address or postal code.")


def test_wrong_facts_and_an_unknown_order_get_the_same_answer(chat):
    wrong_email = chat.widget("where is my order?", order_number="1001",
                              email="eve@example.com")
    wrong_postal = chat.widget("where is my order?", order_number="1001", postal_code="99999")
    unknown = chat.widget("where is my order?", order_number="9999", email="ada@example.com")

    answers = [a.json() for a in (wrong_email, wrong_postal, unknown)]
    assert {a["reply"] for a in answers} == {NOT_FOUND}
    assert [a.status_code for a in (wrong_email, wrong_postal, unknown)] == [200, 200, 200]
    assert {a["intent"] for a in answers} == {"where_is_my_order"}
    assert all(a["actions"] == [] for a in answers)


def test_two_facts_written_in_the_message_find_the_order(chat):
    answer = chat.widget("where is my order 1001? my email is ada@example.com")

    assert answer.json()["reply"].startswith("Your parcel for order 1001 is delivered.")


def test_without_an_order_it_asks_for_the_two_facts(chat):
    answer = chat.widget("where is my order?")

    assert answer.json()["reply"] == (
        "I can look that up. Please give me your order number and the email address (or "
        "postal code) you ordered with.")


def test_a_conversation_opened_from_a_parcel_sees_only_that_order(chat):
    first = chat.widget("where is my order?", token=chat.token("delivered")).json()

    other = chat.widget("where is my order 1002? ada@example.com",
                        conversation_id=first["conversation_id"])

    assert other.json()["reply"].startswith("Your parcel for order 1001 is delivered.")


def test_another_parcels_token_cannot_continue_the_conversation(chat):
    first = chat.widget("where is my order?", token=chat.token("delivered")).json()
    before = counts(chat.db)

    answer = chat.widget("where is my order?", token=chat.token("in_transit"),
                         conversation_id=first["conversation_id"])

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "conversation_not_found"
    assert counts(chat.db) == before


def test_a_guessed_token_or_conversation_finds_nothing_and_writes_nothing(chat):
    before = counts(chat.db)

    guessed = chat.widget("where is my order?", token="A" * 43)
    made_up = chat.widget("where is my order?", conversation_id="not-a-conversation",
                          store="brew")

    assert (guessed.status_code, made_up.status_code) == (404, 404)
    assert counts(chat.db) == before


def test_the_api_cannot_continue_a_widget_conversation(chat):
    first = chat.widget("where is my order?", token=chat.token("delivered")).json()

    answer = chat.api("where is my order?", conversation_id=first["conversation_id"])

    assert answer.status_code == 404


def test_an_empty_or_too_long_message_is_refused_and_nothing_is_written(chat):
    before = counts(chat.db)

    empty = chat.api("   ")
    long = chat.api("x" * 4001)
    widget_long = chat.widget("x" * 4001, token=chat.token("delivered"))

    assert [empty.status_code, long.status_code, widget_long.status_code] == [422, 422, 422]
    assert empty.json()["error"]["field"] == "text"
    assert long.json()["error"]["field"] == "text"
    assert counts(chat.db) == before


def test_html_is_stored_as_written_and_escaped_in_the_admin(chat, admin_client):
    answer = chat.widget("<script>alert(1)</script> I want to talk to a person",
                         token=chat.token("delivered"))
    assert answer.json()["handoff"] is True
    with chat.db.reading() as session:
        said = session.scalar(select(ConversationMessage.text).where(
            ConversationMessage.author == "shopper"))
        conversation_id = session.scalar(select(ConversationMessage.conversation_id))
    assert said == "<script>alert(1)</script> I want to talk to a person"

    page = admin_client.get(f"/admin/conversations/{conversation_id}")

    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; I want to talk to a person" in page.text


def test_a_flood_of_messages_from_one_address_is_answered_429(chat):
    statuses = [chat.widget("where is my order?", token=chat.token("delivered")).status_code
                for _ in range(61)]

    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429
    assert counts(chat.db)["conversations"] == 60


def test_an_integration_relaying_many_shoppers_from_one_address_is_not_held_to_a_shopper_s_limit(
        chat, monkeypatch):
    from afterward.api import assistant as api

    monkeypatch.setattr(api, "API_MESSAGES_PER_MINUTE", 70)
    statuses = [chat.api("where is my order?", order_number="1001",
                         email="ada@example.com").status_code for _ in range(71)]

    assert statuses[:70] == [200] * 70
    assert statuses[70] == 429


def test_order_lookups_are_counted_like_the_tracking_lookup(chat):
    statuses = [chat.widget("where is my order?", order_number="9999",
                            email="ada@example.com").status_code for _ in range(11)]

    assert statuses == [200] * 10 + [429]


def test_the_tracking_page_carries_the_chat_with_its_parcels_token(chat):
    page = chat.client.get(f"/t/{chat.token('delivered')}?lang=de")

    assert page.status_code == 200
    assert f'data-token="{chat.token("delivered")}" data-lang="de"' in page.text
    assert '<ol class="assistant-log" id="assistant-log" aria-live="polite"></ol>' in page.text
    assert '<label for="assistant-input">Ihre Frage</label>' in page.text
    assert ('<script src="/static/assistant-chat.js" defer></script>\n'
            '  <script src="/static/assistant-widget.js" defer></script>') in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'; connect-src 'self'; style-src 'self'" in policy
    assert "default-src 'none'" in policy
    script = chat.client.get("/static/assistant-widget.js")
    shared = chat.client.get("/static/assistant-chat.js")
    assert (script.status_code, shared.status_code) == (200, 200)
    assert "textContent = text" in script.text
    assert "innerHTML" not in script.text + shared.text
