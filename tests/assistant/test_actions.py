"""Actions are proposed, then done only when the shopper confirms them (the action's id
in their next message), through the same services as the portal and the API, each
recorded as one event; a retried message is answered once and stored once."""

from __future__ import annotations

from sqlalchemy import select

from afterward.assistant.models import Conversation
from afterward.commerce.models import Consent
from afterward.events import Event
from afterward.journeys import builtins
from tests.assistant.conftest import counts
from tests.journeys.helpers import consume, messages, step, the_enrolments


def _proposed(answer) -> dict:
    body = answer.json()
    offered = [a for a in body["actions"] if a.get("confirm")]
    assert len(offered) == 1, body
    return offered[0]


def test_a_return_is_proposed_and_started_only_when_confirmed(chat):
    chat.client.put("/api/v1/returns/policy", headers=chat.auth, json={"window_days": 3650})
    first = chat.widget("I want to return it", token=chat.token("delivered"))
    action = _proposed(first)
    before = counts(chat.db)
    assert action["kind"] == "start_return"
    assert before.get("return.requested", 0) == 0

    done = chat.widget("", confirm=action["id"],
                       conversation_id=first.json()["conversation_id"])

    after = counts(chat.db)
    assert done.status_code == 200
    assert done.json()["intent"] == "start_return"
    made = chat.client.get("/api/v1/returns?order_number=1001", headers=chat.auth).json()
    rma = made["items"][0]
    assert done.json()["reply"] == (f"Your return {rma['number']} is approved. The return "
                                    "page has the next steps.")
    assert [(line["sku"], line["quantity"]) for line in rma["lines"]] == [("BEAN", 1),
                                                                         ("GRND", 1)]
    assert after["assistant.return_started"] == 1
    assert after["return.requested"] == 1


def test_confirming_twice_does_the_action_once(chat):
    chat.client.put("/api/v1/returns/policy", headers=chat.auth, json={"window_days": 3650})
    first = chat.widget("I want to return it", token=chat.token("delivered"))
    action = _proposed(first)
    conversation_id = first.json()["conversation_id"]
    chat.widget("", confirm=action["id"], conversation_id=conversation_id)

    again = chat.widget("", confirm=action["id"], conversation_id=conversation_id)

    assert again.json()["reply"] == "There is nothing waiting for your confirmation."
    assert counts(chat.db)["assistant.return_started"] == 1
    assert counts(chat.db)["return.requested"] == 1


def test_a_wrong_action_id_does_nothing(chat):
    first = chat.widget("unsubscribe me please", token=chat.token("delivered"))
    before = counts(chat.db)

    answer = chat.widget("", confirm="act_guessed", conversation_id=first.json()[
        "conversation_id"])

    assert answer.json()["reply"] == "There is nothing waiting for your confirmation."
    after = counts(chat.db)
    assert after.get("assistant.unsubscribed", 0) == 0
    assert after["messages"] == before["messages"] + 2


def test_unsubscribing_withdraws_the_marketing_consent_and_records_one_event(chat):
    first = chat.widget("unsubscribe me please", token=chat.token("delivered"))
    action = _proposed(first)

    done = chat.widget("", confirm=action["id"], conversation_id=first.json()[
        "conversation_id"])

    assert done.json()["reply"] == "Done: you will no longer get our marketing emails."
    with chat.db.reading() as session:
        consent = session.execute(select(Consent.channel, Consent.purpose, Consent.granted,
                                         Consent.source)).all()
    assert [tuple(c) for c in consent] == [("email", "marketing", False, "assistant")]
    assert counts(chat.db)["assistant.unsubscribed"] == 1
    assert counts(chat.db)["customer.consent_changed"] == 1


