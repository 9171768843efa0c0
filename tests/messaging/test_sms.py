"""SMS through a loopback stand-in that speaks Twilio's Messages API."""

from __future__ import annotations

import base64

import pytest

from afterward.commerce.validation import InvalidValue
from afterward.messaging.channels.sms import parse_sms_url
from tests.messaging.conftest import message_row, queue, run_jobs, shop


@pytest.fixture
def sms(twilio, messaging_runtime):
    messaging_runtime(sms_url=twilio.url(), public_url="https://shop.example")
    return twilio


def test_the_sms_url_forms_parse():
    target = parse_sms_url("twilio://AC123:tok%2Fen@api.twilio.com?from=%2B15550001111")
    assert target.endpoint == "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"
    assert (target.account_sid, target.auth_token, target.sender) == (
        "AC123", "tok/en", "+15550001111")
    # an unencoded '+' arrives as a space; the sender is still read right
    assert parse_sms_url("twilio://AC1:t@h?from=+15550001111").sender == "+15550001111"
    local = parse_sms_url("twilio+http://AC1:t@127.0.0.1:8099?messaging_service=MG9")
    assert local.endpoint == "http://127.0.0.1:8099/2010-04-01/Accounts/AC1/Messages.json"
    assert local.messaging_service == "MG9"
    for bad in ("https://api.twilio.com", "twilio://AC1@h?from=%2B1555", "twilio://AC1:t@h"):
        with pytest.raises(ValueError, match="AFTERWARD_SMS_URL"):
            parse_sms_url(bad)


def test_a_shipped_sms_reaches_the_provider_in_its_shape(db, make_store, sms):
    store = make_store("acme")
    customer_id, _order_id, shipment_id, token = shop(db, store.id, phone="+4915112345678")
    message_id = queue(db, store.id, channel="sms", customer_id=customer_id,
                       refs={"shipment_id": shipment_id})

    run_jobs(db)

    [request] = sms.requests
    assert request["path"] == "/2010-04-01/Accounts/ACtest/Messages.json"
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(
        b"ACtest:secret-token").decode()
    body = (f"Acme: your order 1001 is on its way. "
            f"Track it: https://shop.example/t/{token}")
    assert sms.forms == [{"To": "+4915112345678", "From": "+15550001111", "Body": body}]
    sent = message_row(db, message_id)
    assert (sent.status, sent.transport, sent.segments) == ("sent", "sms", 1)
    assert sent.provider_message_id == f"SM{1:032d}"


def test_rate_limiting_is_retried_and_a_bad_number_is_not(db, make_store, sms):
    from tests.messaging.conftest import make_jobs_due

    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id, phone="+4915112345678")
    sms.failures = [(429, {"code": 20429, "message": "Too Many Requests", "status": 429})]
    retried = queue(db, store.id, channel="sms", customer_id=customer_id,
                    refs={"order_id": order_id}, template_key="order_confirmation",
                    idempotency_key="a")
    run_jobs(db)
    assert message_row(db, retried).status == "ready"
    make_jobs_due(db)
    run_jobs(db)
    assert message_row(db, retried).status == "sent"

    sms.failures = [(400, {"code": 21211, "message": "The 'To' number is not valid.",
                           "status": 400})]
    refused = queue(db, store.id, channel="sms", customer_id=customer_id,
                    refs={"order_id": order_id}, template_key="order_confirmation",
                    idempotency_key="b")
    run_jobs(db)
    failed = message_row(db, refused)
    assert (failed.status, failed.status_reason) == (
        "failed", "provider answered 400: 21211 The 'To' number is not valid.")
    assert len(sms.requests) == 3


def test_without_an_sms_url_texts_go_to_the_outbox(db, make_store):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id, phone="+4915112345678")
    message_id = queue(db, store.id, channel="sms", customer_id=customer_id,
                       refs={"order_id": order_id}, template_key="order_confirmation")

    run_jobs(db)

    assert (message_row(db, message_id).status, message_row(db, message_id).transport) == (
        "sent", "outbox")


def test_an_invalid_phone_number_is_refused_at_the_edge(db, make_store):
    store = make_store("acme")
    with pytest.raises(InvalidValue) as caught:
        queue(db, store.id, channel="sms", recipient="12345", refs={"order_id": 1})
    assert caught.value.field == "recipient"
    with pytest.raises(InvalidValue) as caught:
        queue(db, store.id, channel="email", recipient="not-an-email")
    assert caught.value.field == "recipient"
