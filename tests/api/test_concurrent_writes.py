"""Every write route under many concurrent clients, against a real `afterward serve`
process (API and in-process worker) on the test database, and again against two such
processes on one database with the clients spread over both (as behind a load
balancer): identical requests (redelivered webhooks, double clicks) and conflicting
ones. No 5xx, no hung request, and exactly the final state that one-at-a-time requests
would leave."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from afterward.api.webhooks_messaging import twilio_signature
from afterward.commerce import stores
from afterward.commerce.code_models import DiscountCode
from afterward.commerce.models import Customer, Order, OrderLine, Product
from afterward.events import Event
from afterward.inbound.models import WebhookReceipt
from afterward.jobs import Job
from afterward.journeys.models import Journey, JourneyVersion
from afterward.messaging.models import (
    Message,
    MessageTemplate,
    MessagingSettings,
    Suppression,
    WebhookEndpoint,
)
from afterward.messaging.tokens import CLICK, OPEN, UNSUBSCRIBE, LinkSigner
from afterward.returns import credit
from afterward.returns.models import ClaimedQuantity, RefundRequest, Return, ReturnPhoto
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking.models import Shipment, TrackingEvent
from tests.factories import order_body, product_body
from tests.servers import (
    SECRET_KEY,
    SERVER_COUNT_IDS,
    SERVER_COUNTS,
    Answer,
    Call,
    ServerProcess,
    fresh_database,
    hammer,
)
from tests.webhook_listeners import listening

pytestmark = pytest.mark.slow

SHOPIFY_SECRET, CARRIER_SECRET, TWILIO_TOKEN = "shpss_live", "generic-live", "twilio-live"
DATA = Path(__file__).parents[1] / "data"


@dataclass
class Served:
    url: str  # the public URL (the first server's), which signed webhooks are signed for
    urls: tuple[str, ...]  # every server's: hammer(served.urls, ...) spreads calls over them
    db: Database
    store_id: int
    auth: dict[str, str]


@pytest.fixture(scope="module", params=SERVER_COUNTS, ids=SERVER_COUNT_IDS)
def served(request: pytest.FixtureRequest, template_url: str,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    url = fresh_database(template_url, tmp_path_factory.mktemp("live"),
                         f"concurrent{request.param}")
    db = Database(url)
    with db.transaction() as session:
        store = stores.create_store(session, slug="busy", name="Busy", currency="EUR",
                                    timezone="UTC")
        key = stores.issue_api_key(session, store=store)
        for provider, secret in (("shopify", SHOPIFY_SECRET), ("generic", CARRIER_SECRET),
                                 ("twilio", TWILIO_TOKEN)):
            stores.set_webhook_secret(session, store=store, provider=provider, secret=secret)
        store_id = store.id
    listening(db, store_id)  # what the store raises is queued for its webhooks
    first = ServerProcess(url).wait_ready()
    servers = [first] + [ServerProcess(url, public_url=first.url).wait_ready()
                         for _ in range(request.param - 1)]
    yield Served(first.url, tuple(s.url for s in servers), db, store_id,
                 {"Authorization": f"Bearer {key}"})
    took = [server.terminate() for server in servers]
    db.dispose()
    assert max(took) < 15
    assert [server.errors_logged() for server in servers] == [""] * len(servers)


def count(db: Database, model: Any, *where: Any) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def statuses(answers: list[Answer]) -> Counter[int]:
    return Counter(a.status for a in answers)


def same(n: int, method: str, path: str, **options: Any) -> list[Call]:
    return [Call(method, path, options) for _ in range(n)]


def create_order(served: Served, number: str) -> int:
    answer = hammer(served.urls, [Call("POST", "/api/v1/orders", {
        "json": order_body(number), "headers": served.auth})], clients=1)[0]
    assert answer.status == 201, answer
    return int(answer.body["id"])


# --- orders, customers, products, shipments ------------------------------------------

def test_identical_order_creations_store_one_order_and_refuse_the_rest(served):
    answers = hammer(served.urls, same(24, "POST", "/api/v1/orders",
                                      json=order_body("SAME-1"), headers=served.auth))

    assert statuses(answers) == {201: 1, 409: 23}
    assert count(served.db, Order, Order.number == "SAME-1") == 1


def test_distinct_order_creations_all_succeed(served):
    calls = [Call("POST", "/api/v1/orders", {"json": order_body(f"MANY-{i}"),
                                             "headers": served.auth}) for i in range(48)]

    answers = hammer(served.urls, calls)

    assert statuses(answers) == {201: 48}
    assert count(served.db, Order, Order.number.like("MANY-%")) == 48
    assert count(served.db, Event, Event.name == "order.created",
                 Event.store_id == served.store_id) >= 48


def test_conflicting_upserts_of_one_order_leave_one_whole_version(served):
    two_lines = order_body("CONFLICT-1", lines=[
        {"sku": "A", "title": "A", "quantity": 1, "unit_price_minor": 100},
        {"sku": "B", "title": "B", "quantity": 1, "unit_price_minor": 200}])
    one_line = order_body("CONFLICT-1", lines=[
        {"sku": "C", "title": "C", "quantity": 5, "unit_price_minor": 300}])
    calls = [Call("POST", "/api/v1/orders?upsert=true",
                  {"json": two_lines if i % 2 else one_line, "headers": served.auth})
             for i in range(24)]

    answers = hammer(served.urls, calls)

    assert statuses(answers) == {201: 1, 200: 23}
    stored = hammer(served.urls, [Call("GET", "/api/v1/orders?number=CONFLICT-1",
                                      {"headers": served.auth})], clients=1)[0]
    [order] = stored.body["items"]
    skus = sorted(line["sku"] for line in order["lines"])
    assert skus in (["A", "B"], ["C"])
    assert order["subtotal_minor"] == (300 if skus == ["A", "B"] else 1500)


def test_cancelling_one_order_many_times_cancels_it_once(served):
    order_id = create_order(served, "CANCEL-1")

    answers = hammer(served.urls, same(16, "POST", f"/api/v1/orders/{order_id}/cancel",
                                      headers=served.auth))

    assert statuses(answers) == {200: 16}
    assert {a.body["status"] for a in answers} == {"cancelled"}
    assert count(served.db, Event, Event.name == "order.cancelled",
                 Event.subject_id == order_id) == 1


def test_identical_customer_upserts_store_one_customer(served):
    body = {"email": "twin@example.com", "first_name": "Twin"}

    answers = hammer(served.urls, same(24, "POST", "/api/v1/customers", json=body,
                                      headers=served.auth))

    assert statuses(answers) == {201: 1, 200: 23}
    assert len({a.body["id"] for a in answers}) == 1
    assert count(served.db, Customer, Customer.email == "twin@example.com") == 1


def test_identical_product_upserts_store_one_product(served):
    answers = hammer(served.urls, same(24, "POST", "/api/v1/products",
                                      json=product_body("TWIN-1"), headers=served.auth))

    assert statuses(answers) == {201: 1, 200: 23}
    assert count(served.db, Product, Product.external_id == "p-TWIN-1") == 1


def test_identical_shipments_store_one_shipment(served):
    order_id = create_order(served, "SHIP-1")
    body = {"order_id": order_id, "tracking_number": "TWIN0001", "carrier": "dhl"}

    answers = hammer(served.urls, same(24, "POST", "/api/v1/shipments", json=body,
                                      headers=served.auth))

    assert server_statuses_ok(answers)
    assert len({a.body["id"] for a in answers}) == 1
    assert count(served.db, Shipment, Shipment.tracking_number == "TWIN0001") == 1


def server_statuses_ok(answers: list[Answer]) -> bool:
    return set(statuses(answers)) <= {200, 201}


# --- webhooks in -----------------------------------------------------------------------

def shopify_call(served: Served, topic: str, body: bytes) -> Call:
    signature = base64.b64encode(hmac.new(SHOPIFY_SECRET.encode(), body,
                                          hashlib.sha256).digest()).decode()
    return Call("POST", "/api/v1/webhooks/shopify/busy", {"content": body, "headers": {
        "X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": signature,
        "Content-Type": "application/json"}})


def test_a_shopify_order_delivered_many_times_at_once_is_applied_once(served):
    body = json.dumps(json.loads((DATA / "shopify" / "order.json").read_text())["order"]).encode()

    answers = hammer(served.urls, [shopify_call(served, "orders/create", body)] * 24)

    assert statuses(answers) == {200: 24}
    outcomes = Counter(a.body["status"] for a in answers)
    assert outcomes["duplicate"] == 23
    external_id = str(json.loads(body)["id"])
    assert count(served.db, Order, Order.external_id == external_id) == 1
    assert count(served.db, WebhookReceipt, WebhookReceipt.provider == "shopify") == 1


def test_a_sign_up_told_by_many_different_deliveries_at_once_opens_one_account(served):
    customer = json.loads((DATA / "shopify" / "customer.json").read_text())["customer"]
    customer.update(id=880011, email="signup.race@example.com")
    # a customers/create and eleven customers/update, each body different (Shopify's
    # updated_at moves), so the receipts let every one of them through
    calls = [shopify_call(served, "customers/create",
                          json.dumps({**customer, "state": "enabled"}).encode())]
    calls += [shopify_call(served, "customers/update", json.dumps({
        **customer, "state": "enabled", "updated_at": f"2015-05-28T10:{minute:02d}:00Z"
    }).encode()) for minute in range(11)]

    answers = hammer(served.urls, calls * 2)

    assert statuses(answers) == {200: 24}
    assert Counter(a.body["status"] for a in answers) == {"applied": 12, "duplicate": 12}
    assert count(served.db, Customer, Customer.external_id == "880011") == 1
    with served.db.reading() as session:
        customer_id = session.scalar(select(Customer.id).where(
            Customer.external_id == "880011"))
    assert count(served.db, Event, Event.name == "customer.account_opened",
                 Event.subject_id == customer_id) == 1


def carrier_call(body: bytes) -> Call:
    digest = hmac.new(CARRIER_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return Call("POST", "/api/v1/webhooks/carriers/generic/busy", {"content": body, "headers": {
        "X-Afterward-Signature": f"sha256={digest}", "Content-Type": "application/json"}})


def test_a_carrier_update_delivered_many_times_at_once_adds_its_events_once(served):
    order_id = create_order(served, "TRACK-1")
    payload = json.loads((DATA / "generic" / "tracking.json").read_text())
    hammer(served.urls, [Call("POST", "/api/v1/shipments", {"json": {
        "order_id": order_id, "tracking_number": payload["tracking_number"],
        "carrier": "ups"}, "headers": served.auth})], clients=1)
    body = json.dumps(payload).encode()

    answers = hammer(served.urls, [carrier_call(body)] * 24)

    assert statuses(answers) == {200: 24}
    assert Counter(a.body["status"] for a in answers) == {"applied": 1, "duplicate": 23}
    with served.db.reading() as session:
        shipment = session.scalar(select(Shipment).where(
            Shipment.tracking_number == payload["tracking_number"]))
        assert shipment.status == "delivered"
    # the label made (POST /shipments) and the carrier's five scans
    assert count(served.db, TrackingEvent, TrackingEvent.shipment_id == shipment.id) == 6


@pytest.fixture(scope="module")
def sent_messages(served: Served) -> dict[str, int]:
    with served.db.transaction() as session:
        ada = Customer(store_id=served.store_id, email="sent@example.com",
                       phone="+4915112345678")
        session.add(ada)
        session.flush()
        ids = {"customer": ada.id}
        for channel, recipient in (("sms", "+4915112345678"), ("email", "sent@example.com")):
            message = Message(store_id=served.store_id, channel=channel, purpose="marketing",
                              category="win_back", idempotency_key=f"live-{channel}",
                              template_key="x", customer_id=ada.id, recipient=recipient,
                              status="sent")
            if channel == "sms":
                message.provider_message_id = "SMLIVE1"
            session.add(message)
            session.flush()
            ids[channel] = message.id
        return ids


def test_an_sms_delivery_report_delivered_many_times_marks_the_message_once(
        served, sent_messages):
    params = {"MessageSid": "SMLIVE1", "MessageStatus": "delivered"}
    url = f"{served.url}/api/v1/webhooks/sms/busy"
    call = Call("POST", "/api/v1/webhooks/sms/busy", {"data": params, "headers": {
        "X-Twilio-Signature": twilio_signature(TWILIO_TOKEN, url, params)}})

    answers = hammer(served.urls, [call] * 16)

    assert statuses(answers) == {200: 16}
    with served.db.reading() as session:
        assert session.get(Message, sent_messages["sms"]).status == "delivered"


def email_event_call(body: dict[str, Any]) -> Call:
    raw = json.dumps(body).encode()
    digest = hmac.new(CARRIER_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return Call("POST", "/api/v1/webhooks/email-events/busy", {"content": raw, "headers": {
        "X-Afterward-Signature": f"sha256={digest}", "Content-Type": "application/json"}})


def test_an_email_bounce_reported_many_times_lists_the_address_once(served, sent_messages):
    call = email_event_call({"event": "bounced", "bounce_type": "hard",
                             "message_id": sent_messages["email"]})

    answers = hammer(served.urls, [call] * 16)

    assert statuses(answers) == {200: 16}
    assert count(served.db, Suppression, Suppression.address == "sent@example.com") == 1
    with served.db.reading() as session:
        assert session.get(Message, sent_messages["email"]).status == "bounced"


# --- messaging ---------------------------------------------------------------------------

def test_one_message_requested_many_times_is_queued_once(served, sent_messages):
    body = {"channel": "email", "category": "receipt", "template_key": "order_confirmation",
            "idempotency_key": "double-click-1", "customer_id": sent_messages["customer"]}

    answers = hammer(served.urls, same(24, "POST", "/api/v1/messages", json=body,
                                      headers=served.auth))

    assert server_statuses_ok(answers)
    assert len({a.body["id"] for a in answers}) == 1
    assert count(served.db, Message, Message.idempotency_key == "double-click-1") == 1


def test_one_template_saved_many_times_at_once_is_one_version(served):
    body = {"subject": "Hi {{ customer.first_name }}",
            "body": "<mjml><mj-body><mj-section><mj-column><mj-text>Hello</mj-text>"
                    "</mj-column></mj-section></mj-body></mjml>"}

    answers = hammer(served.urls, same(16, "PUT", "/api/v1/templates/live_hello/email/en",
                                      json=body, headers=served.auth))

    assert statuses(answers) == {201: 1, 200: 15}
    assert count(served.db, MessageTemplate, MessageTemplate.key == "live_hello") == 1


def test_different_templates_saved_at_once_each_get_their_own_version(served):
    calls = [Call("PUT", "/api/v1/templates/live_many/sms/en", {
        "json": {"body": f"Version {i}"}, "headers": served.auth}) for i in range(12)]

    answers = hammer(served.urls, calls, clients=12)

    assert statuses(answers) == {201: 12}
    with served.db.reading() as session:
        versions = sorted(session.scalars(select(MessageTemplate.version).where(
            MessageTemplate.key == "live_many")))
    assert versions == list(range(1, 13))


def test_conflicting_sending_settings_leave_one_of_them_whole(served):
    quiet = {"quiet_start": "20:00", "quiet_end": "09:00"}
    loud = {"quiet_start": "23:00", "quiet_end": "06:00"}
    current = hammer(served.urls, [Call("GET", "/api/v1/messaging/settings",
                                       {"headers": served.auth})], clients=1)[0].body
    calls = [Call("PUT", "/api/v1/messaging/settings", {
        "json": {**current, **(quiet if i % 2 else loud)}, "headers": served.auth})
        for i in range(16)]

    answers = hammer(served.urls, calls)

    assert statuses(answers) == {200: 16}
    assert count(served.db, MessagingSettings,
                 MessagingSettings.store_id == served.store_id) == 1
    final = hammer(served.urls, [Call("GET", "/api/v1/messaging/settings",
                                     {"headers": served.auth})], clients=1)[0].body
    assert (final["quiet_start"], final["quiet_end"]) in (("20:00", "09:00"), ("23:00", "06:00"))


def test_one_address_suppressed_many_times_is_listed_once_and_removed_once(served):
    body = {"channel": "email", "address": "gone@example.com"}

    added = hammer(served.urls, same(16, "POST", "/api/v1/suppressions", json=body,
                                    headers=served.auth))
    removed = hammer(served.urls, same(16, "DELETE", "/api/v1/suppressions", params=body,
                                      headers=served.auth))

    assert statuses(added) == {201: 16}
    assert Counter(a.body["added"] for a in added) == {True: 1, False: 15}
    assert statuses(removed) == {200: 16}
    assert sum(a.body["removed"] for a in removed) == 1
    assert count(served.db, Suppression, Suppression.address == "gone@example.com") == 0


def test_one_webhook_endpoint_added_many_times_is_one_endpoint(served):
    body = {"url": "https://hooks.example.com/afterward", "events": ["order.created"]}

    answers = hammer(served.urls, same(16, "POST", "/api/v1/webhook-endpoints", json=body,
                                      headers=served.auth))

    assert statuses(answers) == {201: 1, 200: 15}
    assert len({a.body["id"] for a in answers}) == 1
    assert count(served.db, WebhookEndpoint, WebhookEndpoint.store_id == served.store_id,
                 WebhookEndpoint.url == body["url"]) == 1


def test_an_endpoint_rotated_by_many_clients_at_once_keeps_one_chain_of_secrets(served):
    created = hammer(served.urls, [Call("POST", "/api/v1/webhook-endpoints", {
        "json": {"url": "https://hooks.example.com/rotated"}, "headers": served.auth})],
        clients=1)[0]
    endpoint_id = created.body["id"]

    answers = hammer(served.urls, same(
        16, "POST", f"/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret",
        json={"grace_hours": 1}, headers=served.auth))

    assert statuses(answers) == {200: 16}
    answered = {a.body["secret"] for a in answers}
    assert len(answered) == 16 and created.body["secret"] not in answered
    with served.db.reading() as session:
        row = session.get(WebhookEndpoint, endpoint_id)
        # one after the other: the last rotation's secret, the one before it as previous
        assert row.secret in answered
        assert row.previous_secret in answered - {row.secret}


def signed_link(kind: str, message_id: int, target: str | None = None) -> str:
    return LinkSigner(SECRET_KEY, "http://unused").token(kind, message_id, target)


def test_opens_and_clicks_from_many_clients_are_all_counted(served, sent_messages):
    message_id = sent_messages["email"]
    opens = same(20, "GET", f"/m/o/{signed_link(OPEN, message_id)}.gif")
    clicks = same(20, "GET", f"/m/c/{signed_link(CLICK, message_id, 'https://shop.example')}",
                  follow_redirects=False)

    answers = hammer(served.urls, opens + clicks)

    assert statuses(answers) == {200: 20, 302: 20}
    with served.db.reading() as session:
        message = session.get(Message, message_id)
        assert (message.open_count, message.click_count) == (20, 20)


def test_an_unsubscribe_clicked_many_times_suppresses_the_address_once(served, sent_messages):
    token = signed_link(UNSUBSCRIBE, sent_messages["sms"])

    answers = hammer(served.urls, same(16, "POST", f"/m/u/{token}",
                                      data={"List-Unsubscribe": "One-Click"}))

    assert statuses(answers) == {200: 16}
    assert count(served.db, Suppression, Suppression.address == "+4915112345678") == 1


# --- journeys, jobs, privacy ---------------------------------------------------------------

def test_built_in_journeys_installed_many_times_at_once_exist_once(served):
    answers = hammer(served.urls, same(8, "POST", "/api/v1/journeys/install-builtins",
                                      headers=served.auth))

    assert statuses(answers) == {200: 8}
    installed = {item["key"] for item in answers[0].body["items"]}
    assert count(served.db, Journey, Journey.store_id == served.store_id) == len(installed)
    with served.db.reading() as session:
        versions = session.scalar(select(func.count()).select_from(JourneyVersion).join(
            Journey).where(Journey.store_id == served.store_id))
    assert versions == len(installed)


def test_one_journey_saved_many_times_at_once_is_one_version(served):
    definition = {"name": "Live thanks", "trigger": {"event": "order.created"},
                  "steps": [{"key": "thank", "send": {"channel": "email",
                                                "template": "order_confirmation"}}]}

    answers = hammer(served.urls, same(16, "PUT", "/api/v1/journeys/live-thanks",
                                      json=definition, headers=served.auth))

    assert statuses(answers) == {201: 1, 200: 15}
    with served.db.reading() as session:
        journey = session.scalar(select(Journey).where(Journey.key == "live-thanks"))
        assert count(served.db, JourneyVersion, JourneyVersion.journey_id == journey.id) == 1


def test_a_journey_switched_on_and_off_at_once_ends_in_one_state(served):
    definition = {"name": "Live switch", "trigger": {"event": "order.created"},
                  "steps": [{"key": "thank", "send": {"channel": "email",
                                                "template": "order_confirmation"}}]}
    hammer(served.urls, [Call("PUT", "/api/v1/journeys/live-switch",
                             {"json": definition, "headers": served.auth})], clients=1)
    enable = Call("POST", "/api/v1/journeys/live-switch/enable", {"headers": served.auth})
    disable = Call("POST", "/api/v1/journeys/live-switch/disable", {"headers": served.auth})
    calls = [enable, disable] * 8

    answers = hammer(served.urls, calls)

    assert statuses(answers) == {200: 16}
    with served.db.reading() as session:
        journey = session.scalar(select(Journey).where(Journey.key == "live-switch"))
        assert journey.enabled in (True, False)


def test_a_dead_job_retried_many_times_at_once_is_queued_once(served):
    with served.db.transaction() as session:
        job = Job(store_id=served.store_id, kind="test.nothing", payload={}, status="dead",
                  attempts=8, max_attempts=8, last_error="boom")
        session.add(job)
        session.flush()
        job_id = job.id

    answers = hammer(served.urls, same(16, "POST", f"/api/v1/jobs/{job_id}/retry",
                                      headers=served.auth))

    # The in-process worker takes the job at once and, with no handler for its kind,
    # buries it again, so a later click may retry it again: each 200 is one retry of a
    # dead job, every other answer says it was not dead, and it stays one job.
    assert set(statuses(answers)) <= {200, 409}
    assert statuses(answers)[200] >= 1
    assert {a.body["error"]["code"] for a in answers if a.status == 409} <= {"not_dead"}
    assert count(served.db, Job, Job.kind == "test.nothing") == 1


def test_one_customer_erased_many_times_at_once_is_erased_once(served):
    created = hammer(served.urls, [Call("POST", "/api/v1/customers", {
        "json": {"email": "erase-me@example.com"}, "headers": served.auth})], clients=1)[0]
    customer_id = created.body["id"]

    answers = hammer(served.urls, same(8, "POST", f"/api/v1/customers/{customer_id}/erase",
                                      headers=served.auth))

    assert statuses(answers) == {200: 8}
    assert count(served.db, Customer, Customer.email == "erase-me@example.com") == 0
    assert count(served.db, Event, Event.name == "customer.erased",
                 Event.subject_id == customer_id) == 1


# --- returns -----------------------------------------------------------------------------

def returnable_order(served: Served, number: str, cups: int = 3) -> int:
    """An order placed yesterday of `cups` cups (CUP-R, tracked stock) and a mug,
    delivered this morning, by a customer of its own."""
    now = utcnow()
    product = {"external_id": "p-cup-r", "title": "Cup", "category": "home", "variants": [
        {"sku": "CUP-R", "price_minor": 300, "currency": "EUR", "inventory_quantity": 100}]}
    email = f"{number.lower()}@example.com"  # a customer each: no history to review
    body = order_body(number, placed_at=(now - timedelta(days=1)).isoformat(), email=email,
                      customer={"email": email}, lines=[
        {"sku": "CUP-R", "title": "Cup", "quantity": cups, "unit_price_minor": 300},
        {"sku": "MUG-R", "title": "Mug", "quantity": 1, "unit_price_minor": 1200}])
    answers = hammer(served.urls, [
        Call("POST", "/api/v1/products", {"json": product, "headers": served.auth})], clients=1)
    assert answers[0].status in (200, 201), answers
    order_id = create_order_from(served, body)
    shipped = hammer(served.urls, [Call("POST", "/api/v1/shipments", {"headers": served.auth,
                     "json": {"order_id": order_id, "tracking_number": f"RET{number}",
                              "carrier": "dhl", "status": "delivered",
                              "shipped_at": (now - timedelta(hours=3)).isoformat()}})],
                     clients=1)[0]
    assert shipped.status == 201, shipped
    return order_id


def create_order_from(served: Served, body: dict[str, Any]) -> int:
    answer = hammer(served.urls, [Call("POST", "/api/v1/orders", {
        "json": body, "headers": served.auth})], clients=1)[0]
    assert answer.status == 201, answer
    return int(answer.body["id"])


def return_body(number: str, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return {"order_number": number, "resolution": "refund", **extra,
            "lines": [{"sku": "CUP-R", "quantity": quantity, "reason": "changed_mind"}]}


def put_policy(served: Served, **policy: Any) -> None:
    answer = hammer(served.urls, [Call("PUT", "/api/v1/returns/policy", {
        "json": policy, "headers": served.auth})], clients=1)[0]
    assert answer.status == 200, answer


def one_return(served: Served, number: str, **policy: Any) -> int:
    returnable_order(served, number)
    put_policy(served, **policy)
    try:
        answer = hammer(served.urls, [Call("POST", "/api/v1/returns", {
            "json": return_body(number), "headers": served.auth})], clients=1)[0]
    finally:
        put_policy(served)
    assert answer.status == 201, answer
    return int(answer.body["id"])


def test_policies_put_at_once_leave_one_whole_policy(served):
    calls = [Call("PUT", "/api/v1/returns/policy", {"json": {
        "window_days": days, "store_credit_bonus_percent": days}, "headers": served.auth})
        for days in range(10, 34)]

    answers = hammer(served.urls, calls)

    assert statuses(answers) == {200: 24}
    stored = hammer(served.urls, [Call("GET", "/api/v1/returns/policy", {
        "headers": served.auth})], clients=1)[0].body
    assert stored["window_days"] == stored["store_credit_bonus_percent"]
    put_policy(served)


def test_one_return_sent_many_times_with_its_idempotency_key_is_made_once(served):
    returnable_order(served, "RET-KEY")
    headers = {**served.auth, "Idempotency-Key": "portal-RET-KEY"}

    answers = hammer(served.urls, same(16, "POST", "/api/v1/returns",
                                      json=return_body("RET-KEY"), headers=headers))

    assert statuses(answers) == {201: 1, 200: 15}
    assert len({a.body["id"] for a in answers}) == 1
    assert count(served.db, Return, Return.idempotency_key == "portal-RET-KEY") == 1


def test_the_same_return_sent_many_times_without_a_key_is_made_once(served):
    order_id = returnable_order(served, "RET-SAME")

    answers = hammer(served.urls, same(16, "POST", "/api/v1/returns",
                                      json=return_body("RET-SAME", 3), headers=served.auth))

    assert statuses(answers) == {201: 1, 422: 15}
    assert {a.body["error"]["code"] for a in answers if a.status == 422} == {"already_returned"}
    assert count(served.db, Return, Return.order_id == order_id) == 1


def test_returns_of_one_line_at_once_never_claim_more_than_was_bought(served):
    order_id = returnable_order(served, "RET-SPLIT", cups=3)

    answers = hammer(served.urls, same(12, "POST", "/api/v1/returns",
                                      json=return_body("RET-SPLIT", 1), headers=served.auth))

    assert statuses(answers) == {201: 3, 422: 9}
    assert count(served.db, Return, Return.order_id == order_id) == 3
    with served.db.reading() as session:
        assert list(session.scalars(select(ClaimedQuantity.claimed).join(
            OrderLine, OrderLine.id == ClaimedQuantity.order_line_id)
            .where(OrderLine.order_id == order_id))) == [3]


def test_approving_one_return_many_times_approves_it_once(served):
    return_id = one_return(served, "RET-APPROVE", auto_approve=False)

    answers = hammer(served.urls, same(16, "POST", f"/api/v1/returns/{return_id}/approve",
                                      headers=served.auth))

    assert statuses(answers) == {200: 1, 409: 15}
    assert count(served.db, Event, Event.name == "return.approved",
                 Event.subject_id == return_id) == 1


def test_rejecting_one_return_many_times_rejects_it_once(served):
    return_id = one_return(served, "RET-REJECT", auto_approve=False)

    answers = hammer(served.urls, same(16, "POST", f"/api/v1/returns/{return_id}/reject",
                                      json={"reason": "worn"}, headers=served.auth))

    assert statuses(answers) == {200: 1, 409: 15}
    assert count(served.db, Event, Event.name == "return.rejected",
                 Event.subject_id == return_id) == 1


def test_receiving_one_return_many_times_refunds_it_once(served):
    return_id = one_return(served, "RET-RECEIVE")
    body = {"lines": [{"sku": "CUP-R", "quantity": 1, "condition": "new", "restock": True}]}

    answers = hammer(served.urls, same(16, "POST", f"/api/v1/returns/{return_id}/receive",
                                      json=body, headers=served.auth))

    assert statuses(answers) == {200: 1, 409: 15}
    assert count(served.db, RefundRequest, RefundRequest.return_id == return_id) == 1
    assert count(served.db, Job, Job.kind == "webhooks.publish",
                 Job.dedupe_key.like("returns.refund:%")) >= 1
    assert count(served.db, Event, Event.name == "return.resolved",
                 Event.subject_id == return_id) == 1


def test_photos_sent_at_once_to_one_line_keep_three_and_approve_it_once(served):
    from tests.returns.test_photo_files import png

    returnable_order(served, "RET-PHOTOS")
    made = hammer(served.urls, [Call("POST", "/api/v1/returns", {
        "json": {**return_body("RET-PHOTOS"), "lines": [
            {"sku": "CUP-R", "quantity": 1, "reason": "damaged"}]},
        "headers": served.auth})], clients=1)[0]
    assert (made.status, made.body["status"]) == (201, "requested"), made
    return_id = made.body["id"]

    answers = hammer(served.urls, same(
        12, "POST", f"/api/v1/returns/{return_id}/photos", data={"sku": "CUP-R"},
        files=[("file", ("cup.png", png(), "image/png"))], headers=served.auth))

    assert statuses(answers) == {201: 3, 422: 9}
    assert {a.body["error"]["code"] for a in answers if a.status == 422} == {
        "too_many_photos"}
    assert count(served.db, ReturnPhoto, ReturnPhoto.return_id == return_id) == 3
    assert count(served.db, Event, Event.name == "return.approved",
                 Event.subject_id == return_id) == 1


def test_one_parcel_s_tracking_number_told_many_times_tracks_one_parcel(served):
    return_id = one_return(served, "RET-PARCEL")

    answers = hammer(served.urls, same(16, "POST", f"/api/v1/returns/{return_id}/tracking",
                                      json={"tracking_number": "JJDRETPARCEL"},
                                      headers=served.auth))

    assert statuses(answers) == {200: 1, 409: 15}
    assert count(served.db, Shipment, Shipment.tracking_number == "JJDRETPARCEL",
                 Shipment.direction == "inbound") == 1
    assert count(served.db, Event, Event.name == "return.label_issued",
                 Event.subject_id == return_id) == 1


# --- store credit spent as gift codes ------------------------------------------------------

def credited_customer(served: Served, email: str, amount: int) -> int:
    created = hammer(served.urls, [Call("POST", "/api/v1/customers", {
        "json": {"email": email}, "headers": served.auth})], clients=1)[0]
    customer_id = int(created.body["id"])
    with served.db.transaction() as session:
        credit.post(session, store_id=served.store_id, customer_id=customer_id,
                    currency="EUR", amount_minor=amount, kind="adjustment", key=f"grant:{email}")
    return customer_id


def credit_balance(served: Served, customer_id: int) -> int:
    with served.db.reading() as session:
        return credit.balance(session, store_id=served.store_id, customer_id=customer_id,
                              currency="EUR").balance_minor


def test_codes_issued_at_once_from_one_balance_never_overdraw_it(served):
    customer_id = credited_customer(served, "spend-many@example.com", 2000)
    calls = [Call("POST", f"/api/v1/customers/{customer_id}/store-credit/codes", {
        "json": {"amount_minor": 500, "idempotency_key": f"spend-{n}"},
        "headers": served.auth}) for n in range(12)]

    answers = hammer(served.urls, calls)

    assert statuses(answers) == {201: 4, 422: 8}
    assert {a.body["error"]["code"] for a in answers if a.status == 422} == {
        "insufficient_credit"}
    assert credit_balance(served, customer_id) == 0
    assert count(served.db, DiscountCode, DiscountCode.customer_id == customer_id) == 4


def test_one_code_asked_for_many_times_with_its_key_is_issued_once(served):
    customer_id = credited_customer(served, "spend-once@example.com", 2000)

    answers = hammer(served.urls, same(
        16, "POST", f"/api/v1/customers/{customer_id}/store-credit/codes",
        json={"amount_minor": 700, "idempotency_key": "one"}, headers=served.auth))

    assert statuses(answers) == {201: 1, 200: 15}
    assert len({a.body["code"] for a in answers}) == 1
    assert credit_balance(served, customer_id) == 1300


def test_one_code_cancelled_many_times_gives_its_credit_back_once(served):
    customer_id = credited_customer(served, "cancel-many@example.com", 500)
    code = hammer(served.urls, [Call(
        "POST", f"/api/v1/customers/{customer_id}/store-credit/codes",
        {"json": {"amount_minor": 500, "idempotency_key": "c"}, "headers": served.auth})],
        clients=1)[0].body["code"]

    answers = hammer(served.urls, same(
        16, "POST", f"/api/v1/customers/{customer_id}/store-credit/codes/{code}/cancel",
        headers=served.auth))

    assert statuses(answers) == {200: 1, 409: 15}
    assert credit_balance(served, customer_id) == 500
    with served.db.reading() as session:
        assert [e.kind for e in credit.balance(session, store_id=served.store_id,
                                               customer_id=customer_id,
                                               currency="EUR").entries] == [
            "code_cancelled", "spend", "adjustment"]
def loyal_customer(served: Served, email: str, points: int) -> int:
    answer = hammer(served.urls, [Call("POST", "/api/v1/customers", {
        "json": {"email": email}, "headers": served.auth})], clients=1)[0]
    assert answer.status in (200, 201), answer
    customer_id = int(answer.body["id"])
    given = hammer(served.urls, [Call("POST", "/api/v1/loyalty/adjustments", {
        "json": {"customer_id": customer_id, "points": points, "reason": "start",
                 "idempotency_key": f"start-{email}"}, "headers": served.auth})], clients=1)[0]
    assert given.status == 201, given
    return customer_id


def loyalty_of(served: Served, customer_id: int) -> dict[str, Any]:
    answer = hammer(served.urls, [Call("GET", f"/api/v1/customers/{customer_id}/loyalty", {
        "headers": served.auth})], clients=1)[0]
    return dict(answer.body)


def test_loyalty_programs_put_at_once_leave_one_whole_program(served):
    calls = [Call("PUT", "/api/v1/loyalty/program", {"json": {
        "points_per_currency_unit": n, "pending_days": n, "campaigns": [{
            "key": f"c{n}", "name": f"Campaign {n}", "multiplier_percent": 100 + n,
            "starts_at": "2027-01-01T00:00:00Z", "ends_at": "2027-01-02T00:00:00Z"}]},
        "headers": served.auth}) for n in range(10, 34)]

    answers = hammer(served.urls, calls)

    assert statuses(answers) == {200: 24}
    stored = hammer(served.urls, [Call("GET", "/api/v1/loyalty/program", {
        "headers": served.auth})], clients=1)[0].body
    n = stored["points_per_currency_unit"]
    assert stored["pending_days"] == n
    assert [(c["key"], c["multiplier_percent"]) for c in stored["campaigns"]] == [
        (f"c{n}", 100 + n)]


def test_concurrent_points_taken_never_overdraw_the_balance(served):
    customer_id = loyal_customer(served, "spender@example.com", 100)
    calls = [Call("POST", "/api/v1/loyalty/adjustments", {"json": {
        "customer_id": customer_id, "points": -10, "reason": "spent",
        "idempotency_key": f"spend-{n}"}, "headers": served.auth}) for n in range(24)]

    answers = hammer(served.urls, calls)

    assert statuses(answers) == {201: 10, 422: 14}
    assert {a.body["error"]["code"] for a in answers if a.status == 422} == {
        "insufficient_points"}
    found = loyalty_of(served, customer_id)
    assert (found["points_balance"], len(found["entries"])) == (0, 11)


def test_one_adjustment_sent_many_times_at_once_is_one_entry(served):
    customer_id = loyal_customer(served, "twice@example.com", 5)

    answers = hammer(served.urls, same(16, "POST", "/api/v1/loyalty/adjustments", json={
        "customer_id": customer_id, "points": 40, "reason": "late parcel",
        "idempotency_key": "sorry-once"}, headers=served.auth))

    assert statuses(answers) == {201: 1, 200: 15}
    assert len({a.body["id"] for a in answers}) == 1
    found = loyalty_of(served, customer_id)
    assert (found["points_balance"], len(found["entries"])) == (45, 2)


def rewards_program(served: Served) -> None:
    put = hammer(served.urls, [Call("PUT", "/api/v1/loyalty/program", {"json": {
        "rewards": [{"key": "ten-off", "name": "10 off", "points": 100,
                     "discount_minor": 1000}]}, "headers": served.auth})], clients=1)[0]
    assert put.status == 200, put


def test_concurrent_redemptions_from_one_balance_never_overdraw_it(served):
    rewards_program(served)
    customer_id = loyal_customer(served, "redeem-many@example.com", 450)
    calls = [Call("POST", "/api/v1/loyalty/redemptions", {"json": {
        "customer_id": customer_id, "reward": "ten-off", "idempotency_key": f"r-{n}"},
        "headers": served.auth}) for n in range(12)]

    answers = hammer(served.urls, calls)

    assert statuses(answers) == {201: 4, 422: 8}
    assert {a.body["error"]["code"] for a in answers if a.status == 422} == {
        "insufficient_points"}
    assert len({a.body["code"] for a in answers if a.status == 201}) == 4
    found = loyalty_of(served, customer_id)
    assert (found["points_balance"], len(found["entries"])) == (50, 5)
    assert count(served.db, DiscountCode, DiscountCode.customer_id == customer_id) == 4


def test_one_redemption_sent_many_times_with_its_key_is_one_code(served):
    rewards_program(served)
    customer_id = loyal_customer(served, "redeem-once@example.com", 450)

    answers = hammer(served.urls, same(16, "POST", "/api/v1/loyalty/redemptions", json={
        "customer_id": customer_id, "reward": "ten-off", "idempotency_key": "one"},
        headers=served.auth))

    assert statuses(answers) == {201: 1, 200: 15}
    assert len({a.body["code"] for a in answers}) == 1
    found = loyalty_of(served, customer_id)
    assert (found["points_balance"], len(found["entries"])) == (350, 2)


def test_one_redemption_refunded_many_times_at_once_gives_its_points_back_once(served):
    rewards_program(served)
    customer_id = loyal_customer(served, "refund-many@example.com", 100)
    code = hammer(served.urls, [Call("POST", "/api/v1/loyalty/redemptions", {"json": {
        "customer_id": customer_id, "reward": "ten-off", "idempotency_key": "c"},
        "headers": served.auth})], clients=1)[0].body["code"]

    answers = hammer(served.urls, same(
        16, "POST", f"/api/v1/loyalty/redemptions/{code}/refund", headers=served.auth))

    assert statuses(answers) == {200: 1, 409: 15}
    assert {a.body["error"]["code"] for a in answers if a.status == 409} == {
        "invalid_status"}
    found = loyalty_of(served, customer_id)
    assert (found["points_balance"], [e["points"] for e in found["entries"]]) == (
        100, [100, -100, 100])


def referral_program(served: Served, review_after: int = 1000) -> int:
    put = hammer(served.urls, [Call("PUT", "/api/v1/loyalty/program", {"json": {
        "referral": {"enabled": True, "referrer_points": 100, "friend_discount_minor": 500,
                     "review_after": review_after}}, "headers": served.auth})], clients=1)[0]
    assert put.status == 200, put
    return loyal_customer(served, f"referrer-{utcnow().timestamp()}@example.com", 1)


def test_one_friend_referred_many_times_at_once_in_many_spellings_is_one_referral(served):
    member = referral_program(served)
    spellings = ["Friend.Once@gmail.com", "friendonce@gmail.com", "friend.once+a@gmail.com",
                 "FRIENDONCE+b@googlemail.com"]
    calls = [Call("POST", "/api/v1/loyalty/referrals", {"json": {
        "referrer_customer_id": member, "friend_email": spellings[n % 4]},
        "headers": served.auth}) for n in range(16)]

    answers = hammer(served.urls, calls)

    assert statuses(answers) == {201: 1, 200: 15}
    assert len({a.body["id"] for a in answers}) == 1
    assert len({a.body["friend_code"] for a in answers}) == 1
    assert count(served.db, DiscountCode, DiscountCode.source == "referral",
                 DiscountCode.source_id == str(answers[0].body["id"])) == 1


def test_referrals_in_review_approved_and_rejected_from_many_clients_move_once(served):
    member = referral_program(served, review_after=1)
    made = [hammer(served.urls, [Call("POST", "/api/v1/loyalty/referrals", {"json": {
        "referrer_customer_id": member, "friend_email": f"decide-{n}@example.com"},
        "headers": served.auth})], clients=1)[0].body for n in range(3)]
    assert [m["status"] for m in made] == ["pending", "review", "review"]
    approve, reject = made[1]["id"], made[2]["id"]
    calls = [Call("POST", f"/api/v1/loyalty/referrals/{approve}/approve", {
        "json": {"reason": "checked"}, "headers": served.auth}) for _ in range(8)]
    calls += [Call("POST", f"/api/v1/loyalty/referrals/{reject}/reject", {
        "json": {"reason": "fake"}, "headers": served.auth}) for _ in range(8)]

    answers = hammer(served.urls, calls)

    assert statuses(answers) == {200: 2, 409: 14}
    assert {a.body["error"]["code"] for a in answers if a.status == 409} == {
        "invalid_status"}
    final = {r: hammer(served.urls, [Call("GET", f"/api/v1/loyalty/referrals/{r}", {
        "headers": served.auth})], clients=1)[0].body for r in (approve, reject)}
    assert (final[approve]["status"], final[reject]["status"]) == ("pending", "rejected")
    assert final[approve]["friend_code"] is not None
    assert count(served.db, DiscountCode, DiscountCode.source == "referral",
                 DiscountCode.source_id == str(approve)) == 1


def test_every_write_route_of_the_api_is_exercised_here():
    """A new write route must come with its concurrency test in this module."""
    from afterward.app import create_app
    from afterward.config import Settings

    spec = create_app(Settings(database_url="sqlite:////tmp/afterward-unused.db",
                               secret_key=SECRET_KEY)).openapi()
    writes = {(method.upper(), path) for path, ops in spec["paths"].items()
              for method in ops if method in ("post", "put", "patch", "delete")}
    source = Path(__file__).read_text(encoding="utf-8")
    tested = {(m, p) for m, p in writes if _mentioned(source, p)}
    assert writes - tested - READ_ONLY_POSTS == set()


READ_ONLY_POSTS = {("POST", "/api/v1/templates/preview"), ("POST", "/api/v1/journeys/validate")}


def _mentioned(source: str, path: str) -> bool:
    import re

    pattern = re.escape(path)
    pattern = re.sub(r"\\\{[a-z_]+\\\}", r"[^\"'/]+", pattern)
    return re.search(pattern, source) is not None


# --- reviews --------------------------------------------------------------------------------

def review_product(served: Served, sku: str) -> None:
    answer = hammer(served.urls, [Call("POST", "/api/v1/products", {
        "json": product_body(sku, external_id=f"p-{sku}"), "headers": served.auth})],
        clients=1)[0]
    assert answer.status == 201, answer


def review_body(sku: str, **fields: Any) -> dict[str, Any]:
    return {"sku": sku, "rating": 2, "title": "Tepid", "body": "It was fine.",
            "author_name": "Ada", "email": "ada-reviews@example.com", **fields}


def test_one_review_posted_many_times_with_its_key_is_one_review(served):
    from afterward.feedback.models import Review

    review_product(served, "REV-KEY")

    answers = hammer(served.urls, same(16, "POST", "/api/v1/reviews", json=review_body(
        "REV-KEY"), headers={**served.auth, "Idempotency-Key": "rev-key-1"}))

    assert statuses(answers) == {201: 1, 200: 15}
    assert len({a.body["id"] for a in answers}) == 1
    assert count(served.db, Review, Review.sku == "REV-KEY") == 1
    assert count(served.db, Event, Event.name == "review.submitted",
                 Event.subject_id == answers[0].body["id"]) == 1


def test_reviews_posted_at_once_are_each_kept(served):
    from afterward.feedback.models import Review

    review_product(served, "REV-MANY")

    answers = hammer(served.urls, [Call("POST", "/api/v1/reviews", {
        "json": review_body("REV-MANY", title=f"Review {n}"),
        "headers": {**served.auth, "Idempotency-Key": f"rev-many-{n}"}}) for n in range(16)])

    assert statuses(answers) == {201: 16}
    assert count(served.db, Review, Review.sku == "REV-MANY") == 16


def test_review_settings_put_at_once_leave_one_whole_document(served):
    calls = [Call("PUT", "/api/v1/reviews/settings", {"json": {
        "auto_publish": {"min_rating": 1 + n % 5}, "flagged_words": [f"word{n}"] * (n % 3 + 1)},
        "headers": served.auth}) for n in range(12)]

    answers = hammer(served.urls, calls)
    stored = hammer(served.urls, [Call("GET", "/api/v1/reviews/settings", {
        "headers": served.auth})], clients=1)[0].body

    assert statuses(answers) == {200: 12}
    n = int(stored["flagged_words"][0].removeprefix("word"))
    assert stored["auto_publish"]["min_rating"] == 1 + n % 5
    assert stored["flagged_words"] == [f"word{n}"]


def test_a_review_published_from_many_places_is_published_and_rewarded_once(served):
    from afterward.loyalty.models import LoyaltyEntry

    review_product(served, "REV-PUB")
    order = hammer(served.urls, [Call("POST", "/api/v1/orders", {"json": order_body(
        "REV-PUB-1", email="rev-pub@example.com", customer={"email": "rev-pub@example.com"},
        lines=[{"sku": "REV-PUB", "title": "Tea", "quantity": 1, "unit_price_minor": 450}]),
        "headers": served.auth})], clients=1)[0]
    program = hammer(served.urls, [Call("PUT", "/api/v1/loyalty/program", {"json": {
        "bonuses": {"review": 40}}, "headers": served.auth})], clients=1)[0]
    hammer(served.urls, [Call("PUT", "/api/v1/reviews/settings", {"json": {
        "auto_publish": {"enabled": False}, "rewards": {"kind": "points"}},
        "headers": served.auth})], clients=1)
    made = hammer(served.urls, [Call("POST", "/api/v1/reviews", {"json": review_body(
        "REV-PUB", order_number="REV-PUB-1", email="rev-pub@example.com"),
        "headers": served.auth})], clients=1)[0]
    assert (order.status, program.status, made.status) == (201, 200, 201), made
    review_id = made.body["id"]

    answers = hammer(served.urls, same(16, "POST", f"/api/v1/reviews/{review_id}/publish",
                                      headers=served.auth))

    assert statuses(answers) == {200: 1, 409: 15}
    assert count(served.db, Event, Event.name == "review.published",
                 Event.subject_id == review_id) == 1
    assert count(served.db, LoyaltyEntry, LoyaltyEntry.source == "review",
                 LoyaltyEntry.source_id == review_id) == 1


def test_a_review_rejected_and_replied_to_from_many_tabs_moves_once(served):
    review_product(served, "REV-REJ")
    made = hammer(served.urls, [Call("POST", "/api/v1/reviews", {
        "json": review_body("REV-REJ", rating=1), "headers": served.auth})], clients=1)[0]
    review_id = made.body["id"]

    rejected = hammer(served.urls, same(12, "POST", f"/api/v1/reviews/{review_id}/reject",
                                        json={"reason": "Off topic"}, headers=served.auth))
    replied = hammer(served.urls, same(12, "POST", f"/api/v1/reviews/{review_id}/reply",
                                       json={"text": "Thank you"}, headers=served.auth))

    assert statuses(rejected) == {200: 1, 409: 11}
    assert statuses(replied) == {200: 12}
    assert {a.body["reply"] for a in replied} == {"Thank you"}
    assert count(served.db, Event, Event.name == "review.rejected",
                 Event.subject_id == review_id) == 1
# --- surveys ---------------------------------------------------------------------------

def test_identical_survey_answers_at_once_store_one_answer_one_alert_and_one_webhook(served):
    from afterward.feedback.models import SurveyAlert, SurveyResponse

    order_id = create_order(served, "SURVEY-1")
    answers = hammer(served.urls, same(16, "POST", "/api/v1/surveys/responses", json={
        "order_number": "SURVEY-1", "survey": "nps", "score": 3}, headers=served.auth))

    assert statuses(answers) == {201: 1, 200: 15}
    assert len({a.body["id"] for a in answers}) == 1
    assert count(served.db, SurveyResponse, SurveyResponse.order_id == order_id) == 1
    assert count(served.db, Event, Event.name == "survey.answered",
                 Event.subject_id == answers[0].body["id"]) == 1
    assert count(served.db, SurveyAlert,
                 SurveyAlert.response_id == answers[0].body["id"]) == 1
    with served.db.reading() as session:
        published = [p for p in session.scalars(select(Job.payload).where(
            Job.kind == "webhooks.publish", Job.store_id == served.store_id))
            if p["event_type"] == "survey.detractor"
            and p["data"]["response_id"] == answers[0].body["id"]]
    assert len(published) == 1


def test_conflicting_survey_answers_at_once_leave_one_answer_with_the_last_score(served):
    from afterward.feedback.models import SurveyResponse

    order_id = create_order(served, "SURVEY-2")
    calls = [Call("POST", "/api/v1/surveys/responses", {"json": {
        "order_number": "SURVEY-2", "survey": "csat", "score": 1 + n % 5},
        "headers": served.auth}) for n in range(20)]

    answers = hammer(served.urls, calls)

    assert statuses(answers)[201] == 1 and statuses(answers)[200] == 19
    with served.db.reading() as session:
        rows = list(session.scalars(select(SurveyResponse).where(
            SurveyResponse.order_id == order_id)))
        moves = session.scalars(select(Event.payload).where(
            Event.name == "survey.answered", Event.subject_id == rows[0].id)
            .order_by(Event.id)).all()
    assert len(rows) == 1
    assert moves[-1]["score"] == rows[0].score  # the last change is what stays


# --- assistant -------------------------------------------------------------------------

def handed_over_once(served: Served, answers: list[Answer]) -> None:
    """16 answers to one message sent at once: one conversation, handed to a person once,
    the message and its answer stored once."""
    from afterward.assistant.models import Conversation, ConversationMessage

    assert statuses(answers) == {200: 16}
    assert len({a.body["conversation_id"] for a in answers}) == 1
    assert {a.body["handoff"] for a in answers} == {True}
    with served.db.reading() as session:
        conversation_id = session.scalar(select(Conversation.id).where(
            Conversation.public_id == answers[0].body["conversation_id"]))
    assert count(served.db, ConversationMessage,
                 ConversationMessage.conversation_id == conversation_id) == 2
    assert count(served.db, Conversation, Conversation.store_id == served.store_id,
                 Conversation.public_id == answers[0].body["conversation_id"]) == 1
    assert count(served.db, Event, Event.name == "conversation.opened",
                 Event.subject_id == conversation_id) == 1


def test_one_assistant_message_sent_many_times_with_its_id_is_stored_and_answered_once(
        served):
    answers = hammer(served.urls, same(16, "POST", "/api/v1/assistant/messages", json={
        "text": "I want to talk to a person", "client_message_id": "race-1"},
        headers=served.auth))

    handed_over_once(served, answers)


def test_one_message_from_the_embedded_chat_sent_many_times_is_stored_and_answered_once(
        served):
    from afterward.assistant import embeds

    with served.db.transaction() as session:
        embeds.set_origins(session, store_id=served.store_id, values=["https://shop.example"])
    answers = hammer(served.urls, same(16, "POST", "/embed/busy/messages", json={
        "text": "I want to talk to a person", "client_message_id": "embed-race-1"},
        headers={"Origin": "https://shop.example"}))

    handed_over_once(served, answers)
