"""The built-in return messages: approved (the label, the status page, what it will
resolve to), received, complete (the money), not accepted (why) — sent by the returns
module's own built-in journeys, through a real SMTP server, in the shopper's language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from afterward.commerce.models import Store
from afterward.journeys import builtins
from afterward.journeys.models import Enrolment, Journey
from afterward.messaging import runtime, template_registry, templates
from afterward.messaging.context import sample_context
from afterward.messaging.models import Message
from afterward.messaging.templates import TemplateSource
from afterward.returns import links
from afterward.returns.models import Return
from tests.journeys.helpers import consume
from tests.messaging.conftest import run_jobs

KEYS = ("return_approved", "return_received", "return_resolved", "return_rejected")
LOCALES = template_registry.LOCALES
MUG_BACK = {"lines": [{"sku": "MUG-1", "quantity": 1, "condition": "new"}]}


def a_store() -> Store:
    return Store(id=1, name="Acme", brand_primary="#1f3a5f", brand_accent="#e07a1f",
                 currency="EUR", timezone="Europe/Berlin", locale="en",
                 support_email="help@acme.example")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("key", KEYS)
def test_every_return_message_renders_in_every_language_with_one_sms_segment(key, locale):
    context = sample_context(a_store(), locale=locale, public_url="https://shop.example")
    email = templates.validate("email", TemplateSource(*template_registry.source(
        key, "email", locale)), context)
    sms = templates.validate("sms", TemplateSource(*template_registry.source(
        key, "sms", locale)), context)

    assert f'lang="{locale.split("_")[0]}"' in email.html
    assert "R7K2M9Q4X" in email.subject and "R7K2M9Q4X" in sms.text
    assert "https://shop.example/returns/r/sample" in email.text
    assert sms.segments <= 2, sms.text


def test_the_sample_return_has_every_key_a_real_one_has(shop, db):
    made = shop.request().json()
    from afterward.returns import message_part

    with db.reading() as session:
        real = message_part.load(session, store_id=shop.store.id, id=made["id"],
                                 public_url="https://shop.example", secret_key="k" * 32)
    sample = message_part.sample(currency="EUR", public_url="https://shop.example")

    assert real is not None and set(real) == set(sample)
    assert set(real["lines"][0]) == set(sample["lines"][0])


def test_another_store_s_return_is_no_part_of_a_message(shop, db, make_store):
    made = shop.request().json()
    other = make_store("other")
    from afterward.returns import message_part

    with db.reading() as session:
        assert message_part.load(session, store_id=other.id, id=made["id"], public_url="",
                                 secret_key="k" * 32) is None


def _journeys(db, store_id):
    with db.transaction() as session:
        builtins.install(session, store_id=store_id)


def _sent(db, store_id):
    with db.reading() as session:
        return [m.category for m in session.scalars(
            select(Message).where(Message.store_id == store_id).order_by(Message.id))]


def _deliver(db, store_id):
    """The journeys react to what happened, then the worker sends what they queued."""
    consume(db, store_id)
    run_jobs(db)


def test_an_approved_return_emails_the_label_and_the_status_page(shop, db, smtp):
    _journeys(db, shop.store.id)

    made = shop.request(resolution="store_credit").json()
    _deliver(db, shop.store.id)

    assert _sent(db, shop.store.id) == ["return_approved"]
    [mail] = smtp.mailbox.messages
    assert mail["Subject"] == f"Your return {made['number']} is approved"
    text = " ".join(mail.get_body(("plain",)).get_content().split())
    with db.reading() as session:
        rma = session.get(Return, made["id"])
        label = f"/returns/labels/{rma.label_token}.pdf"
    sender = runtime.current()
    status = links.status_path(sender.links.secret_key, shop.store.id, made["id"])
    assert f"Print the return label: {sender.public_url}{label}" in text
    assert f"Follow your return: {sender.public_url}{status}" in text
    assert "1 x Mug" in text
    # a blue mug (12.00) and the 10% bonus
    assert "Once it arrives and is checked, you get €13.20 in store credit." in text


def test_receiving_sends_received_then_complete_with_the_refund(shop, db, smtp):
    _journeys(db, shop.store.id)
    made = shop.request().json()
    _deliver(db, shop.store.id)

    shop.post(f"/api/v1/returns/{made['id']}/receive", MUG_BACK)
    _deliver(db, shop.store.id)

    assert _sent(db, shop.store.id) == ["return_approved", "return_received",
                                        "return_resolved"]
    subjects = [m["Subject"] for m in smtp.mailbox.messages]
    assert subjects[1:] == [f"We received your return {made['number']}",
                            f"Your return {made['number']} is complete"]
    text = " ".join(smtp.mailbox.messages[2].get_body(("plain",)).get_content().split())
    assert "We have refunded €12.00 to your original payment method." in text


def test_a_rejected_return_says_why_and_one_held_for_review_sends_nothing_before(shop, db,
                                                                               smtp):
    _journeys(db, shop.store.id)
    shop.client.put("/api/v1/returns/policy", json={"auto_approve": False},
                    headers=shop.auth)
    made = shop.request().json()
    _deliver(db, shop.store.id)
    assert _sent(db, shop.store.id) == []

    shop.post(f"/api/v1/returns/{made['id']}/reject", {"reason": "Worn and washed."})
    _deliver(db, shop.store.id)

    assert _sent(db, shop.store.id) == ["return_rejected"]
    [mail] = smtp.mailbox.messages
    assert mail["Subject"] == f"About your return {made['number']}"
    text = " ".join(mail.get_body(("plain",)).get_content().split())
    assert f"we could not accept your return {made['number']}. Worn and washed." in text


def test_each_return_message_enrols_once_per_return(shop, db):
    _journeys(db, shop.store.id)
    made = shop.request().json()
    consume(db, shop.store.id)
    consume(db, shop.store.id)

    with db.reading() as session:
        rows = session.execute(select(Journey.key, Enrolment.subject_type, Enrolment.subject_id)
                               .join(Journey, Journey.id == Enrolment.journey_id)
                               .where(Journey.key.like("return_%"))).all()
    assert rows == [("return_approved", "return", made["id"])]
