"""A referred friend's code is emailed to the friend, in their language, by the
built-in journey `loyalty_referral_friend` reacting to `loyalty.referral_code_issued`
(loyalty never imports messaging): once when the code is given at sign-up or on
approval, never for a referral rejected."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from afterward.commerce.models import Customer
from afterward.events import Event
from afterward.journeys import builtins
from afterward.messaging import template_registry, templates
from afterward.messaging.context import sample_context
from afterward.messaging.models import OutboxEntry
from afterward.messaging.templates import TemplateSource
from tests.journeys.helpers import consume as consume_journeys
from tests.loyalty.test_journeys import a_store
from tests.messaging import conftest as messaging
from tests.messaging.conftest import run_jobs

REFERRAL = {"enabled": True, "referrer_points": 500, "friend_discount_minor": 1000,
            "friend_code_days": 30}
LOCALES = ("en", "de", "fr", "pt_BR")

messaging_runtime = messaging.messaging_runtime  # the fixture, here too


@pytest.fixture
def referrer(club, db) -> int:
    with db.transaction() as session:
        builtins.install(session, store_id=club.store.id)
    assert club.put_program(referral=REFERRAL).status_code == 200
    _, customer_id = club.order("1001", email="ada@example.com")
    club.consume()
    return customer_id


def refer(club, friend: str, referrer: int) -> dict[str, Any]:
    answer = club.client.post("/api/v1/loyalty/referrals", headers=club.auth, json={
        "friend_email": friend, "referrer_customer_id": referrer})
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def decide(club, referral_id: int, verdict: str) -> Any:
    return club.client.post(f"/api/v1/loyalty/referrals/{referral_id}/{verdict}",
                            headers=club.auth, json={"reason": "checked"})


def deliver(db, store_id: int) -> list[OutboxEntry]:
    """The journeys read the events, then the worker runs their steps and sends."""
    consume_journeys(db, store_id)
    run_jobs(db)
    with db.reading() as session:
        return [e for e in session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))
                if e.headers.get("X-Afterward-Category", "") != "loyalty_welcome"]


def friend_mail(db, store_id: int, friend: str) -> list[OutboxEntry]:
    return [e for e in deliver(db, store_id) if e.recipient == friend]


def test_a_friend_signed_up_without_a_signal_is_emailed_their_code_once(club, db, referrer):
    made = refer(club, "bob@example.com", referrer)

    [mail] = friend_mail(db, club.store.id, "bob@example.com")

    assert mail.subject == "Your welcome gift from Acme"
    assert f"Your code: {made['friend_code']}" in mail.body_text
    assert "$10.00 off your first order" in mail.body_text
    assert "Valid for 30 days from today, for one order." in mail.body_text
    assert [e.id for e in friend_mail(db, club.store.id, "bob@example.com")] == [mail.id]
    with db.reading() as session:
        friend = session.scalar(select(Customer).where(Customer.email == "bob@example.com"))
    assert friend is not None and made["friend_customer_id"] == friend.id


def test_a_referral_approved_after_review_emails_the_code_once(club, db, referrer):
    made = refer(club, "ADA+x@example.com", referrer)  # the referrer's mailbox: review
    assert (made["status"], made["friend_code"]) == ("review", None)
    assert friend_mail(db, club.store.id, "ADA+x@example.com") == []

    approved = decide(club, made["id"], "approve").json()
    again = decide(club, made["id"], "approve")

    [mail] = friend_mail(db, club.store.id, "ADA+x@example.com")
    assert f"Your code: {approved['friend_code']}" in mail.body_text
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_status")
    assert [e.id for e in friend_mail(db, club.store.id, "ADA+x@example.com")] == [mail.id]
    with db.reading() as session:
        assert len(session.scalars(select(Event).where(
            Event.name == "loyalty.referral_code_issued")).all()) == 1


def test_a_rejected_referral_emails_the_friend_nothing(club, db, referrer):
    made = refer(club, "ADA+y@example.com", referrer)

    assert decide(club, made["id"], "reject").status_code == 200

    assert friend_mail(db, club.store.id, "ADA+y@example.com") == []
    with db.reading() as session:
        assert session.scalars(select(Event).where(
            Event.name == "loyalty.referral_code_issued")).all() == []


def test_the_friend_signed_up_on_the_german_page_is_written_to_in_german(club, db, referrer):
    with db.reading() as session:
        from afterward.loyalty.models import LoyaltyAccount
        code = session.scalar(select(LoyaltyAccount.referral_code).where(
            LoyaltyAccount.customer_id == referrer))
    page = club.client.get(f"/r/{code}?lang=de")
    token = page.text.split('name="csrf" value="')[1].split('"')[0]

    answer = club.client.post(f"/r/{code}?lang=de", data={"csrf": token,
                                                          "email": "carl@example.com"})

    assert answer.status_code == 200, answer.text
    [mail] = friend_mail(db, club.store.id, "carl@example.com")
    assert mail.subject == "Ihr Willkommensgeschenk von Acme"
    assert "10,00\xa0$ Rabatt auf Ihre erste Bestellung" in mail.body_text


def test_a_friend_referred_through_the_api_in_french_is_written_to_in_french(club, db,
                                                                            referrer):
    answer = club.client.post("/api/v1/loyalty/referrals", headers=club.auth, json={
        "friend_email": "chloe@example.com", "referrer_customer_id": referrer,
        "locale": "fr-FR"})

    assert answer.status_code == 201, answer.text
    [mail] = friend_mail(db, club.store.id, "chloe@example.com")
    with db.reading() as session:
        friend = session.scalar(select(Customer).where(Customer.email == "chloe@example.com"))
    assert friend is not None and friend.locale == "fr_FR"
    assert "Votre code" in mail.body_text


def test_a_friend_already_a_customer_keeps_their_language(club, db, referrer):
    made = club.client.post("/api/v1/customers", headers=club.auth,
                            json={"email": "dora@example.com", "locale": "de"})
    assert made.status_code == 201, made.text

    answer = club.client.post("/api/v1/loyalty/referrals", headers=club.auth, json={
        "friend_email": "dora@example.com", "referrer_customer_id": referrer,
        "locale": "fr"})

    assert answer.status_code == 201, answer.text
    with db.reading() as session:
        friend = session.scalar(select(Customer).where(Customer.email == "dora@example.com"))
    assert friend is not None and friend.locale == "de"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_friends_email_renders_in_every_language(locale):
    context = sample_context(a_store(), locale=locale, public_url="https://shop.example",
                             data={"code": "ABCD2345EFGH6789", "value_minor": 1000,
                                   "currency": "EUR", "days": 30})

    email = templates.validate("email", TemplateSource(*template_registry.source(
        "loyalty_referral_friend", "email", locale)), context)

    assert email.subject and "ABCD2345EFGH6789" in email.text and "30" in email.text
