"""Writes a generated History with bulk inserts (storage/bulk.py) in the caller's
transaction, and collects the domain events each row would have recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from afterward.commerce.models import Consent, Customer, Order, OrderLine, Product, Variant
from afterward.demo.content import care_and_howto
from afterward.demo.history import History
from afterward.demo.parcels import US_WAREHOUSE, provider_of, provider_status
from afterward.events import EventName, NewEvent, record_many
from afterward.storage import bulk
from afterward.tracking.models import Shipment, ShipmentLine, TrackingEvent
from afterward.tracking.service import CarrierEvent, event_key, new_token
from afterward.tracking.statuses import Status

SOURCE = "demo"


class Events:
    """Domain events collected from every table, written in time order so that
    event ids follow time, as they would have had they been recorded live."""

    def __init__(self, store_id: int) -> None:
        self.store_id = store_id
        self.rows: list[NewEvent] = []

    def add(self, at: datetime, name: EventName | str, subject_type: str, subject_id: int,
            payload: dict[str, Any]) -> None:
        self.rows.append(NewEvent(name, subject_type, subject_id, payload, at, at))

    def write(self, session: Session) -> int:
        self.rows.sort(key=lambda event: event.occurred_at)
        record_many(session, store_id=self.store_id, events=self.rows)
        return len(self.rows)


def write_history(session: Session, *, store_id: int, currency: str, trade: History,
                  step: Callable[[str], None]) -> None:
    events = Events(store_id)
    step("Writing catalogue and customers")
    variant_ids, product_ids = _catalogue(session, store_id, currency, trade)
    customer_ids = _customers(session, store_id, trade, events)
    step("Writing orders")
    order_ids, line_ids = _orders(session, store_id, currency, trade, events, customer_ids,
                                  variant_ids, product_ids)
    step("Writing shipments")
    shipment_ids = _shipments(session, store_id, trade, events, order_ids, line_ids)
    step("Writing tracking events")
    _tracking_events(session, store_id, trade, shipment_ids)
    step("Writing domain events")
    events.write(session)


def _catalogue(session: Session, store_id: int, currency: str,
               trade: History) -> tuple[list[int], list[int]]:
    launched = datetime.combine(trade.start, datetime.min.time(), tzinfo=trade.now.tzinfo) - (
        timedelta(days=45))
    rows = []
    for spec in trade.products:
        care, howto = care_and_howto(spec.kind, spec.title)
        rows.append({"store_id": store_id, "external_id": spec.code, "title": spec.title,
                     "category": spec.category, "image_url": None, "care_content": care,
                     "howto_content": howto, "replenishment_days": spec.replenishment_days,
                     "created_at": launched})
    product_ids = bulk.insert(session, Product, rows, returning_ids=True)
    products = cast(Table, Product.__table__)
    session.execute(update(products).where(products.c.id == bindparam("pid"))
                    .values(image_url=bindparam("url")),
                    [{"pid": pid, "url": f"/media/products/{pid}.svg"} for pid in product_ids])
    variant_ids = bulk.insert(session, Variant, [
        {"store_id": store_id, "product_id": product_ids[v.product], "external_id": None,
         "sku": v.sku, "title": v.title, "price_minor": v.price_minor, "currency": currency,
         "image_url": None} for v in trade.variants], returning_ids=True)
    return variant_ids, product_ids


def _customers(session: Session, store_id: int, trade: History, events: Events) -> list[int]:
    who = trade.people
    live = [o for o in trade.orders if o["status"] != "cancelled"]
    count = [0] * len(who.email)
    spent = [0] * len(who.email)
    first: list[datetime | None] = [None] * len(who.email)
    last: list[datetime | None] = [None] * len(who.email)
    for order in live:  # orders are in time order
        c = order["customer"]
        count[c] += 1
        spent[c] += order["total_minor"] - order["refunded_minor"]
        first[c] = first[c] or order["placed_at"]
        last[c] = order["placed_at"]
    rows = [{"store_id": store_id, "external_id": None, "email": who.email[c],
             "phone": who.phone[c], "first_name": who.first_name[c],
             "last_name": who.last_name[c], "locale": who.locale[c],
             "timezone": who.timezone[c], "birthday": who.birthday[c],
             "orders_count": count[c], "total_spent_minor": spent[c], "first_order_at": first[c],
             "last_order_at": last[c], "created_at": trade.customer_since[c],
             "updated_at": last[c] or trade.customer_since[c]}
            for c in range(len(who.email))]
    ids = bulk.insert(session, Customer, rows, returning_ids=True)
    consents = []
    for c, cid in enumerate(ids):
        since = trade.customer_since[c]
        events.add(since, EventName.customer_created, "customer", cid, {"source": SOURCE})
        consents.append({"store_id": store_id, "customer_id": cid, "channel": "email",
                         "purpose": "marketing", "granted": who.email_marketing[c],
                         "source": "checkout", "updated_at": since})
        if who.phone[c]:
            consents.append({"store_id": store_id, "customer_id": cid, "channel": "sms",
                             "purpose": "marketing", "granted": who.sms_marketing[c],
                             "source": "checkout", "updated_at": since})
    bulk.insert(session, Consent, consents)
    return ids


def _orders(session: Session, store_id: int, currency: str, trade: History, events: Events,
            customer_ids: list[int], variant_ids: list[int],
            product_ids: list[int]) -> tuple[list[int], list[int]]:
    updated = {i: o["cancelled_at"] or o["placed_at"] for i, o in enumerate(trade.orders)}
    for shipment in trade.shipments:
        updated[shipment["order"]] = shipment["scans"][0].at
    for refund in trade.refunds:
        updated[refund["order"]] = refund["at"]
    rows = []
    for i, order in enumerate(trade.orders):
        row = {k: v for k, v in order.items() if k != "customer"}
        row.update(store_id=store_id, number=str(10001 + i), source=SOURCE, external_id=None,
                   customer_id=customer_ids[order["customer"]], currency=currency,
                   source_updated_at=None, created_at=order["placed_at"], updated_at=updated[i])
        rows.append(row)
    order_ids = bulk.insert(session, Order, rows, returning_ids=True)
    for i, (order, oid) in enumerate(zip(trade.orders, order_ids, strict=True)):
        events.add(order["placed_at"], EventName.order_created, "order", oid,
                   {"number": str(10001 + i), "total_minor": order["total_minor"],
                    "currency": currency, "customer_id": customer_ids[order["customer"]],
                    "source": SOURCE})
        if order["cancelled_at"]:
            events.add(order["cancelled_at"], EventName.order_cancelled, "order", oid,
                       {"number": str(10001 + i), "reason": order["cancel_reason"]})
    for n, refund in enumerate(trade.refunds):
        events.add(refund["at"], EventName.order_refunded, "order", order_ids[refund["order"]],
                   {"refund_key": f"demo-refund-{n + 1}", "amount_minor": refund["amount_minor"],
                    "lines": refund["lines"]})
    line_ids = bulk.insert(session, OrderLine, [
        {"store_id": store_id, "order_id": order_ids[ln["order"]], "position": ln["position"],
         "external_id": None, "variant_id": variant_ids[ln["variant"]],
         "product_id": product_ids[ln["product"]], "sku": ln["sku"], "title": ln["title"],
         "quantity": ln["quantity"], "unit_price_minor": ln["unit_price_minor"],
         "total_minor": ln["total_minor"], "refunded_quantity": ln["refunded_quantity"]}
        for ln in trade.lines], returning_ids=True)
    return order_ids, line_ids


def _shipments(session: Session, store_id: int, trade: History, events: Events,
               order_ids: list[int], line_ids: list[int]) -> list[int]:
    lines_of: dict[int, list[int]] = {}
    for index, line in enumerate(trade.lines):
        lines_of.setdefault(line["order"], []).append(index)
    rows = []
    for shipment in trade.shipments:
        parcel, scans = shipment["parcel"], shipment["scans"]
        order = trade.orders[shipment["order"]]
        latest = scans[-1]
        delivered = next((s for s in scans if s.status is Status.delivered), None)
        rows.append({
            "store_id": store_id, "order_id": order_ids[shipment["order"]], "external_id": None,
            "direction": "outbound", "carrier": parcel.carrier, "service": parcel.service,
            "tracking_number": parcel.tracking_number, "token": new_token(),
            "status": latest.status.value, "substatus": None,
            "provider_status": provider_status(parcel.carrier, latest.status),
            "last_event_at": latest.at, "last_location": latest.location,
            "signed_by": delivered.signed_by if delivered else None,
            "exception_reason": latest.message if latest.status is Status.exception else None,
            "origin_region": "US" if scans[0].location == US_WAREHOUSE else "DE",
            "destination_region": order["ship_country"], "shipped_at": scans[0].at,
            "delivered_at": delivered.at if delivered else None,
            "promised_at": parcel.promised_at, "source_updated_at": None,
            "created_at": scans[0].at, "updated_at": latest.at})
    ids = bulk.insert(session, Shipment, rows, returning_ids=True)
    shipment_lines = []
    for shipment, sid in zip(trade.shipments, ids, strict=True):
        for index in lines_of.get(shipment["order"], []):
            shipment_lines.append({"store_id": store_id, "shipment_id": sid,
                                   "order_line_id": line_ids[index],
                                   "quantity": trade.lines[index]["quantity"]})
        _shipment_events(events, shipment, sid, order_ids[shipment["order"]])
    bulk.insert(session, ShipmentLine, shipment_lines)
    return ids


def _shipment_events(events: Events, shipment: dict[str, Any], shipment_id: int,
                     order_id: int) -> None:
    parcel, scans = shipment["parcel"], shipment["scans"]
    events.add(scans[0].at, EventName.shipment_created, "shipment", shipment_id,
               {"order_id": order_id, "carrier": parcel.carrier,
                "tracking_number": parcel.tracking_number})
    previous = Status.pending.value
    for scan in scans:
        if scan.status.value != previous:
            events.add(scan.at, f"shipment.{scan.status.value}", "shipment", shipment_id,
                       {"order_id": order_id, "from": previous, "to": scan.status.value,
                        "carrier": parcel.carrier})
            previous = scan.status.value


def _tracking_events(session: Session, store_id: int, trade: History,
                     shipment_ids: list[int]) -> None:
    rows = []
    for shipment, sid in zip(trade.shipments, shipment_ids, strict=True):
        carrier = shipment["parcel"].carrier
        provider = provider_of(carrier)
        for scan in shipment["scans"]:
            code = provider_status(carrier, scan.status)
            key = event_key(CarrierEvent(occurred_at=scan.at, status=scan.status,
                                         provider=provider, provider_status=code,
                                         message=scan.message, location=scan.location))
            rows.append({"store_id": store_id, "shipment_id": sid, "occurred_at": scan.at,
                         "status": scan.status.value, "substatus": None, "provider": provider,
                         "provider_status": code, "message": scan.message,
                         "location": scan.location, "dedupe_key": key, "raw": None,
                         "received_at": min(scan.at + timedelta(minutes=3), trade.now)})
    bulk.insert(session, TrackingEvent, rows)
