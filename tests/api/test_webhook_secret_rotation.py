"""An inbound webhook secret replaced by another: the old one still opens deliveries
during the grace period and is refused after it, for Shopify, every carrier, the
Twilio status callback and the email events webhook."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from afterward.commerce import stores
from afterward.commerce.models import Order, Store, WebhookSecret
from afterward.inbound.models import WebhookReceipt
from afterward.messaging import service
from afterward.storage.types import utcnow
from tests.api.test_webhooks_messaging import email_event, sms_callback
from tests.api.test_webhooks_shopify import deliver, resource, sign
from tests.tracking import payloads

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
OLD, NEW = "old-secret-0123456789", "new-secret-0123456789"
LONG_AGO = timedelta(hours=25)  # rotated this long ago, the default 24 h grace is over


def rotate(db, store_id: int, provider: str, *, grace: timedelta = stores.DEFAULT_GRACE,
           ago: timedelta = timedelta(0)) -> None:
    """OLD set first, then replaced by NEW `ago` before now."""
    with db.transaction() as session:
        store = session.get(Store, store_id)
        stores.set_webhook_secret(session, store=store, provider=provider, secret=OLD,
                                  now=utcnow() - ago - timedelta(days=1))
        stores.set_webhook_secret(session, store=store, provider=provider, secret=NEW,
                                  grace=grace, now=utcnow() - ago)


def secret_row(db, provider: str) -> tuple[str, str | None, datetime | None]:
    with db.reading() as session:
        row = session.scalar(select(WebhookSecret).where(WebhookSecret.provider == provider))
        return row.secret, row.previous_secret, row.previous_expires_at


def receipts(db) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(WebhookReceipt))


# --- the service ---------------------------------------------------------------------

def test_a_replaced_secret_is_kept_as_the_previous_one_for_the_grace_period(db, make_store):
    store = make_store("shop")
    with db.transaction() as session:
        row = session.get(Store, store.id)
        stores.set_webhook_secret(session, store=row, provider="shopify", secret=OLD, now=NOW)
        stores.set_webhook_secret(session, store=row, provider="shopify", secret=NEW,
                                  grace=timedelta(hours=6), now=NOW)

    assert secret_row(db, "shopify") == (NEW, OLD, NOW + timedelta(hours=6))
    with db.reading() as session:
        during = stores.accepted_webhook_secrets(session, store_id=store.id, provider="shopify",
                                                 now=NOW + timedelta(hours=5, minutes=59))
        after = stores.accepted_webhook_secrets(session, store_id=store.id, provider="shopify",
                                                now=NOW + timedelta(hours=6))
    assert (during, after) == ((NEW, OLD), (NEW,))


def test_the_default_grace_period_is_a_day(db, make_store):
    store = make_store("shop")
    with db.transaction() as session:
        row = session.get(Store, store.id)
        stores.set_webhook_secret(session, store=row, provider="generic", secret=OLD, now=NOW)
        stores.set_webhook_secret(session, store=row, provider="generic", secret=NEW, now=NOW)

    assert secret_row(db, "generic") == (NEW, OLD, NOW + timedelta(hours=24))


def test_a_zero_grace_replaces_the_secret_at_once(db, make_store):
    store = make_store("shop")

    rotate(db, store.id, "generic", grace=timedelta(0))

    assert secret_row(db, "generic") == (NEW, None, None)


def test_setting_the_same_secret_again_with_zero_grace_ends_the_old_ones_grace(
        db, make_store):
    store = make_store("shop")
    rotate(db, store.id, "generic")

    with db.transaction() as session:
        stores.set_webhook_secret(session, store=session.get(Store, store.id),
                                  provider="generic", secret=NEW, grace=timedelta(0))

    assert secret_row(db, "generic") == (NEW, None, None)


@pytest.mark.parametrize("grace", [timedelta(hours=-1), timedelta(days=31)])
def test_a_grace_period_out_of_range_is_refused_and_nothing_changes(db, make_store, grace):
    store = make_store("shop")
    with db.transaction() as session:
        stores.set_webhook_secret(session, store=session.get(Store, store.id),
                                  provider="generic", secret=OLD, now=NOW)

    with pytest.raises(stores.StoreError) as refused, db.transaction() as session:
        stores.set_webhook_secret(session, store=session.get(Store, store.id),
                                  provider="generic", secret=NEW, grace=grace)

    assert (refused.value.code, refused.value.field) == ("invalid", "grace")
    assert secret_row(db, "generic") == (OLD, None, None)


# --- Shopify ---------------------------------------------------------------------------

def test_shopify_deliveries_signed_with_either_secret_open_during_the_grace(
        client, db, make_store):
    make_store("shop")
    store_id = make_store("acme").id
    rotate(db, store_id, "shopify")
    body = json.dumps(resource("order")).encode()

    with_old = deliver(client, "orders/create", None, raw=body, signature=sign(body, OLD))
    with_new = deliver(client, "orders/create", None, raw=body, signature=sign(body, NEW))

    assert (with_old.status_code, with_old.json()) == (200, {"status": "applied"})
    assert (with_new.status_code, with_new.json()) == (200, {"status": "duplicate"})


def test_shopify_refuses_the_old_secret_once_the_grace_is_over(client, db, make_store):
    store_id = make_store("acme").id
    rotate(db, store_id, "shopify", ago=LONG_AGO)
    body = json.dumps(resource("order")).encode()

    response = deliver(client, "orders/create", None, raw=body, signature=sign(body, OLD))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    assert receipts(db) == 0
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 0


# --- carriers --------------------------------------------------------------------------

def carrier_post(client, provider: str, secret: str):
    body = json.dumps(payloads.webhook(provider)).encode()
    headers, query = payloads.signed(provider, body, secret=secret)
    return client.post(f"/api/v1/webhooks/carriers/{provider}/acme{query}", content=body,
                       headers={"Content-Type": "application/json", **headers})


@pytest.mark.parametrize("provider", ["easypost", "aftership", "shippo", "generic"])
def test_a_carrier_delivery_signed_with_the_old_secret_opens_during_the_grace(
        client, db, make_store, provider):
    rotate(db, make_store("acme").id, provider)

    response = carrier_post(client, provider, OLD)

    assert response.status_code in (200, 202)
    assert response.json()["status"] in ("applied", "held")
    assert receipts(db) == 1


@pytest.mark.parametrize("provider", ["easypost", "aftership", "shippo", "generic"])
def test_a_carrier_delivery_signed_with_the_old_secret_is_refused_after_the_grace(
        client, db, make_store, provider):
    rotate(db, make_store("acme").id, provider, ago=LONG_AGO)

    refused = carrier_post(client, provider, OLD)
    accepted = carrier_post(client, provider, NEW)

    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "invalid_signature")
    assert accepted.status_code in (200, 202)
    assert receipts(db) == 1


def test_the_old_secret_stops_the_moment_its_grace_ends_even_after_it_just_matched(
        client, db, make_store):
    # given the old secret accepted a moment ago (a process keeps a matched secret 5 s)
    rotate(db, make_store("acme").id, "generic")
    assert carrier_post(client, "generic", OLD).status_code in (200, 202)
    with db.transaction() as session:
        row = session.scalar(select(WebhookSecret))
        row.previous_expires_at = utcnow() - timedelta(seconds=1)

    # when it signs again
    response = carrier_post(client, "generic", OLD)

    # then it is refused at once
    assert response.status_code == 401
    assert receipts(db) == 1


# --- messaging reports -----------------------------------------------------------------

def sms_sent(db, store_id: int) -> int:
    with db.transaction() as session:
        message = service.queue_message(
            session, store_id=store_id, channel="sms", purpose="transactional",
            category="shipment_shipped", idempotency_key="k-sms", template_key="x",
            recipient="+4915112345678")
        message.status, message.provider_message_id = "sent", "SM0001"
        session.flush()
        return message.id


def test_twilio_callbacks_signed_with_the_old_token_apply_during_the_grace_only(
        client, db, make_store):
    store = make_store("acme")
    rotate(db, store.id, "twilio")
    message_id = sms_sent(db, store.id)
    params = {"MessageSid": "SM0001", "MessageStatus": "delivered"}

    during = sms_callback(client, "acme", params, token=OLD)
    with db.transaction() as session:
        session.scalar(select(WebhookSecret)).previous_expires_at = utcnow()
    after = sms_callback(client, "acme", params, token=OLD)

    assert (during.status_code, during.json()["message_id"]) == (200, message_id)
    assert (after.status_code, after.json()["error"]["code"]) == (401, "invalid_signature")


def test_email_events_signed_with_the_old_secret_apply_during_the_grace_only(
        client, db, make_store):
    store = make_store("acme")
    rotate(db, store.id, "generic")
    event = {"message_id": 999, "event": "delivered"}

    during = email_event(client, "acme", event, secret=OLD)
    with db.transaction() as session:
        session.scalar(select(WebhookSecret)).previous_expires_at = utcnow()
    after = email_event(client, "acme", event, secret=OLD)

    assert (during.status_code, during.json()["status"]) == (200, "ignored")
    assert (after.status_code, after.json()["error"]["code"]) == (401, "invalid_signature")
