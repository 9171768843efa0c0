"""Shipment state through the read API: several parcels per order, return parcels,
the carrier's name and public tracking page."""

from __future__ import annotations

import json

from afterward.commerce import stores
from tests.factories import order_body
from tests.tracking import payloads


def test_an_order_has_several_parcels_each_with_its_own_state(client, store, db):
    with db.transaction() as session:
        stores.set_webhook_secret(session, store=stores.get_by_slug(session, "acme"),
                                  provider="generic", secret=payloads.SECRETS["generic"])
    order = client.post("/api/v1/orders", json=order_body(), headers=store.auth).json()
    for number, direction in (("1Z999AA10123456784", "outbound"),
                              ("RR123456785DE", "outbound"), ("JJD0099999999", "return")):
        response = client.post("/api/v1/shipments", headers=store.auth, json={
            "order_id": order["id"], "tracking_number": number, "direction": direction})
        assert response.status_code == 201, response.text
    body = json.dumps(payloads.generic_body()).encode()
    headers, _ = payloads.signed("generic", body)
    client.post("/api/v1/webhooks/carriers/generic/acme", content=body, headers=headers)

    items = client.get(f"/api/v1/shipments?order_id={order['id']}", headers=store.auth).json()

    got = sorted((s["tracking_number"], s["direction"], s["status"], s["carrier"],
                  s["carrier_name"], s["last_message"]) for s in items["items"])
    assert got == [
        ("1Z999AA10123456784", "outbound", "delivered", "ups", "UPS", "Delivered, front door"),
        ("JJD0099999999", "return", "info_received", "dhl_express", "DHL Express", None),
        ("RR123456785DE", "outbound", "info_received", "deutsche_post",
         "Deutsche Post / DHL Paket", None),
    ]
    ups = next(s for s in items["items"] if s["carrier"] == "ups")
    assert ups["carrier_url"] == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert ups["carrier_estimated_at"] == "2026-03-05T18:00:00Z"
    assert (ups["signed_by"], ups["delivered_at"]) == ("DUPONT", "2026-03-04T12:31:00Z")


def test_a_direction_other_than_outbound_or_return_is_refused(client, store):
    order = client.post("/api/v1/orders", json=order_body(), headers=store.auth).json()

    response = client.post("/api/v1/shipments", headers=store.auth, json={
        "order_id": order["id"], "tracking_number": "JJD0099999999", "direction": "sideways"})

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "direction"
