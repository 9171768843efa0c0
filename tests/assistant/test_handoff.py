"""Hand-off: asking for a person, a complaint or two answers in a row it could not give
open the conversation for the team, record `conversation.opened`, queue the signed
webhook, and list it in GET /api/v1/conversations?status=open with its transcript.
The admin inbox takes it, answers (stored and emailed through an event) and closes it;
the shopper's next message may be their CSAT score."""

from __future__ import annotations

from sqlalchemy import select

from afterward.assistant.models import Conversation
from afterward.events import Event
from afterward.jobs import Job
from tests.assistant.conftest import counts
from tests.web.helpers import csrf_of

HANDED = ("I have passed this conversation to a person on our team. They will answer here "
          "and by email.")


def test_asking_for_a_person_opens_the_conversation_and_queues_the_webhook(chat):
    answer = chat.widget("I want to talk to a person", token=chat.token("delivered"))

    assert answer.json()["intent"] == "talk_to_person"
    assert answer.json()["reply"] == HANDED
    assert answer.json()["handoff"] is True
    with chat.db.reading() as session:
        conversation = session.scalars(select(Conversation)).one()
        job = session.scalars(select(Job).where(Job.kind == "webhooks.publish")).one()
    assert (conversation.status, conversation.handoff_reason) == ("open", "talk_to_person")
    assert job.payload["event_type"] == "conversation.opened"
    assert job.payload["data"]["conversation_id"] == answer.json()["conversation_id"]
    assert job.payload["data"]["order_number"] == "1001"
    assert [m["author"] for m in job.payload["data"]["messages"]] == ["shopper", "bot"]
    assert counts(chat.db)["conversation.opened"] == 1


def test_two_answers_in_a_row_it_could_not_give_hand_over(chat):
    first = chat.widget("what is the meaning of life", token=chat.token("delivered")).json()

    second = chat.widget("and the weather", conversation_id=first["conversation_id"]).json()

    assert first["handoff"] is False
    assert (second["intent"], second["reply"], second["handoff"]) == ("other", HANDED, True)
    with chat.db.reading() as session:
        assert session.scalar(select(Conversation.handoff_reason)) == "repeated_other"


def test_an_answered_question_between_two_others_does_not_hand_over(chat):
    first = chat.widget("what is the meaning of life", token=chat.token("delivered")).json()
    cid = first["conversation_id"]
    chat.widget("where is my order?", conversation_id=cid)

    third = chat.widget("and the weather", conversation_id=cid).json()

    assert third["handoff"] is False


def test_open_conversations_are_listed_with_their_transcript(chat):
    chat.widget("where is my order?", token=chat.token("in_transit"))
    opened = chat.widget("I have a complaint", token=chat.token("delivered")).json()

    listed = chat.client.get("/api/v1/conversations?status=open", headers=chat.auth)

    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [(c["id"], c["status"], c["reason"], c["order_number"]) for c in items] == [
        (opened["conversation_id"], "open", "complaint", "1001")]
    assert [(m["author"], m["text"]) for m in items[0]["messages"]] == [
        ("shopper", "I have a complaint"), ("bot", HANDED)]


def test_another_stores_key_sees_none_of_the_conversations(chat, make_store):
    chat.widget("I have a complaint", token=chat.token("delivered"))
    other = make_store("elsewhere")

    listed = chat.client.get("/api/v1/conversations?status=open", headers=other.auth)

    assert listed.json() == {"items": []}


def test_a_bad_status_filter_is_refused(chat):
    answer = chat.client.get("/api/v1/conversations?status=lost", headers=chat.auth)

    assert answer.status_code == 422


def test_the_team_takes_answers_and_closes_a_conversation_and_the_shopper_scores_it(
        chat, admin_client):
    opened = chat.widget("I want to talk to a person", token=chat.token("delivered")).json()
    with chat.db.reading() as session:
        conversation_id = session.scalar(select(Conversation.id))
    inbox = admin_client.get("/admin/conversations?status=open")
    assert inbox.status_code == 200
    assert f'href="/admin/conversations/{conversation_id}"' in inbox.text
    page = admin_client.get(f"/admin/conversations/{conversation_id}")
    csrf = csrf_of(page.text)
    assert ">1001</a>" in page.text

    assigned = admin_client.post(f"/admin/conversations/{conversation_id}/assign",
                                 data={"csrf": csrf}, follow_redirects=False)
    replied = admin_client.post(f"/admin/conversations/{conversation_id}/reply",
                                data={"csrf": csrf, "text": "Your parcel is at the door."},
                                follow_redirects=False)
    closed = admin_client.post(f"/admin/conversations/{conversation_id}/close",
                               data={"csrf": csrf}, follow_redirects=False)
    scored = chat.widget("5", conversation_id=opened["conversation_id"]).json()

    assert [assigned.status_code, replied.status_code, closed.status_code] == [303, 303, 303]
    with chat.db.reading() as session:
        row = session.scalars(select(Conversation)).one()
        replied_event = session.scalars(select(Event).where(
            Event.name == "conversation.replied")).one()
    assert (row.status, row.assignee, row.csat_score) == ("closed", "ann@example.com", 5)
    assert replied_event.payload["customer_id"] == row.customer_id
    assert scored["reply"] == "Thank you for your answer."
    listed = chat.client.get("/api/v1/conversations?status=closed", headers=chat.auth)
    assert [(m["author"], m["text"]) for m in listed.json()["items"][0]["messages"]][2:] == [
        ("agent", "Your parcel is at the door."),
        ("bot", "Thank you for talking to us. How happy are you with the help you got, "
                "from 1 to 5?"),
        ("shopper", "5"), ("bot", "Thank you for your answer.")]


def test_an_empty_answer_is_refused_and_nothing_is_written(chat, admin_client):
    chat.widget("I want to talk to a person", token=chat.token("delivered"))
    with chat.db.reading() as session:
        conversation_id = session.scalar(select(Conversation.id))
    csrf = csrf_of(admin_client.get(f"/admin/conversations/{conversation_id}").text)
    before = counts(chat.db)

    answer = admin_client.post(f"/admin/conversations/{conversation_id}/reply",
                               data={"csrf": csrf, "text": "  "})

    assert answer.status_code == 422
    assert "Write an answer first." in answer.text
    assert counts(chat.db) == before


def test_another_stores_conversation_is_not_found_in_the_admin(chat, admin_client):
    answer = admin_client.get("/admin/conversations/999999")

    assert answer.status_code == 404
