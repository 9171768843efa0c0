"""Rotating an outbound webhook endpoint's signing secret: during the grace period
each delivery carries a signature for the new secret and one for the replaced one,
each of which verifies; after it, only the new one."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from afterward.messaging.channels.webhook import signature, verify
from afterward.messaging.models import WebhookEndpoint
from afterward.storage.types import utcnow
from tests.messaging.conftest import run_jobs
from tests.messaging.test_webhooks import emit


@pytest.fixture
def settings(settings):
    """The receiver stand-in listens on loopback."""
    return dataclasses.replace(settings, allow_private_urls=True)


def add_endpoint(client, store, url: str) -> dict:
    response = client.post("/api/v1/webhook-endpoints", headers=store.auth, json={"url": url})
    assert response.status_code == 201, response.text
    return response.json()


def rotate(client, store, endpoint_id: int, **body):
    return client.post(f"/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret",
                       headers=store.auth, json=body or None)


def endpoint_row(db, endpoint_id: int) -> tuple[str, str | None, object]:
    with db.reading() as session:
        row = session.get(WebhookEndpoint, endpoint_id)
        return row.secret, row.previous_secret, row.previous_expires_at


def test_rotating_gives_a_new_secret_and_keeps_the_old_one_a_day(client, db, store):
    created = add_endpoint(client, store, "https://hooks.example/in")
    before = utcnow()

    response = rotate(client, store, created["id"])

    assert response.status_code == 200, response.text
    body = response.json()
    new, previous, expires = endpoint_row(db, created["id"])
    assert (body["id"], body["url"], body["secret"]) == (created["id"], created["url"], new)
    assert new.startswith("whsec_") and new != created["secret"]
    assert previous == created["secret"]
    assert before + timedelta(hours=24) <= expires <= utcnow() + timedelta(hours=24)
    assert body["previous_secret_expires_at"] == expires.isoformat().replace("+00:00", "Z")


def test_a_zero_grace_rotation_drops_the_old_secret_at_once(client, db, store):
    created = add_endpoint(client, store, "https://hooks.example/in")

    response = rotate(client, store, created["id"], grace_hours=0)

    assert response.json()["previous_secret_expires_at"] is None
    new, previous, expires = endpoint_row(db, created["id"])
    assert (response.json()["secret"], previous, expires) == (new, None, None)


def test_another_stores_endpoint_cannot_be_rotated_and_keeps_its_secret(
        client, db, store, make_store):
    created = add_endpoint(client, store, "https://hooks.example/in")
    other = make_store("other")

    response = rotate(client, other, created["id"])

    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert endpoint_row(db, created["id"]) == (created["secret"], None, None)


def test_a_grace_longer_than_thirty_days_is_refused_and_nothing_changes(client, db, store):
    created = add_endpoint(client, store, "https://hooks.example/in")

    response = rotate(client, store, created["id"], grace_hours=721)

    assert response.status_code == 422
    assert endpoint_row(db, created["id"]) == (created["secret"], None, None)


def test_during_the_grace_a_delivery_carries_both_signatures_and_each_verifies(
        client, db, store, receiver):
    created = add_endpoint(client, store, f"http://127.0.0.1:{receiver.port}/hooks")
    new = rotate(client, store, created["id"]).json()["secret"]
    emit(db, store.id)

    run_jobs(db)

    [request] = receiver.requests
    header = request["headers"]["X-Afterward-Signature"]
    stamp = int(header.split(",")[0].removeprefix("t="))
    assert header == signature(new, request["body"], stamp, created["secret"])
    assert [part.partition("=")[0] for part in header.split(",")] == ["t", "v1", "v1"]
    assert verify(new, request["body"], header, now=time.time())
    assert verify(created["secret"], request["body"], header, now=time.time())
    assert not verify("whsec_someone_else", request["body"], header, now=time.time())


def test_after_the_grace_only_the_new_secret_signs(client, db, store, receiver):
    created = add_endpoint(client, store, f"http://127.0.0.1:{receiver.port}/hooks")
    new = rotate(client, store, created["id"]).json()["secret"]
    with db.transaction() as session:
        row = session.scalar(select(WebhookEndpoint))
        row.previous_expires_at = utcnow() - timedelta(seconds=1)
    emit(db, store.id)

    run_jobs(db)

    [request] = receiver.requests
    header = request["headers"]["X-Afterward-Signature"]
    stamp = int(header.split(",")[0].removeprefix("t="))
    assert header == signature(new, request["body"], stamp)
    assert verify(new, request["body"], header, now=time.time())
    assert not verify(created["secret"], request["body"], header, now=time.time())