def test_cancelling_an_unshipped_order_asks_the_team_and_hands_over(chat):
    first = chat.widget("please cancel my order", order_number="1005",
                        email="ada@example.com")
    action = _proposed(first)
    assert first.json()["reply"] == ("Shall I ask the team to cancel order 1005? Confirm "
                                     "and I will pass it on.")

    done = chat.widget("", confirm=action["id"], conversation_id=first.json()[
        "conversation_id"])

    assert done.json()["reply"] == ("I have asked the team to cancel order 1005. A person "
                                    "will confirm it by email.")
    assert done.json()["handoff"] is True
    assert counts(chat.db)["assistant.cancel_requested"] == 1
    assert counts(chat.db)["conversation.opened"] == 1


def test_a_shipped_order_cannot_be_cancelled_and_nothing_is_proposed(chat):
    answer = chat.widget("please cancel my order", token=chat.token("in_transit"))

    assert answer.json()["reply"].startswith("Order 1002 has already shipped")
    assert [a["kind"] for a in answer.json()["actions"]] == ["link"]


def test_an_address_change_before_shipping_is_asked_for_with_the_words_given(chat):
    text = "please change my address to Hauptstr. 5, 10117 Berlin"
    first = chat.widget(text, order_number="1005", email="ada@example.com")
    action = _proposed(first)

    chat.widget("", confirm=action["id"], conversation_id=first.json()["conversation_id"])

    from afterward.events import Event
    with chat.db.reading() as session:
        payload = session.scalar(select(Event.payload).where(
            Event.name == "assistant.address_change_requested"))
    assert payload["request"] == text
    assert counts(chat.db)["assistant.address_change_requested"] == 1


def test_the_tracking_link_is_resent_by_email_through_an_event_and_its_journey(chat):
    with chat.db.transaction() as session:
        builtins.install(session, store_id=chat.scene.store_id)
    first = chat.widget("where is my order?", token=chat.token("delivered"))
    action = _proposed(first)

    done = chat.widget("", confirm=action["id"], conversation_id=first.json()[
        "conversation_id"])
    consume(chat.db, chat.scene.store_id)
    [enrolment] = the_enrolments(chat.db, chat.scene.store_id)
    step(chat.db, enrolment.id)
    with chat.db.reading() as session:
        asked = session.scalar(select(Event.payload).where(
            Event.name == "assistant.tracking_link_requested"))

    assert done.json()["reply"] == ("I have asked for the tracking link of order 1001 to be "
                                    "emailed to you again.")
    assert counts(chat.db)["assistant.tracking_link_requested"] == 1
    sent = [m for m in messages(chat.db, chat.scene.store_id)
            if m.category == "tracking_link_resent"]
    assert [(m.channel, m.template_key, m.enrolment_id) for m in sent] == [
        ("email", "shipment_shipped", enrolment.id)]
    assert enrolment.shipment_id == asked["shipment_id"] and asked["shipment_id"] > 0


def test_a_retried_message_is_answered_the_same_and_stored_once(chat):
    first = chat.widget("where is my order?", token=chat.token("delivered"),
                        client_message_id="m-1")
    before = counts(chat.db)

    again = chat.widget("where is my order?", token=chat.token("delivered"),
                        client_message_id="m-1")

    assert again.status_code == 200
    assert again.json() == first.json()
    assert counts(chat.db) == before


def test_the_api_takes_an_idempotency_key_as_the_client_message_id(chat):
    first = chat.client.post(
        "/api/v1/assistant/messages", json={"text": "where is my order 1001? ada@example.com"},
        headers={**chat.auth, "Idempotency-Key": "k-1"})
    before = counts(chat.db)

    again = chat.client.post("/api/v1/assistant/messages",
                             json={"text": "where is my order 1001? ada@example.com"},
                             headers={**chat.auth, "Idempotency-Key": "k-1"})

    assert again.json() == first.json()
    assert first.json()["reply"].startswith("Your parcel for order 1001 is delivered.")
    assert counts(chat.db) == before
    with chat.db.reading() as session:
        assert session.scalar(select(Conversation.channel)) == "api"
