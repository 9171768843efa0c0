"""A store whose every outside-controlled field holds hostile text (tests/hostile.py):
what a store platform sends (products, orders, customers, addresses, shipments, a
cancel reason), what carriers send (events, messages, locations, signatures), what
the merchant types (store name, journeys, a template) and what the machine keeps
of it (messages, the outbox, a failed job's error, a bounce's detail). Built through
the public API where one exists, as an integration would."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from afterward.commerce import stores
from afterward.commerce.models import Order
from afterward.journeys import service as journeys
from afterward.messaging.tokens import LinkSigner
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking.carriers.generic import signature_for
from afterward.worker import Worker
from tests import shop_parts
from tests.hostile import SCRIPT_URL, hostile

SLUG = "acme"
WEBHOOK_SECRET = "generic_whsec_hostile"
STORE_NAME = hostile("store", 200)
OTHER_STORE_NAME = hostile("z: another store", 200)  # listed after the first
# Email addresses: a local part may hold anything but spaces and @.
EMAIL = "'\"><svg/onload=alert(1)><script>alert(1)</script>@example.com"
SUPPORT_EMAIL = "\"><script>alert(1)</script>'@support.example"
# Order numbers: anything but spaces.
ORDER_NUMBER = "[order]\"><script>alert(1)</script>'{{7*7}}"
UNSHIPPED_NUMBER = "[unshipped]\"><script>alert(1)</script>"
POSTAL_CODE = "'\"><svg onload=x>"
LOGO_URL = "https://cdn.example/logo.png?\"><script>alert(1)</script>"
PRODUCT_IMAGE = "https://cdn.example/p.png?\"><script>alert(1)</script>"
VARIANT_IMAGE = "https://cdn.example/v.png?'/onerror='alert(1)"
SKU = hostile("sku", 100)

CUSTOMER = {"email": EMAIL, "first_name": hostile("first", 100),
            "last_name": hostile("last", 100), "external_id": hostile("customer id", 100)}
ADDRESS = {"name": hostile("ship name", 200), "address1": hostile("address", 300),
           "city": hostile("city", 100), "postal_code": POSTAL_CODE, "country": "DE"}
LINE_TITLE = hostile("line", 300)
PRODUCT = {"title": hostile("product", 300), "category": hostile("category", 100),
           "care_content": hostile("care", 2000), "howto_content": hostile("howto", 2000),
           "image_url": PRODUCT_IMAGE}
SUGGESTED_TITLE = hostile("suggested", 300)
CARRIER = hostile("carrier", 32)
SERVICE = hostile("service", 64)
PAID = hostile("paid", 32)
CANCEL_REASON = hostile("cancel", 100)
FULFILMENT = hostile("fulfilment", 32)
SCAN = {"message": hostile("scan", 2000), "location": hostile("depot", 200)}
SIGNER = hostile("signer", 100)
PROBLEM = {"message": hostile("problem", 2000), "location": hostile("held at", 200),
           "substatus": hostile("substatus", 64), "provider_status": hostile("pstatus", 100)}
JOURNEY = {"name": hostile("journey", 200), "description": hostile("description", 2000),
           "category": hostile("journey category", 64), "reason": hostile("reason", 100)}
CATEGORY = hostile("message category", 64)
DATA = {"offer_code": hostile("offer", 64), "product_title": hostile("data title", 200),
        "review_url": SCRIPT_URL}
TEMPLATE_SUBJECT = "[template]\"><script>alert(1)</script>' onmouseover='alert(1) </textarea>"
JOB_ERROR = hostile("job error", 2000)
BOUNCE = hostile("bounce", 500)


@dataclass(frozen=True)
class Shop:
    order_id: int  # shipped in two parcels, the first delivered, the second stuck
    unshipped_order_id: int  # cancelled by the platform, never shipped
    customer_id: int
    product_id: int
    tokens: tuple[str, str]  # the two parcels' tracking page tokens
    message_id: int  # an email in the outbox
    outbox_id: int
    enrolment_id: int
    preferences_path: str
    unsubscribe_path: str
    click_path: str
    # The returns portal's signed links (returns_walk.portal_shop fills them in).
    portal_path: str = "/returns/o/o"
    return_path: str = "/returns/r/r"
    referral_path: str = "/r/r"  # a member's referral link (referral_walk.with_referral)


def open_shop(client: TestClient, db: Database, settings: Any) -> Shop:
    store_id, auth = _store(db)
    _journey(db, store_id)
    product_id = _products(client, auth)
    order = _order(client, auth, ORDER_NUMBER, customer=CUSTOMER, lines=[(SKU, LINE_TITLE)])
    unshipped = _order(client, auth, UNSHIPPED_NUMBER,
                       customer=CUSTOMER, lines=[(SKU, LINE_TITLE)])
    _order(client, auth, "plain-2", customer={"email": "bob@example.com", "first_name": "Bob"},
           lines=[(SKU, "Tea"), ("SUG-1", "Whisk")])
    _platform_fields(db, unshipped["id"])
    tokens = (_parcel(client, auth, order["id"], "HOSTILE0001", _delivered()),
              _parcel(client, auth, order["id"], "HOSTILE0002", _stuck()))
    _held_scan(client)
    _template(client, auth)
    message_id = _message(client, auth, order["customer_id"], order["id"])
    _sms(client, auth, order["customer_id"], order["id"])
    Worker(db, name="hostile-worker").run(until_idle=True)  # journeys, sends, the outbox
    outbox_id, enrolment_id = shop_parts.kept(db, store_id, message_id)
    shop_parts.failures(db, store_id, message_id, email=EMAIL, job_error=JOB_ERROR,
                          bounce=BOUNCE)
    links = LinkSigner(settings.secret_key, settings.public_url)
    base = settings.public_url
    return Shop(
        order_id=order["id"], unshipped_order_id=unshipped["id"],
        customer_id=order["customer_id"], product_id=product_id, tokens=tokens,
        message_id=message_id, outbox_id=outbox_id, enrolment_id=enrolment_id,
        preferences_path=links.preferences_url(message_id).removeprefix(base),
        unsubscribe_path=links.unsubscribe_url(message_id).removeprefix(base),
        click_path=links.click_url(message_id, f"{base}/t/{tokens[0]}").removeprefix(base))


def _store(db: Database) -> tuple[int, dict[str, str]]:
    with db.transaction() as session:
        store = stores.create_store(session, slug=SLUG, name=STORE_NAME, currency="EUR",
                                    support_email=SUPPORT_EMAIL, logo_url=LOGO_URL)
        stores.create_store(session, slug="other", name=OTHER_STORE_NAME)
        key = stores.issue_api_key(session, store=store)
        stores.set_webhook_secret(session, store=store, provider="generic",
                                  secret=WEBHOOK_SECRET)
        return store.id, {"Authorization": f"Bearer {key}"}


def _journey(db: Database, store_id: int) -> None:
    """A merchant's journey: free text in its name, description, category and exit."""
    with db.transaction() as session:
        journeys.save(session, store_id=store_id, raw={
            "key": "hostile", "name": JOURNEY["name"], "description": JOURNEY["description"],
            "trigger": {"event": "order.created"},
            "steps": [
                {"key": "hello", "send": {"template": "order_confirmation",
                                          "category": JOURNEY["category"]}},
                {"key": "leave", "exit": {"reason": JOURNEY["reason"]}}]})
        journeys.set_enabled(session, store_id=store_id, key="hostile", enabled=True)


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def _products(client: TestClient, auth: dict[str, str]) -> int:
    product = _created(client.post("/api/v1/products", headers=auth, json={
        **PRODUCT, "external_id": "p-1", "variants": [
            {"sku": SKU, "title": hostile("variant", 300), "price_minor": 450,
             "currency": "EUR", "image_url": VARIANT_IMAGE}]}))
    _created(client.post("/api/v1/products", headers=auth, json={
        "title": SUGGESTED_TITLE, "external_id": "p-2", "image_url": PRODUCT_IMAGE,
        "variants": [{"sku": "SUG-1", "price_minor": 1500, "currency": "EUR"}]}))
    return int(product["id"])


