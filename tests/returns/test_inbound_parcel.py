"""The return parcel tracked inbound: its scans move the return (returns reads
tracking's shipment events; tracking never imports returns)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from afterward.commerce import stores
from afterward.event_cursors import EventConsumer
from afterward.events import Event
from afterward.returns.models import Return
from afterward.storage.types import utcnow
from afterward.tracking.statuses import Status
from tests.returns.carrier_support import (
    WAREHOUSE,
    approved_with_label,
    carrier_shop,
    consume,
    easypost,
    run_jobs,
    scan,
)
from tests.tracking import payloads

RECEIVE = {"lines": [{"sku": "MUG-1", "quantity": 1, "condition": "new"}]}

__all__ = ["carrier_shop", "easypost"]  # fixtures


def test_the_first_carrier_scan_puts_the_return_in_transit(carrier_shop, db):
    body = approved_with_label(carrier_shop, db)
    at = utcnow().replace(microsecond=0) - timedelta(hours=1)

    scan(db, body["inbound_shipment_id"], Status.in_transit, at)
    consume(db)

    after = carrier_shop.get(f"/api/v1/returns/{body['id']}").json()
    assert after["status"] == "in_transit"
    assert after["in_transit_at"] == at.isoformat().replace("+00:00", "Z")
    assert after["arrived_at"] is None
    assert carrier_shop.count(Event, Event.name == "return.in_transit") == 1


def test_a_scan_read_twice_moves_the_return_once(carrier_shop, db):
    body = approved_with_label(carrier_shop, db)
    scan(db, body["inbound_shipment_id"], Status.in_transit)
    consume(db)
    scan(db, body["inbound_shipment_id"], Status.out_for_delivery)

    consume(db)
    consume(db)

    assert carrier_shop.count(Event, Event.name == "return.in_transit") == 1


def test_delivered_to_the_warehouse_marks_arrival_and_waits_for_inspection(carrier_shop, db):
    body = approved_with_label(carrier_shop, db)
    scan(db, body["inbound_shipment_id"], Status.in_transit, utcnow() - timedelta(days=1))
    scan(db, body["inbound_shipment_id"], Status.delivered)

    consume(db)

    after = carrier_shop.get(f"/api/v1/returns/{body['id']}").json()
    assert (after["status"], after["received_at"]) == ("in_transit", None)
    assert after["arrived_at"] is not None
    assert carrier_shop.count(Event, Event.name == "return.arrived") == 1
    received = carrier_shop.post(f"/api/v1/returns/{body['id']}/receive", RECEIVE)
    assert (received.status_code, received.json()["status"]) == (200, "resolved")


def test_the_policy_may_receive_a_delivered_parcel_by_itself(carrier_shop, db):
    carrier_shop.put_policy(label_carrier="easypost", return_address=WAREHOUSE,
                            auto_receive_on_delivery=True)
    body = approved_with_label(carrier_shop, db)

    scan(db, body["inbound_shipment_id"], Status.delivered)
    consume(db)

    after = carrier_shop.get(f"/api/v1/returns/{body['id']}").json()
    assert (after["status"], after["refund_minor"]) == ("resolved", 1200)
    assert after["lines"][0]["received_quantity"] == 1


def test_a_label_issued_return_can_be_received_or_rejected(carrier_shop, db):
    first = approved_with_label(carrier_shop, db)

    rejected = carrier_shop.post(f"/api/v1/returns/{first['id']}/reject", {"reason": "lost"})

    assert rejected.json()["status"] == "rejected"
    second = approved_with_label(carrier_shop, db)
    received = carrier_shop.post(f"/api/v1/returns/{second['id']}/receive", RECEIVE)
    assert received.json()["status"] == "resolved"


def test_a_carrier_webhook_for_the_return_parcel_moves_the_return(carrier_shop, db, client):
    body = approved_with_label(carrier_shop, db)
    with db.transaction() as session:
        row = stores.get_by_slug(session, carrier_shop.store.slug)
        stores.set_webhook_secret(session, store=row, provider="easypost",
                                  secret=payloads.SECRETS["easypost"])
    tracker = payloads.easypost_tracker()  # recorded: two pre_transit details
    tracker["tracking_code"] = body["tracking_number"]
    tracker["is_return"] = True
    first = tracker["tracking_details"][0]
    tracker["tracking_details"] = [
        {**first, "status": status, "status_detail": detail, "message": message,
         "datetime": (utcnow() - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")}
        for status, detail, message, hours in (
            ("pre_transit", "status_update", "Shipping Label Created", 5),
            ("in_transit", "arrived_at_facility", "Accepted at USPS Origin Facility", 3),
            ("delivered", "arrived_at_destination", "Delivered", 1))]
    raw = json.dumps(payloads.easypost_event(tracker)).encode()
    proof, _ = payloads.signed("easypost", raw)

    answer = client.post(f"/api/v1/webhooks/carriers/easypost/{carrier_shop.store.slug}",
                         content=raw, headers={"Content-Type": "application/json", **proof})
    run_jobs(db)  # a delivery may be applied by a job
    consume(db)

    assert answer.status_code in (200, 202), answer.text
    after = carrier_shop.get(f"/api/v1/returns/{body['id']}").json()
    assert after["status"] == "in_transit"
    assert after["arrived_at"] is not None  # its last detail: delivered


def test_other_parcels_of_the_store_move_no_return(carrier_shop, db):
    body = approved_with_label(carrier_shop, db)
    outbound = carrier_shop.get("/api/v1/shipments?tracking_number=1Z999AA10123456784")
    [parcel] = outbound.json()["items"]

    scan(db, parcel["id"], Status.delivered)
    consume(db)

    assert carrier_shop.get(f"/api/v1/returns/{body['id']}").json()["status"] == "label_issued"
    with db.reading() as session:
        cursor = session.get(EventConsumer, f"returns:{carrier_shop.store.id}")
        assert cursor is not None and cursor.failures == 0


def test_the_return_parcel_scans_reach_returns_through_events_only():
    tracking = Path(__file__).parents[2] / "src" / "afterward" / "tracking"

    importers = [p.name for p in tracking.rglob("*.py") if "afterward.returns" in p.read_text()]

    assert importers == []


def test_a_return_whose_label_is_pending_is_not_moved_by_scans(carrier_shop, db, easypost):
    easypost.fail("/v2/shipments", 503)
    made = carrier_shop.request().json()

    consume(db)

    with db.reading() as session:
        rma = session.get(Return, made["id"])
        assert rma is not None and (rma.status, rma.inbound_shipment_id) == ("approved", None)


def test_a_parcel_sent_with_our_own_label_is_tracked_once_its_number_is_told(shop, db):
    made = shop.request().json()

    answer = shop.post(f"/api/v1/returns/{made['id']}/tracking",
                       {"tracking_number": "1Z 999 AA1 0123456784"})

    body = answer.json()
    assert answer.status_code == 200, answer.text
    assert (body["status"], body["tracking_number"], body["label_status"]) == (
        "label_issued", "1Z999AA10123456784", None)
    assert body["label_url"].endswith(".pdf")  # our own label still
    parcels = shop.get("/api/v1/shipments?tracking_number=1Z999AA10123456784").json()["items"]
    assert sorted(p["id"] for p in parcels)[-1] == body["inbound_shipment_id"]
    scan(db, body["inbound_shipment_id"], Status.in_transit)
    consume(db)
    assert shop.get(f"/api/v1/returns/{made['id']}").json()["status"] == "in_transit"


def test_a_tracking_number_told_twice_is_a_conflict(shop):
    made = shop.request().json()
    shop.post(f"/api/v1/returns/{made['id']}/tracking", {"tracking_number": "JJD0001"})

    again = shop.post(f"/api/v1/returns/{made['id']}/tracking", {"tracking_number": "JJD0002"})

    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_status")
    assert shop.get(f"/api/v1/returns/{made['id']}").json()["tracking_number"] == "JJD0001"


def test_a_carrier_label_brings_its_own_tracking_number(carrier_shop, easypost):
    made = carrier_shop.request().json()  # its label pending

    answer = carrier_shop.post(f"/api/v1/returns/{made['id']}/tracking",
                               {"tracking_number": "JJD0001"})

    assert (answer.status_code, answer.json()["error"]["field"]) == (409, "tracking_number")
    assert carrier_shop.get(f"/api/v1/returns/{made['id']}").json()["tracking_number"] is None
