"""POST /api/v1/webhooks/carriers/{provider}/{store_slug}: recorded payloads from
EasyPost and AfterShip, Shippo's documented shape and the generic format."""

from __future__ import annotations

import copy
import json
import random

import pytest
from sqlalchemy import delete, func, select

from afterward.commerce import stores
from afterward.commerce.models import Store
from afterward.events import Event
from afterward.inbound.models import HeldDelivery, WebhookReceipt
from afterward.tracking import service
from afterward.tracking.models import Shipment, TrackingEvent, UnknownCarrierStatus
from tests.factories import order_body
from tests.tracking import payloads
from tests.tracking.payloads import NUMBERS, SECRETS

PROVIDERS = ("easypost", "aftership", "shippo", "generic")


@pytest.fixture
def secrets(db, store):
    with db.transaction() as session:
        row = stores.get_by_slug(session, store.slug)
        for provider, secret in SECRETS.items():
            stores.set_webhook_secret(session, store=row, provider=provider, secret=secret)
    return SECRETS


def post(client, provider: str, payload, *, slug: str = "acme", headers=None,
         query: str | None = None, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(payload).encode()
    proof, token = payloads.signed(provider, body)
    return client.post(f"/api/v1/webhooks/carriers/{provider}/{slug}"
                       f"{token if query is None else query}", content=body,
                       headers={"Content-Type": "application/json",
                                **(proof if headers is None else headers)})


def ship(client, store, number: str, **fields) -> dict:
    order = client.post("/api/v1/orders", json=order_body(f"N-{random.randrange(10**9)}"),
                        headers=store.auth).json()
    response = client.post("/api/v1/shipments", headers=store.auth, json={
        "order_id": order["id"], "tracking_number": number, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def shipment_state(client, store, number: str) -> dict:
    items = client.get(f"/api/v1/shipments?tracking_number={number}", headers=store.auth)
    [item] = items.json()["items"]
    return item


def counts(db) -> dict[str, int]:
    with db.reading() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (Shipment, TrackingEvent, Event, WebhookReceipt, HeldDelivery,
                              UnknownCarrierStatus)}


def timeline(item: dict) -> list[tuple]:
    """The carrier's events (the label event is stamped when each shipment was created)."""
    return sorted((e["occurred_at"], e["status"], e["provider_status"], e["message"],
                   e["location"]) for e in item["events"] if e["provider"] != "platform")


# --- each provider, signed the way it signs ---------------------------------

@pytest.mark.parametrize(("provider", "added", "status"), [
    ("easypost", 2, "info_received"), ("aftership", 6, "in_transit"),
    ("shippo", 4, "delivered"), ("generic", 5, "delivered")])
def test_a_signed_delivery_updates_the_shipment(client, store, secrets, provider, added, status):
    ship(client, store, NUMBERS[provider])

    response = post(client, provider, payloads.webhook(provider))

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "applied", "tracking_number": NUMBERS[provider],
                               "events_added": added}
    item = shipment_state(client, store, NUMBERS[provider])
    assert item["status"] == status
    assert len(item["events"]) == added + 1  # and the label event the shipment began with


def test_the_easypost_tracker_keeps_the_providers_own_words(client, store, secrets):
    ship(client, store, "EZ1000000001")

    post(client, "easypost", payloads.easypost_event())

    item = shipment_state(client, store, "EZ1000000001")
    carrier_events = [e for e in item["events"] if e["provider"] == "easypost"]
    assert [(e["provider_status"], e["substatus"], e["message"], e["location"])
            for e in carrier_events] == [
        ("pre_transit", "status_update", "Pre-Shipment Info Sent to USPS", None),
        ("pre_transit", "status_update", "Shipping Label Created", "HOUSTON, TX, 77063")]
    assert (item["carrier"], item["last_location"]) == ("usps", "HOUSTON, TX, 77063")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_bad_signature_is_refused_and_nothing_is_written(client, store, secrets, db,
                                                           provider):
    ship(client, store, NUMBERS[provider])
    before = counts(db)
    body = json.dumps(payloads.webhook(provider)).encode()
    headers, query = payloads.signed(provider, body, secret="not-the-store-secret")

    response = post(client, provider, None, raw=body, headers=headers, query=query)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    assert set(response.json()["error"]) == {"code", "message", "field"}
    assert counts(db) == before


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_missing_signature_is_refused(client, store, secrets, provider):
    response = post(client, provider, payloads.webhook(provider), headers={}, query="")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"


def test_a_body_changed_after_signing_is_refused(client, store, secrets):
    body = json.dumps(payloads.easypost_event()).encode()
    headers, _ = payloads.signed("easypost", body)

    response = post(client, "easypost", None, raw=body.replace(b"HOUSTON", b"DALLAS"),
                    headers=headers)

    assert response.status_code == 401


def test_a_store_without_a_secret_for_the_provider_refuses_it(client, store):
    response = post(client, "generic", payloads.generic_body())

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "no_secret"


def test_another_stores_secret_does_not_open_this_store(client, store, secrets, make_store, db):
    other = make_store("other")
    with db.transaction() as session:
        stores.set_webhook_secret(session, store=stores.get_by_slug(session, "other"),
                                  provider="generic", secret="the-other-stores-secret")
    body = json.dumps(payloads.generic_body()).encode()
    headers, _ = payloads.signed("generic", body, secret="the-other-stores-secret")

    assert post(client, "generic", None, raw=body, headers=headers).status_code == 401
    assert post(client, "generic", None, raw=body, headers=headers,
                slug=other.slug).status_code == 202


def test_an_unknown_store_is_404(client, store, secrets):
    response = post(client, "generic", payloads.generic_body(), slug="nobody")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_store"


def test_an_unknown_provider_is_404(client, store, secrets):
    response = client.post("/api/v1/webhooks/carriers/pigeon/acme", json={})

    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "unknown_provider", "field": "provider",
        "message": "no carrier provider 'pigeon'; one of easypost, aftership, shippo, generic"}


