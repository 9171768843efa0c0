"""A realistic store whose text is as long as real stores' gets: a long store name,
a customer with a long name and an unbreakable email address, an order with many
lines of long product titles and SKUs, parcels with long tracking numbers, carrier
messages and locations, a journey, emails and an SMS, the outbox, a failed job with
a long error and a bounce. Built through the public API where one exists, as an
integration would; the phone-width walk (test_phone_width.py) opens every page of it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from afterward.commerce import stores
from afterward.journeys import service as journeys
from afterward.messaging.tokens import LinkSigner
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.tracking.carriers.generic import signature_for
from afterward.worker import Worker
from tests import shop_parts

SLUG = "feinkost-mueller"
SECRET = "generic_whsec_long_shop"
STORE_NAME = "Müller & Söhne Feinkost und Haushaltswaren GmbH, Online-Shop Deutschland"
OTHER_STORE_NAME = "Müller & Söhne Feinkost, Österreich, Schweiz und Liechtenstein"
EMAIL = "maximiliane.alexandra.von.hohenzollern-sigmaringen@kundenpost-beispiel-domain.co.uk"
CUSTOMER = {"email": EMAIL, "first_name": "Maximiliane Alexandra Josephine",
            "last_name": "von Hohenzollern-Sigmaringen-Wittelsbach",
            "external_id": "gid://shopify/Customer/7654321098765432109"}
ADDRESS = {"name": "Maximiliane Alexandra Josephine von Hohenzollern-Sigmaringen-Wittelsbach",
           "address1": "Kurfürstendamm 231, Hinterhaus, 3. Obergeschoss links, c/o Wittelsbach "
                       "Vermögensverwaltung", "city": "Garmisch-Partenkirchen",
           "postal_code": "82467", "country": "DE"}
ORDER_NUMBER = "#DE-2026-000012345678"
TITLES = (
    "Handgetöpferte Espressotassen aus Steinzeug mit Reaktivglasur, 4er-Set, Mitternachtsblau",
    "Bio-Olivenöl extra vergine aus handverlesenen Koroneiki-Oliven, kaltgepresst, 750 ml",
    "Gusseiserner Schmortopf mit Emaillebeschichtung und selbstbegießendem Deckel, 28 cm",
    "Japanisches Santoku-Messer aus 67-lagigem Damaszenerstahl mit Griff aus Olivenholz",
    "Leinen-Geschirrtücher, stonewashed, im Dreierpack in Salbei, Terrakotta und Sand",
    "Sauerteig-Starterset mit Gärkörbchen aus Peddigrohr, Teigschaber und Leinentuch",
    "Handgeschöpfte Meersalzflocken von der bretonischen Atlantikküste, Nachfüllbeutel",
    "Espressomühle mit konischem Edelstahlmahlwerk und 40 Mahlgradstufen, mattschwarz",
    "Doppelwandige Thermoskanne aus gebürstetem Edelstahl mit Teesieb-Einsatz, 1 Liter",
    "Bienenwachstücher zum Frischhalten von Lebensmitteln, gemischte Größen, 6 Stück",
    "Tee-Probierset mit zwölf Sorten aus biologischem Anbau in wiederverwendbaren Dosen",
    "Geschenkverpackung mit handgeschriebener Grußkarte und Seidenpapier in Altrosa",
)
SKUS = tuple(f"MS-FEINKOST-{n:02d}-STEINZEUG-REAKTIVGLASUR-MITTERNACHTSBLAU-4ER"[:100]
             for n in range(len(TITLES)))
CARRIER_NAMES = ("dhl_express", "Speedy Local Couriers Europe")
SERVICE = "DHL Paket International Premium mit Wunschzustellung"
TRACKING = ("JJD000390007827364592837465", "SLCE-2026-DE-000000012345678901")
SCAN = {"message": "Die Sendung wurde im Start-Paketzentrum bearbeitet und wird für den "
                   "Weitertransport in die Zielregion vorbereitet",
        "location": "Paketzentrum Obertshausen (Frankfurt am Main, Hessen, Deutschland)"}
PROBLEM = {"message": "Zustellung nicht möglich: Empfänger unter der angegebenen Anschrift "
                      "nicht ermittelbar; die Sendung wird in der Filiale zur Abholung gelagert",
           "location": "Zustellbasis Garmisch-Partenkirchen, Bahnhofstraße 1234"}
JOURNEY_NAME = "Nachfassen nach der Zustellung mit Bewertungsbitte und Pflegehinweisen"
JOB_ERROR = ("smtplib.SMTPRecipientsRefused: {'" + EMAIL + "': (550, b'5.1.1 The email "
             "account that you tried to reach does not exist. Please try double-checking the "
             "recipient\\'s email address for typos or unnecessary spaces.')}")


@dataclass(frozen=True)
class LongShop:
    order_id: int
    customer_id: int
    tokens: tuple[str, str]
    message_id: int
    outbox_id: int
    enrolment_id: int
    preferences_path: str
    unsubscribe_path: str
    # The returns portal's signed links (test_phone_width's fixture fills them in).
    portal_path: str = "/returns/o/o"
    return_path: str = "/returns/r/r"
    referral_path: str = "/r/r"  # a member's referral link (referral_walk.with_referral)


def open_long_shop(client: TestClient, db: Database, settings: Any) -> LongShop:
    store_id, auth = _stores(db)
    _journey(db, store_id)
    order = _order(client, auth)
    tokens = (_parcel(client, auth, order["id"], 0, _delivered()),
              _parcel(client, auth, order["id"], 1, _held()))
    message_id = _messages(client, auth, order["customer_id"], order["id"])
    Worker(db, name="long-shop-worker").run(until_idle=True)
    outbox_id, enrolment_id = shop_parts.kept(db, store_id, message_id)
    shop_parts.failures(db, store_id, message_id, email=EMAIL, job_error=JOB_ERROR,
                          bounce=JOB_ERROR)
    links = LinkSigner(settings.secret_key, settings.public_url)
    base = settings.public_url
    return LongShop(order_id=order["id"], customer_id=order["customer_id"], tokens=tokens,
                    message_id=message_id, outbox_id=outbox_id, enrolment_id=enrolment_id,
                    preferences_path=links.preferences_url(message_id).removeprefix(base),
                    unsubscribe_path=links.unsubscribe_url(message_id).removeprefix(base))


def _stores(db: Database) -> tuple[int, dict[str, str]]:
    with db.transaction() as session:
        store = stores.create_store(session, slug=SLUG, name=STORE_NAME, currency="EUR",
                                    timezone="Europe/Berlin", locale="de",
                                    support_email="kundenservice@feinkost-mueller-beispiel.de")
        stores.create_store(session, slug="feinkost-mueller-at", name=OTHER_STORE_NAME)
        key = stores.issue_api_key(session, store=store)
        stores.set_webhook_secret(session, store=store, provider="generic", secret=SECRET)
        return store.id, {"Authorization": f"Bearer {key}"}


def _journey(db: Database, store_id: int) -> None:
    with db.transaction() as session:
        journeys.save(session, store_id=store_id, raw={
            "key": "nachfassen-nach-der-zustellung", "name": JOURNEY_NAME,
            "description": "Zwei Tage nach der Zustellung fragen wir nach einer Bewertung; "
                           "wer schon bewertet hat, bekommt stattdessen Pflegehinweise.",
            "trigger": {"event": "order.created"},
            "steps": [{"key": "danke-fuer-ihre-bestellung",
                       "send": {"template": "order_confirmation"}},
                      {"key": "zwei-tage-warten", "wait": {"duration": "P2D"}}]})
        journeys.set_enabled(session, store_id=store_id, key="nachfassen-nach-der-zustellung",
                             enabled=True)


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def _order(client: TestClient, auth: dict[str, str]) -> dict[str, Any]:
    lines = [{"sku": sku, "title": title, "quantity": n + 1, "unit_price_minor": 12_345 * (n + 1)}
             for n, (sku, title) in enumerate(zip(SKUS, TITLES, strict=True))]
    for days in (40, 12, 3):  # earlier orders, so the dashboard's charts have lines
        _created(client.post("/api/v1/orders", headers=auth, json={
            "number": f"{ORDER_NUMBER}-{days}", "currency": "EUR", "email": EMAIL,
            "placed_at": (utcnow() - timedelta(days=days)).isoformat(), "customer": CUSTOMER,
            "lines": lines[:2]}))
    return _created(client.post("/api/v1/orders", headers=auth, json={
        "number": ORDER_NUMBER, "placed_at": utcnow().isoformat(), "currency": "EUR",
        "email": EMAIL, "customer": CUSTOMER, "financial_status": "partially_refunded",
        "shipping_minor": 1_495, "shipping_address": ADDRESS, "lines": lines}))


def _delivered() -> list[dict[str, Any]]:
    return [{"occurred_at": "2026-03-02T09:00:00Z", "status": "in_transit", **SCAN},
            {"occurred_at": "2026-03-03T09:00:00Z", "status": "delivered",
             "message": "Die Sendung wurde dem Empfänger in der Packstation 123 zugestellt",
             "signed_by": CUSTOMER["first_name"] + " " + CUSTOMER["last_name"]}]


def _held() -> list[dict[str, Any]]:
    return [{"occurred_at": "2026-03-02T10:00:00Z", "status": "exception", **PROBLEM}]


def _parcel(client: TestClient, auth: dict[str, str], order_id: int, n: int,
            events: list[dict[str, Any]]) -> str:
    shipment = _created(client.post("/api/v1/shipments", headers=auth, json={
        "order_id": order_id, "carrier": CARRIER_NAMES[n], "service": SERVICE,
        "tracking_number": TRACKING[n]}))
    body = json.dumps({"tracking_number": TRACKING[n], "events": events}).encode()
    _created(client.post(f"/api/v1/webhooks/carriers/generic/{SLUG}", content=body, headers={
        "Content-Type": "application/json", "X-Afterward-Signature": signature_for(SECRET, body)}))
    return str(shipment["url"]).rsplit("/t/", 1)[1]


def _messages(client: TestClient, auth: dict[str, str], customer_id: int, order_id: int) -> int:
    message = _created(client.post("/api/v1/messages", headers=auth, json={
        "channel": "email", "purpose": "transactional",
        "category": "bewertungsanfrage-nach-zustellung", "template_key": "review_request",
        "idempotency_key": "long-review",
        "customer_id": customer_id, "order_id": order_id}))
    _created(client.post("/api/v1/messages", headers=auth, json={
        "channel": "sms", "category": "shipment_shipped", "template_key": "shipment_shipped",
        "idempotency_key": "long-sms", "customer_id": customer_id, "recipient": "+4915112345678",
        "order_id": order_id}))
    return int(message["id"])


