"""Provider reports about sent messages: Twilio-shaped SMS status callbacks (signed
with X-Twilio-Signature) and the signed email events webhook (bounces, complaints)."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from sqlalchemy import select

from afterward.api.webhooks_messaging import twilio_signature
from afterward.commerce import stores
from afterward.commerce.models import Consent, Customer, Store
from afterward.messaging import service
from afterward.messaging.models import Message, Suppression

TOKEN = "twilio-auth-token-123"
SECRET = "generic-secret-456"


@pytest.fixture
def sent(db, store):
    """One SMS and one email, both sent, to a customer with marketing consent."""
    with db.transaction() as session:
        row = session.get(Store, store.id)
        stores.set_webhook_secret(session, store=row, provider="twilio", secret=TOKEN)
        stores.set_webhook_secret(session, store=row, provider="generic", secret=SECRET)
        ada = Customer(store_id=store.id, email="ada@example.com", phone="+4915112345678")
        session.add(ada)
        session.flush()
        for channel in ("sms", "email"):
            session.add(Consent(store_id=store.id, customer_id=ada.id, channel=channel,
                                purpose="marketing", granted=True, source="api"))
        ids = {}
        for channel, recipient in (("sms", "+4915112345678"), ("email", "ada@example.com")):
            message = service.queue_message(
                session, store_id=store.id, channel=channel, purpose="marketing",
                category="win_back", idempotency_key=f"k-{channel}", template_key="x",
                customer_id=ada.id, recipient=recipient)
            message.status = "sent"
            if channel == "sms":
                message.provider_message_id = "SM0001"
            else:
                message.message_id_header = "<abc123@acme.example>"
            ids[channel] = message.id
        ids["customer"] = ada.id
        return ids


def sms_callback(client, slug, params, *, token=TOKEN, url=None):
    url = url or f"http://testserver/api/v1/webhooks/sms/{slug}"
    return client.post(f"/api/v1/webhooks/sms/{slug}", data=params,
                       headers={"X-Twilio-Signature": twilio_signature(token, url, params)})


def email_event(client, slug, body, *, secret=SECRET):
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(f"/api/v1/webhooks/email-events/{slug}", content=raw,
                       headers={"X-Afterward-Signature": signature,
                                "Content-Type": "application/json"})


def state(db, message_id):
    with db.reading() as session:
        m = session.get(Message, message_id)
        return m.status, m.status_reason, m.delivered_at is not None, m.bounced_at is not None


def listed(db, store_id):
    with db.reading() as session:
        return sorted((s.channel, s.address, s.reason) for s in session.scalars(
            select(Suppression).where(Suppression.store_id == store_id)))


def marketing_consent(db, customer_id, channel):
    with db.reading() as session:
        return session.scalar(select(Consent.granted).where(
            Consent.customer_id == customer_id, Consent.channel == channel,
            Consent.purpose == "marketing"))


def test_twilio_signature_matches_twilios_documented_example():
    # Twilio's own signature validation sample (twilio-samples/api-snippets).
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675310",
              "Digits": "1234", "From": "+14158675310", "To": "+18005551212"}
    assert twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2",
                            params) == "GvWf1cFY/Q7PnoempGyD5oXAezc="


def test_a_delivered_sms_callback_marks_the_message_delivered(client, db, store, sent):
    answer = sms_callback(client, store.slug, {"MessageSid": "SM0001",
                                               "MessageStatus": "delivered"})

    assert answer.status_code == 200
    assert answer.json() == {"status": "applied", "message_id": sent["sms"],
                             "message_status": "delivered", "reason": None}
    assert state(db, sent["sms"]) == ("delivered", None, True, False)


def test_an_undelivered_sms_with_a_permanent_error_bounces_and_lists_the_number(
        client, db, store, sent):
    answer = sms_callback(client, store.slug, {"MessageSid": "SM0001",
                                               "MessageStatus": "undelivered",
                                               "ErrorCode": "30005"})

    assert answer.json()["message_status"] == "bounced"
    assert state(db, sent["sms"]) == ("bounced", "twilio undelivered (error 30005)", False, True)
    assert listed(db, store.id) == [("sms", "+4915112345678", "hard_bounce")]


def test_a_temporary_sms_failure_lists_nothing(client, db, store, sent):
    sms_callback(client, store.slug, {"MessageSid": "SM0001", "MessageStatus": "undelivered",
                                      "ErrorCode": "30003"})
    assert state(db, sent["sms"])[0] == "bounced"
    assert listed(db, store.id) == []


def test_a_failed_sms_is_failed(client, db, store, sent):
    sms_callback(client, store.slug, {"MessageSid": "SM0001", "MessageStatus": "failed",
                                      "ErrorCode": "21211"})
    assert state(db, sent["sms"]) == ("failed", "twilio failed (error 21211)", False, False)
    assert listed(db, store.id) == [("sms", "+4915112345678", "hard_bounce")]


def test_a_stop_from_the_recipient_turns_sms_marketing_off(client, db, store, sent):
    sms_callback(client, store.slug, {"MessageSid": "SM0001", "MessageStatus": "undelivered",
                                      "ErrorCode": "21610"})
    assert listed(db, store.id) == [("sms", "+4915112345678", "unsubscribe")]
    assert marketing_consent(db, sent["customer"], "sms") is False


def test_other_sms_statuses_and_unknown_sids_change_nothing(client, db, store, sent):
    queued = sms_callback(client, store.slug, {"MessageSid": "SM0001", "MessageStatus": "sent"})
    unknown = sms_callback(client, store.slug, {"MessageSid": "SM9999",
                                                "MessageStatus": "delivered"})

    assert queued.json() == {"status": "ignored", "message_id": sent["sms"],
                             "message_status": "sent", "reason": "status 'sent' changes nothing"}
    assert unknown.json() == {"status": "ignored", "message_id": None, "message_status": None,
                              "reason": "no such message in this store"}
    assert state(db, sent["sms"]) == ("sent", None, False, False)


def test_a_bad_twilio_signature_is_refused_and_changes_nothing(client, db, store, sent):
    params = {"MessageSid": "SM0001", "MessageStatus": "delivered"}
    wrong_token = sms_callback(client, store.slug, params, token="not-the-token")
    tampered = client.post(f"/api/v1/webhooks/sms/{store.slug}",
                           data={**params, "MessageStatus": "failed"},
                           headers={"X-Twilio-Signature": twilio_signature(
                               TOKEN, f"http://testserver/api/v1/webhooks/sms/{store.slug}",
                               params)})
    missing = client.post(f"/api/v1/webhooks/sms/{store.slug}", data=params)

    for answer in (wrong_token, tampered, missing):
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "invalid_signature"
    assert state(db, sent["sms"]) == ("sent", None, False, False)


def test_the_sms_callback_needs_a_known_store_with_a_twilio_token(client, db, make_store, sent):
    bare = make_store("bare")
    params = {"MessageSid": "SM0001", "MessageStatus": "delivered"}
    assert sms_callback(client, "nope", params).status_code == 404
    assert sms_callback(client, bare.slug, params).json()["error"]["code"] == "no_secret"


def test_a_sid_from_another_store_is_not_found_there(client, db, make_store, sent):
    other = make_store("other")
    with db.transaction() as session:
        stores.set_webhook_secret(session, store=session.get(Store, other.id),
                                  provider="twilio", secret=TOKEN)
    answer = sms_callback(client, other.slug, {"MessageSid": "SM0001",
                                               "MessageStatus": "delivered"})
    assert answer.json()["status"] == "ignored"
    assert state(db, sent["email"])[0] == "sent"


def test_a_hard_email_bounce_lists_the_address(client, db, store, sent):
    answer = email_event(client, store.slug, {"message_id": "<abc123@acme.example>",
                                              "event": "bounced", "bounce_type": "hard",
                                              "detail": "550 5.1.1 no such user"})

    assert answer.status_code == 200
    assert answer.json() == {"status": "applied", "message_id": sent["email"],
                             "message_status": "bounced", "reason": None}
    assert state(db, sent["email"]) == ("bounced", "550 5.1.1 no such user", False, True)
    assert listed(db, store.id) == [("email", "ada@example.com", "hard_bounce")]


def test_a_soft_bounce_by_our_id_only_marks_the_message(client, db, store, sent):
    email_event(client, store.slug, {"message_id": sent["email"], "event": "bounced",
                                     "bounce_type": "soft"})
    assert state(db, sent["email"]) == ("bounced", "soft bounce", False, True)
    assert listed(db, store.id) == []


def test_a_complaint_stops_marketing(client, db, store, sent):
    email_event(client, store.slug, {"message_id": "abc123@acme.example",
                                     "event": "complained"})
    assert listed(db, store.id) == [("email", "ada@example.com", "complaint")]
    assert marketing_consent(db, sent["customer"], "email") is False


def test_a_delivered_email_event(client, db, store, sent):
    email_event(client, store.slug, {"message_id": str(sent["email"]), "event": "delivered"})
    assert state(db, sent["email"]) == ("delivered", None, True, False)


def test_email_events_are_checked(client, db, store, sent):
    bad_signature = email_event(client, store.slug, {"message_id": sent["email"],
                                                     "event": "bounced", "bounce_type": "hard"},
                                secret="wrong-secret")
    no_type = email_event(client, store.slug, {"message_id": sent["email"], "event": "bounced"})
    odd_event = email_event(client, store.slug, {"message_id": sent["email"], "event": "nope"})
    sms_id = email_event(client, store.slug, {"message_id": sent["sms"], "event": "delivered"})

    assert bad_signature.status_code == 401
    assert (no_type.status_code, no_type.json()["error"]["field"]) == (422, "bounce_type")
    assert (odd_event.status_code, odd_event.json()["error"]["field"]) == (422, "event")
    assert sms_id.json()["status"] == "ignored"  # not an email
    assert state(db, sent["email"]) == ("sent", None, False, False)
    assert listed(db, store.id) == []