# --- idempotency and ordering ------------------------------------------------

@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_same_body_twice_changes_nothing_the_second_time(client, store, secrets, db,
                                                             provider):
    ship(client, store, NUMBERS[provider])
    post(client, provider, payloads.webhook(provider))
    before = counts(db)

    response = post(client, provider, payloads.webhook(provider))

    assert response.status_code == 200
    assert response.json()["status"] == "duplicate"
    assert counts(db) == before


def easypost_journey() -> list[dict]:
    """Cumulative tracker updates, as EasyPost sends them: each repeats the details so far."""
    tracker = payloads.easypost_tracker()
    extra = [("in_transit", "arrived_at_facility", "Arrived at USPS Regional Facility",
              "2025-02-08T03:10:00Z", "HOUSTON"),
             ("in_transit", "departed_facility", "Departed USPS Regional Facility",
              "2025-02-08T09:45:00-06:00", "HOUSTON"),
             ("out_for_delivery", "out_for_delivery", "Out for Delivery",
              "2025-02-10T07:02:00-05:00", "CHARLESTON"),
             ("delivered", "arrived_at_destination", "Delivered, In/At Mailbox",
              "2025-02-10T13:37:00-05:00", "CHARLESTON")]
    details = tracker["tracking_details"]
    for status, detail, message, when, city in extra:
        details.append({"object": "TrackingDetail", "message": message, "description": "",
                        "status": status, "status_detail": detail, "datetime": when,
                        "source": "USPS", "carrier_code": "",
                        "tracking_location": {"object": "TrackingLocation", "city": city,
                                              "state": None, "country": None, "zip": None}})
    updates = []
    for n in range(1, len(details) + 1):
        step = copy.deepcopy(tracker)
        step["tracking_details"] = details[:n]
        step["status"] = details[n - 1]["status"]
        step["signed_by"] = "J SMITH" if n == len(details) else None
        updates.append(payloads.easypost_event(step))
    return updates


def aftership_journey() -> list[dict]:
    """One checkpoint per delivery, as if each were the only news."""
    tracking = payloads.aftership_tracking()
    updates = []
    for checkpoint in tracking["checkpoints"]:
        step = copy.deepcopy(tracking)
        step["checkpoints"] = [checkpoint]
        updates.append(payloads.aftership_webhook(step))
    return updates


@pytest.mark.parametrize(("provider", "journey", "final"), [
    ("easypost", easypost_journey, "delivered"), ("aftership", aftership_journey, "in_transit")])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shuffled_late_and_repeated_deliveries_give_the_timeline_of_in_order(
        client, store, secrets, make_store, db, provider, journey, final, seed):
    ship(client, store, NUMBERS[provider])
    for update in journey():
        assert post(client, provider, update).status_code == 200
    expected = shipment_state(client, store, NUMBERS[provider])

    other = make_store("other")
    with db.transaction() as session:
        stores.set_webhook_secret(session, store=stores.get_by_slug(session, "other"),
                                  provider=provider, secret=SECRETS[provider])
    ship(client, other, NUMBERS[provider])
    rng = random.Random(seed)
    shuffled = journey()
    rng.shuffle(shuffled)
    shuffled += rng.sample(shuffled, 2)  # and two redeliveries
    for update in shuffled:
        assert post(client, provider, update, slug="other").status_code == 200

    got = shipment_state(client, other, NUMBERS[provider])
    assert got["status"] == expected["status"] == final
    assert timeline(got) == timeline(expected)
    for field in ("substatus", "provider_status", "last_event_at", "last_location",
                  "delivered_at", "signed_by", "exception_reason"):
        assert got[field] == expected[field], field


def test_a_delivered_tracker_records_who_signed_and_when(client, store, secrets):
    ship(client, store, "EZ1000000001")

    post(client, "easypost", easypost_journey()[-1])

    item = shipment_state(client, store, "EZ1000000001")
    assert (item["status"], item["signed_by"], item["delivered_at"]) == (
        "delivered", "J SMITH", "2025-02-10T18:37:00Z")


# --- held until the shipment exists -----------------------------------------

