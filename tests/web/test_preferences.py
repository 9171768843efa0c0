"""The shopper preference centre: /preferences/{token} shows the choices per channel,
saves them (consent events, suppression list) behind a CSRF check, and speaks the
shopper's language; a bad token is a readable 404."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from afterward.commerce.models import Consent, Customer
from afterward.events import Event
from afterward.messaging import service
from afterward.messaging.models import Suppression
from afterward.messaging.tokens import LinkSigner


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


@pytest.fixture
def shopper(db, store, settings):
    """Ada with email marketing on, SMS never asked, and one message to her."""
    with db.transaction() as session:
        ada = Customer(store_id=store.id, email="ada@example.com", phone="+15555550123",
                       first_name="Ada", locale="en")
        session.add(ada)
        session.flush()
        session.add(Consent(store_id=store.id, customer_id=ada.id, channel="email",
                            purpose="marketing", granted=True, source="api"))
        message = service.queue_message(
            session, store_id=store.id, channel="email", purpose="transactional",
            category="order_confirmation", idempotency_key="k-1",
            template_key="order_confirmation", customer_id=ada.id)
        ids = ada.id, message.id
    url = LinkSigner(settings.secret_key, settings.public_url).preferences_url(ids[1])
    return ids[0], ids[1], url.removeprefix(settings.public_url)


def consents(db, customer_id):
    with db.reading() as session:
        return {(c.channel, c.purpose): (c.granted, c.source) for c in session.scalars(
            select(Consent).where(Consent.customer_id == customer_id))}


def suppressions(db, store_id):
    with db.reading() as session:
        return sorted((s.channel, s.address, s.reason) for s in session.scalars(
            select(Suppression).where(Suppression.store_id == store_id)))


def consent_events(db, customer_id):
    with db.reading() as session:
        return [e.payload for e in session.scalars(select(Event).where(
            Event.name == "customer.consent_changed", Event.subject_id == customer_id)
            .order_by(Event.id))]


def test_the_page_shows_the_brand_and_each_channels_choice(client, shopper):
    _, _, path = shopper

    page = client.get(path)

    assert page.status_code == 200
    assert "<h1 id=\"preferences-heading\">Your message preferences</h1>" in page.text
    assert "Acme" in page.text  # the store's name, in the header and the sentence
    assert 'id="choice-email" name="email" value="1" checked>' in page.text
    assert 'id="choice-sms" name="sms" value="1">' in page.text
    assert "Email to a•••@example.com" in page.text
    assert "Text messages (SMS) to •••• 0123" in page.text
    assert "ada@example.com" not in page.text  # masked
    assert page.headers["set-cookie"].startswith("aw_prefs=")
    assert "Path=/preferences" in page.headers["set-cookie"]
    assert "samesite=strict" in page.headers["set-cookie"].lower()


def test_saving_records_consent_and_the_suppression_list(client, db, store, shopper):
    customer_id, _, path = shopper
    csrf = csrf_of(client.get(path).text)

    saved = client.post(path, data={"csrf": csrf, "sms": "1", "action": "save"},
                        follow_redirects=False)

    assert saved.status_code == 303
    assert saved.headers["location"] == f"{path}?saved=1"
    assert consents(db, customer_id) == {
        ("email", "marketing"): (False, "preference_centre"),
        ("sms", "marketing"): (True, "preference_centre")}
    assert suppressions(db, store.id) == [("email", "ada@example.com", "unsubscribe")]
    assert consent_events(db, customer_id) == [
        {"channel": "email", "purpose": "marketing", "granted": False,
         "source": "preference_centre"},
        {"channel": "sms", "purpose": "marketing", "granted": True,
         "source": "preference_centre"}]
    page = client.get(saved.headers["location"])
    assert "Your choices are saved." in page.text
    assert 'id="choice-email" name="email" value="1">' in page.text
    assert 'id="choice-sms" name="sms" value="1" checked>' in page.text

    # opting back in lifts the shopper's own unsubscribe
    again = client.post(path, data={"csrf": csrf, "email": "1", "sms": "1"},
                        follow_redirects=False)
    assert again.status_code == 303
    assert suppressions(db, store.id) == []
    assert consents(db, customer_id)[("email", "marketing")] == (True, "preference_centre")


def test_unsubscribe_from_everything_turns_every_channel_off(client, db, store, shopper):
    customer_id, _, path = shopper
    csrf = csrf_of(client.get(path).text)

    done = client.post(path, data={"csrf": csrf, "email": "1", "sms": "1",
                                   "action": "unsubscribe_all"}, follow_redirects=False)

    assert done.headers["location"] == f"{path}?saved=all"
    assert consents(db, customer_id) == {
        ("email", "marketing"): (False, "preference_centre"),
        ("sms", "marketing"): (False, "preference_centre")}
    assert suppressions(db, store.id) == [("email", "ada@example.com", "unsubscribe"),
                                          ("sms", "+15555550123", "unsubscribe")]
    assert "You are unsubscribed from all marketing messages." in client.get(
        done.headers["location"]).text


def test_a_post_without_the_right_csrf_value_changes_nothing(client, db, store, shopper):
    customer_id, _, path = shopper
    client.get(path)  # the cookie is set

    forged = client.post(path, data={"csrf": "forged", "sms": "1"})
    no_cookie = client.post(path, data={"csrf": "x", "sms": "1"}, cookies={"aw_prefs": ""})

    assert forged.status_code == 403
    assert no_cookie.status_code == 403
    assert "This form had expired, so nothing was changed." in forged.text
    assert consents(db, customer_id) == {("email", "marketing"): (True, "api")}
    assert suppressions(db, store.id) == []
    assert consent_events(db, customer_id) == []


@pytest.mark.parametrize("token", ["nonsense", "x" * 600,
                                   LinkSigner("another-key", "http://x").token("preferences", 1)])
def test_a_bad_token_is_a_readable_404(client, shopper, token):
    page = client.get(f"/preferences/{token}")

    assert page.status_code == 404
    assert "This link does not work" in page.text
    assert client.post(f"/preferences/{token}", data={"csrf": "x"}).status_code == 404


def test_an_unsubscribe_token_does_not_open_the_preferences(client, shopper, settings):
    _, message_id, _ = shopper
    token = LinkSigner(settings.secret_key, settings.public_url).token("unsubscribe", message_id)

    assert client.get(f"/preferences/{token}").status_code == 404


def test_a_deleted_message_is_a_404(client, db, shopper):
    from afterward.messaging.models import Message

    _, message_id, path = shopper
    with db.transaction() as session:
        session.delete(session.get(Message, message_id))

    assert client.get(path).status_code == 404


@pytest.mark.parametrize(("lang", "heading", "button"), [
    ("en", "Your message preferences", "Save my choices"),
    ("de", "Ihre Nachrichten-Einstellungen", "Auswahl speichern"),
    ("fr", "Vos préférences de messages", "Enregistrer mes choix"),
    ("pt_BR", "Suas preferências de mensagens", "Salvar minhas escolhas"),
])
def test_each_language_renders(client, shopper, lang, heading, button):
    _, _, path = shopper

    page = client.get(f"{path}?lang={lang}")

    assert page.status_code == 200
    assert f'<html lang="{lang.replace("_", "-")}">' in page.text
    assert f'<h1 id="preferences-heading">{heading}</h1>' in page.text
    assert button in page.text
    assert f'action="{path}?lang={lang}"' in page.text


def test_the_customers_language_is_used_without_asking(client, db, shopper):
    customer_id, _, path = shopper
    with db.transaction() as session:
        session.get(Customer, customer_id).locale = "de"

    assert "Ihre Nachrichten-Einstellungen" in client.get(path).text
