"""The team's answer reaches the shopper by email: `conversation.replied` enrols them in
the built-in journey, whose email carries the answer, in every language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from afterward.assistant import message_part
from afterward.assistant.models import Conversation
from afterward.commerce.models import Store
from afterward.journeys import builtins
from afterward.messaging import template_registry, templates
from afterward.messaging.context import sample_context
from afterward.messaging.templates import TemplateSource
from tests.journeys.helpers import consume, messages, step, the_enrolments
from tests.web.helpers import csrf_of

LOCALES = ("en", "de", "fr", "pt_BR")


@pytest.mark.parametrize("locale", LOCALES)
def test_the_reply_email_renders_with_the_answer_in_every_language(locale):
    store = Store(slug="acme", name="Acme", currency="EUR", locale="en",
                  support_email="help@acme.example")
    context = sample_context(store, locale=locale, public_url="https://shop.example", data={})

    email = templates.validate("email", TemplateSource(*template_registry.source(
        "conversation_reply", "email", locale)), context)

    assert email.subject
    assert message_part.sample(currency="EUR", public_url="")["answer"] in email.text


def test_an_answer_from_the_inbox_is_emailed_through_the_built_in_journey(chat, admin_client):
    with chat.db.transaction() as session:
        builtins.install(session, store_id=chat.scene.store_id)
    chat.widget("I want to talk to a person", token=chat.token("delivered"))
    with chat.db.reading() as session:
        conversation_id = session.scalar(select(Conversation.id))
    csrf = csrf_of(admin_client.get(f"/admin/conversations/{conversation_id}").text)
    admin_client.post(f"/admin/conversations/{conversation_id}/reply",
                      data={"csrf": csrf, "text": "It is at the door."})

    consume(chat.db, chat.scene.store_id)
    [enrolment] = the_enrolments(chat.db, chat.scene.store_id)
    step(chat.db, enrolment.id)

    sent = [m for m in messages(chat.db, chat.scene.store_id)
            if m.template_key == "conversation_reply"]
    assert len(sent) == 1
    assert sent[0].channel == "email"
    with chat.db.reading() as session:
        part = message_part.load(session, store_id=chat.scene.store_id, id=conversation_id,
                                 public_url="", secret_key="")
    assert part == {"answer": "It is at the door.", "status": "assigned"}
