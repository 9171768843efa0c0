"""Outbound webhooks: signed JSON POSTs, retried with backoff, once per event."""

from __future__ import annotations

import json
import time

from afterward.messaging import service
from afterward.messaging.channels.webhook import encode_body, signature, verify
from tests.messaging.conftest import make_jobs_due, message_row, run_jobs


def endpoint(db, store_id, url, events=None):
    with db.transaction() as session:
        row = service.add_webhook_endpoint(session, store_id=store_id, url=url, events=events,
                                           allow_private_urls=True)  # stand-ins on loopback
        return row.id, row.secret


def emit(db, store_id, event_id="evt_1", event_type="shipment.delivered"):
    with db.transaction() as session:
        return [m.id for m in service.queue_webhook_event(
            session, store_id=store_id, event_type=event_type, event_id=event_id,
            data={"shipment_id": 7, "status": "delivered"})]


def test_the_signature_verifies_and_tampering_does_not():
    body = encode_body({"a": 1})
    header = signature("whsec_x", body, 1_700_000_000)
    assert verify("whsec_x", body, header, now=1_700_000_100)
    assert not verify("whsec_x", body + b" ", header, now=1_700_000_100)
    assert not verify("whsec_y", body, header, now=1_700_000_100)
    assert not verify("whsec_x", body, header, now=1_700_001_000)  # too old: a replay
    assert not verify("whsec_x", body, "v1=abc", now=1_700_000_100)


def test_an_event_is_posted_signed_to_each_subscribed_endpoint(db, make_store, receiver):
    store = make_store("acme")
    url = f"http://127.0.0.1:{receiver.port}/hooks"
    _, secret = endpoint(db, store.id, url, events=["shipment.delivered"])
    endpoint(db, store.id, f"http://127.0.0.1:{receiver.port}/other", events=["order.created"])
    [message_id] = emit(db, store.id)

    run_jobs(db)

    [request] = receiver.requests
    assert request["path"] == "/hooks"
    headers = request["headers"]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Afterward-Event"] == "shipment.delivered"
    assert headers["X-Afterward-Delivery"].startswith("webhook:")
    assert verify(secret, request["body"], headers["X-Afterward-Signature"], now=time.time())
    body = json.loads(request["body"])
    assert (body["id"], body["type"], body["data"]) == (
        "evt_1", "shipment.delivered", {"shipment_id": 7, "status": "delivered"})
    assert message_row(db, message_id).status == "sent"


def test_a_failing_endpoint_is_retried_with_backoff_and_gets_the_same_delivery(
        db, make_store, receiver):
    store = make_store("acme")
    _, _secret = endpoint(db, store.id, f"http://127.0.0.1:{receiver.port}/hooks")
    receiver.statuses.extend([503, 500])
    [message_id] = emit(db, store.id)

    for _ in range(3):
        run_jobs(db)
        make_jobs_due(db)
    run_jobs(db)

    assert len(receiver.requests) == 3
    assert len({r["headers"]["X-Afterward-Delivery"] for r in receiver.requests}) == 1
    assert len({r["body"] for r in receiver.requests}) == 1
    sent = message_row(db, message_id)
    assert (sent.status, sent.send_attempts) == ("sent", 3)


def test_a_gone_endpoint_fails_the_delivery_at_once(db, make_store, receiver):
    store = make_store("acme")
    endpoint(db, store.id, f"http://127.0.0.1:{receiver.port}/hooks")
    receiver.statuses.append(410)
    [message_id] = emit(db, store.id)

    run_jobs(db)

    assert (message_row(db, message_id).status, message_row(db, message_id).status_reason) == (
        "failed", "endpoint answered 410")
    assert len(receiver.requests) == 1


def test_the_same_event_twice_is_delivered_once(db, make_store, receiver):
    store = make_store("acme")
    endpoint(db, store.id, f"http://127.0.0.1:{receiver.port}/hooks")
    first = emit(db, store.id)
    second = emit(db, store.id)

    run_jobs(db)

    assert first == second
    assert len(receiver.requests) == 1


def test_an_unreachable_endpoint_keeps_the_delivery_for_later(db, make_store):
    from tests.messaging.conftest import free_port

    store = make_store("acme")
    endpoint(db, store.id, f"http://127.0.0.1:{free_port()}/hooks")
    [message_id] = emit(db, store.id)

    run_jobs(db)

    waiting = message_row(db, message_id)
    assert waiting.status == "ready"
    assert waiting.status_reason.startswith("endpoint unreachable")


def test_an_endpoint_url_that_cannot_be_called_fails_the_delivery_for_good(db, make_store):
    from afterward.messaging.models import WebhookEndpoint

    store = make_store("acme")
    endpoint_id, _ = endpoint(db, store.id, "https://hooks.example.com/x")
    with db.transaction() as session:  # as an endpoint stored before URLs were checked
        session.get(WebhookEndpoint, endpoint_id).url = "http://a..b/"
    [message_id] = emit(db, store.id)

    run_jobs(db)

    failed = message_row(db, message_id)
    assert failed.status == "failed"
    assert failed.status_reason.startswith("the endpoint URL is not valid")