def _order(client: TestClient, auth: dict[str, str], number: str, *,
           customer: dict[str, Any], lines: list[tuple[str, str]]) -> dict[str, Any]:
    return _created(client.post("/api/v1/orders", headers=auth, json={
        "number": number, "placed_at": utcnow().isoformat(), "currency": "EUR",
        "email": customer["email"], "customer": customer, "financial_status": PAID,
        "shipping_minor": 495, "shipping_address": ADDRESS,
        "lines": [{"sku": sku, "title": title, "quantity": 1, "unit_price_minor": 450}
                  for sku, title in lines]}))


def _platform_fields(db: Database, order_id: int) -> None:
    """What only the store platform's webhooks fill in: a cancellation, its reason and
    the fulfilment status."""
    with db.transaction() as session:
        session.execute(update(Order).where(Order.id == order_id).values(
            status="cancelled", cancelled_at=utcnow(), cancel_reason=CANCEL_REASON,
            fulfillment_status=FULFILMENT))


def _delivered() -> list[dict[str, Any]]:
    return [{"occurred_at": "2026-03-02T09:00:00Z", "status": "in_transit", **SCAN},
            {"occurred_at": "2026-03-03T09:00:00Z", "status": "delivered",
             "message": hostile("handed over", 2000), "signed_by": SIGNER}]


