"""The shopper's chat reads what the team said after the hand-off: GET
/assistant/conversations/{id}/messages?after=N (and the embed's twin under
/embed/{store}/) gives the team's answers and the CSAT question on closing, never the
shopper's own messages or the answers their POSTs got, never a colleague's address;
an unknown or another store's conversation is not found; nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from afterward.assistant import embeds, inbox
from afterward.assistant.models import Conversation
from afterward.web.pages import assistant as widget_pages
from tests.assistant.conftest import Chat, counts
from tests.web import tracking_scenes as scenes

ANSWERED = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
CLOSING = ("Thank you for talking to us. How happy are you with the help you got, "
           "from 1 to 5?")
NOT_FOUND = {"error": {"code": "conversation_not_found", "message": "no such conversation",
                       "field": "conversation_id"}}
SHOP = "https://shop.brew.example"


def handed_off(chat: Chat) -> tuple[str, Conversation]:
    opened = chat.widget("I want to talk to a person", token=chat.token("delivered")).json()
    with chat.db.reading() as session:
        row = session.scalars(select(Conversation)).one()
    return opened["conversation_id"], row


def team_says(chat: Chat, row: Conversation, text: str, *, close: bool = False) -> int:
    with chat.db.transaction() as session:
        conversation = inbox.get(session, store_id=row.store_id, conversation_id=row.id)
        assert conversation is not None
        said = inbox.answer(session, conversation=conversation, text=text,
                            by="ann@example.com", now=ANSWERED)
        if close:
            inbox.close(session, conversation=conversation, by="ann@example.com",
                        now=ANSWERED)
        return said.id


def read(chat: Chat, public_id: str, after: int = 0):
    return chat.client.get(f"/assistant/conversations/{public_id}/messages?after={after}")


def test_the_teams_answer_and_the_closing_question_appear_after_the_cursor_once(chat):
    public_id, row = handed_off(chat)
    nothing_yet = read(chat, public_id)
    said_id = team_says(chat, row, "Your parcel is at the door.", close=True)

    first = read(chat, public_id)
    again = read(chat, public_id, first.json()["after"])

    assert nothing_yet.json() == {"conversation_id": public_id, "status": "open",
                                  "after": 0, "messages": []}
    body = first.json()
    assert (first.status_code, body["status"], body["conversation_id"]) == (
        200, "closed", public_id)
    assert [(m["from"], m["text"], m["at"]) for m in body["messages"]] == [
        ("team", "Your parcel is at the door.", "2026-03-05T09:30:00Z"),
        ("assistant", CLOSING, "2026-03-05T09:30:00Z")]
    assert body["messages"][0]["id"] == said_id
    assert body["after"] == body["messages"][1]["id"] > said_id
    assert "ann@example.com" not in first.text
    assert first.headers["cache-control"] == "no-store"
    assert again.json() == {"conversation_id": public_id, "status": "closed",
                            "after": body["after"], "messages": []}


def test_the_shoppers_score_is_taken_by_the_normal_message_and_not_shown_again(chat):
    public_id, row = handed_off(chat)
    team_says(chat, row, "Sorted.", close=True)
    cursor = read(chat, public_id).json()["after"]

    scored = chat.widget("4", conversation_id=public_id).json()
    later = read(chat, public_id, cursor).json()

    assert scored["reply"] == "Thank you for your answer."
    assert later["messages"] == []
    with chat.db.reading() as session:
        assert session.scalar(select(Conversation.csat_score)) == 4


def test_reading_writes_nothing_to_the_conversation(chat):
    public_id, row = handed_off(chat)
    team_says(chat, row, "On its way.")
    before = counts(chat.db)
    with chat.db.reading() as session:
        updated = session.scalar(select(Conversation.updated_at))

    answers = [read(chat, public_id).status_code for _ in range(3)]

    assert answers == [200, 200, 200]
    assert counts(chat.db) == before
    with chat.db.reading() as session:
        assert session.scalar(select(Conversation.updated_at)) == updated


def test_an_unknown_conversation_is_not_found_like_the_message_endpoint_says(chat):
    public_id, _row = handed_off(chat)
    api_opened = chat.api("I want to talk to a person").json()["conversation_id"]
    posted = chat.widget("hi", conversation_id="x" * 32)

    guessed = read(chat, "x" * 32)
    overlong = read(chat, public_id + "x" * 40)
    integrations = read(chat, api_opened)

    assert (posted.status_code, posted.json()) == (404, NOT_FOUND)
    assert [(r.status_code, r.json()) for r in (guessed, overlong, integrations)] == [
        (404, NOT_FOUND)] * 3


@pytest.mark.parametrize("after", ["-1", "x", str(2**63)])
def test_a_cursor_that_is_not_a_message_id_is_refused(chat, after):
    public_id, _row = handed_off(chat)

    answer = chat.client.get(f"/assistant/conversations/{public_id}/messages?after={after}")

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "after"


def test_reading_too_often_from_one_address_is_answered_429(chat, monkeypatch):
    public_id, _row = handed_off(chat)
    monkeypatch.setattr(widget_pages, "POLLS_PER_MINUTE", 2)

    answers = [read(chat, public_id) for _ in range(3)]
    message = chat.widget("where is my order?", conversation_id=public_id)

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["retry-after"] == "60"
    assert answers[2].json()["error"]["code"] == "rate_limited"
    assert message.status_code == 200  # the chat's own messages have their own count


def test_the_embed_reads_its_stores_conversation_for_a_listed_site(chat, make_store):
    with chat.db.transaction() as session:
        embeds.set_origins(session, store_id=chat.scene.store_id, values=[SHOP])
    opened = chat.client.post(f"/embed/{scenes.SLUG}/messages", headers={"Origin": SHOP},
                              json={"text": "I want to talk to a person"}).json()
    with chat.db.reading() as session:
        row = session.scalars(select(Conversation)).one()
    team_says(chat, row, "We are on it.")
    other = make_store("elsewhere")
    with chat.db.transaction() as session:
        embeds.set_origins(session, store_id=other.id, values=[SHOP])
    before = counts(chat.db)
    path = f"/conversations/{opened['conversation_id']}/messages?after=0"

    ours = chat.client.get(f"/embed/{scenes.SLUG}{path}", headers={"Origin": SHOP})
    theirs = chat.client.get(f"/embed/elsewhere{path}", headers={"Origin": SHOP})
    elsewhere = chat.client.get(f"/embed/{scenes.SLUG}{path}",
                                headers={"Origin": "https://evil.example"})
    bad_cursor = chat.client.get(f"/embed/{scenes.SLUG}{path}x", headers={"Origin": SHOP})

    assert ours.status_code == 200
    assert ours.headers["access-control-allow-origin"] == SHOP
    assert ours.headers["cache-control"] == "no-store"
    assert [(m["from"], m["text"]) for m in ours.json()["messages"]] == [
        ("team", "We are on it.")]
    assert (theirs.status_code, theirs.json()) == (404, NOT_FOUND)
    assert theirs.headers["access-control-allow-origin"] == SHOP
    assert (elsewhere.status_code, elsewhere.json()["error"]["code"]) == (
        403, "origin_not_allowed")
    assert "access-control-allow-origin" not in elsewhere.headers
    assert (bad_cursor.status_code, bad_cursor.json()["error"]["field"]) == (422, "after")
    assert counts(chat.db) == before


def test_the_chat_labels_the_team_in_the_pages_language(chat):
    page = chat.client.get(f"/t/{chat.token('delivered')}?lang=fr")
    script = chat.client.get(f"/embed/{scenes.SLUG}/assistant.js").text

    assert 'data-team="Équipe d&#39;assistance"' in page.text
    assert '"team":"Support-Team"' in script