@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_delivery_for_an_unknown_number_is_held_and_applied_when_the_shipment_arrives(
        client, store, secrets, db, provider):
    response = post(client, provider, payloads.webhook(provider))

    assert response.status_code == 202
    assert response.json() == {"status": "held", "tracking_number": NUMBERS[provider],
                               "events_added": 0}
    with db.reading() as session:
        assert session.scalars(select(HeldDelivery.waiting_for)).all() == [
            f"tracking:{NUMBERS[provider]}"]

    ship(client, store, NUMBERS[provider])

    item = shipment_state(client, store, NUMBERS[provider])
    assert len([e for e in item["events"] if e["provider"] == provider]) >= 2
    assert counts(db)["held_deliveries"] == 0
    assert post(client, provider, payloads.webhook(provider)).json()["status"] == "duplicate"


def test_a_held_delivery_then_its_shipment_ends_as_delivered_with_domain_events(
        client, store, secrets, db):
    post(client, "shippo", payloads.shippo_webhook())

    shipment = ship(client, store, NUMBERS["shippo"])

    item = shipment_state(client, store, NUMBERS["shippo"])
    assert (item["status"], item["delivered_at"]) == ("delivered", "2026-03-04T16:58:00Z")
    with db.reading() as session:
        names = session.scalars(select(Event.name).where(
            Event.subject_type == "shipment", Event.subject_id == shipment["id"])).all()
    assert list(names) == ["shipment.created", "shipment.info_received", "shipment.delivered"]


# --- unknown statuses --------------------------------------------------------

def test_an_unknown_status_is_kept_counted_and_shown_at_the_closest_stage(client, store,
                                                                          secrets, db):
    ship(client, store, "EZ1000000001")
    tracker = payloads.easypost_tracker()
    tracker["tracking_details"].append({
        "message": "Parcel handed to drone", "status": "drone_transit", "status_detail": "x",
        "datetime": "2025-02-08T10:00:00Z", "tracking_location": None})

    assert post(client, "easypost", payloads.easypost_event(tracker)).status_code == 200

    item = shipment_state(client, store, "EZ1000000001")
    assert (item["status"], item["substatus"], item["provider_status"]) == (
        "in_transit", "unknown:drone_transit", "drone_transit")
    [kept] = [e for e in item["events"] if e["provider_status"] == "drone_transit"]
    assert (kept["status"], kept["message"]) == ("in_transit", "Parcel handed to drone")
    with db.reading() as session:
        [unknown] = service.unknown_statuses(session, store_id=store.id)
        assert (unknown.provider, unknown.provider_status, unknown.occurrences) == (
            "easypost", "drone_transit", 1)


# --- bad input ---------------------------------------------------------------

@pytest.mark.parametrize(("provider", "mutate", "field"), [
    ("easypost", lambda p: p["result"]["tracking_details"][1].update(
        datetime="2025-02-07T08:25:26"), "result.tracking_details.1.datetime"),
    ("aftership", lambda p: p["msg"]["checkpoints"][5].update(checkpoint_time="25/03/2021"),
     "msg.checkpoints.5.checkpoint_time"),
    ("shippo", lambda p: p["data"]["tracking_status"].update(status_date="2026-03-04T25:00Z"),
     "data.tracking_status.status_date"),
    ("generic", lambda p: p["events"][4].update(occurred_at="2026-03-04T13:31:00+14:30"),
     "events.4.occurred_at"),
])
@pytest.mark.parametrize("known", [True, False])
def test_a_malformed_timestamp_is_a_422_naming_the_field_and_nothing_is_written(
        client, store, secrets, db, provider, mutate, field, known):
    if known:
        ship(client, store, NUMBERS[provider])
    payload = payloads.webhook(provider)
    mutate(payload)
    before = counts(db)

    response = post(client, provider, payload)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["field"] == field
    assert counts(db) == before


def test_a_body_that_is_not_json_is_a_400(client, store, secrets, db):
    before = counts(db)

    response = post(client, "generic", None, raw=b"{not json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert counts(db) == before


def test_a_provider_event_that_is_not_about_tracking_is_acknowledged_and_ignored(
        client, store, secrets, db):
    before = counts(db)

    response = post(client, "easypost", payloads.easypost_event(description="batch.updated"))

    assert (response.status_code, response.json()["status"]) == (200, "ignored")
    assert counts(db) == before


def test_the_route_is_described_in_openapi(client):
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/webhooks/carriers/{provider}/{store_slug}"]["post"]

    assert {"200", "202", "401", "404", "422"} <= set(operation["responses"])


def test_a_store_deleted_while_this_process_kept_its_secret_is_404_not_500(
        client, store, secrets, db):
    first = post(client, "generic", payloads.generic_body())  # the secret is kept now
    with db.transaction() as session:
        session.execute(delete(Store).where(Store.id == store.id))

    body = payloads.generic_body()
    body["events"][0]["message"] = "a different body"
    again = post(client, "generic", body)

    assert first.status_code == 202
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "unknown_store"