def _stuck() -> list[dict[str, Any]]:
    return [{"occurred_at": "2026-03-02T10:00:00Z", "status": "exception", **PROBLEM}]


def _parcel(client: TestClient, auth: dict[str, str], order_id: int, number: str,
            events: list[dict[str, Any]]) -> str:
    shipment = _created(client.post("/api/v1/shipments", headers=auth, json={
        "order_id": order_id, "carrier": CARRIER, "service": SERVICE,
        "tracking_number": number}))
    body = json.dumps({"tracking_number": number, "events": events}).encode()
    _created(client.post(f"/api/v1/webhooks/carriers/generic/{SLUG}", content=body, headers={
        "Content-Type": "application/json",
        "X-Afterward-Signature": signature_for(WEBHOOK_SECRET, body)}))
    return str(shipment["url"]).rsplit("/t/", 1)[1]


def _held_scan(client: TestClient) -> None:
    """A carrier's scan for a parcel the store has not told us about: held, and listed
    with its body among the deliveries set aside."""
    body = json.dumps({"tracking_number": "HOSTILE-UNKNOWN-1", "events": _stuck()}).encode()
    answer = client.post(f"/api/v1/webhooks/carriers/generic/{SLUG}", content=body, headers={
        "Content-Type": "application/json",
        "X-Afterward-Signature": signature_for(WEBHOOK_SECRET, body)})
    assert answer.status_code == 202, answer.text


def _template(client: TestClient, auth: dict[str, str]) -> None:
    """A merchant's own template (no text part: it is derived from the HTML)."""
    body = ("<mjml><mj-body><mj-section><mj-column><mj-text>{{ customer.first_name }} "
            "{{ store.name }} {{ order.number }}</mj-text></mj-column></mj-section></mj-body>"
            "</mjml>")
    _created(client.put("/api/v1/templates/hostile_note/email/en", headers=auth, json={
        "subject": TEMPLATE_SUBJECT + " {{ order.number }}", "body": body}))


def _message(client: TestClient, auth: dict[str, str], customer_id: int, order_id: int) -> int:
    message = _created(client.post("/api/v1/messages", headers=auth, json={
        "channel": "email", "purpose": "transactional", "category": CATEGORY,
        "template_key": "review_request", "idempotency_key": "hostile-review",
        "customer_id": customer_id, "order_id": order_id, "data": DATA}))
    _created(client.post("/api/v1/messages", headers=auth, json={
        "channel": "email", "category": "note", "template_key": "hostile_note",
        "idempotency_key": "hostile-note", "customer_id": customer_id, "order_id": order_id}))
    return int(message["id"])


def _sms(client: TestClient, auth: dict[str, str], customer_id: int, order_id: int) -> None:
    _created(client.post("/api/v1/messages", headers=auth, json={
        "channel": "sms", "category": "shipment_shipped", "template_key": "shipment_shipped",
        "idempotency_key": "hostile-sms", "customer_id": customer_id,
        "recipient": "+4915112345678", "order_id": order_id}))


