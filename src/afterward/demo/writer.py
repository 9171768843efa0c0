"""Writes a generated History as time passes (agenda.py), in the caller's transaction:
what happened up to a moment, with bulk inserts (storage/bulk.py) and batched updates, and
the domain events each change would have recorded, in time order, so that event ids
follow time as they would have had they been recorded live.

Rows start as they were when created (an order open, a parcel at its label scan) and
change when the history says they did, so whatever reads the database during the
replay (the journeys' conditions, the customer scans, message templates) sees the
store as it was at that moment."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from afterward.commerce import service as commerce
from afterward.commerce.models import Consent, Customer, Order, OrderLine, Product, Variant
from afterward.demo.agenda import Happening, Kind
from afterward.demo.content import care_and_howto
from afterward.demo.history import History
from afterward.demo.parcels import US_WAREHOUSE, Scan, provider_of, provider_status
from afterward.demo.return_writer import ReturnWriter
from afterward.events import EventName, NewEvent, record_many
from afterward.storage import bulk
from afterward.tracking.models import Shipment, ShipmentLine, TrackingEvent
from afterward.tracking.service import CarrierEvent, event_key, new_token
from afterward.tracking.statuses import Status

SOURCE = "demo"
FIRST_ORDER_NUMBER = 10001


class Events:
    """The domain events of one write, recorded in time order."""

    def __init__(self, store_id: int) -> None:
        self.store_id = store_id
        self.rows: list[tuple[datetime, int, str, str, int, dict[str, Any]]] = []

    def add(self, at: datetime, name: EventName | str, subject_type: str, subject_id: int,
            payload: dict[str, Any]) -> None:
        self.rows.append((at, len(self.rows), str(name), subject_type, subject_id, payload))

    def write(self, session: Session) -> int:
        if not self.rows:
            return 0
        self.rows.sort(key=lambda row: row[:2])
        record_many(session, store_id=self.store_id, events=[
            NewEvent(name, kind, sid, payload, at, recorded_at=at)
            for at, _, name, kind, sid, payload in self.rows])
        return len(self.rows)


def _updater(model: Any, **columns: str) -> Any:
    """An UPDATE by id, run with executemany: column=bind name."""
    table = cast(Table, model.__table__)
    return update(table).where(table.c.id == bindparam("b_id")).values(
        **{column: bindparam(name) for column, name in columns.items()})


_CANCEL = _updater(Order, status="b_status", cancelled_at="b_at", cancel_reason="b_reason",
                   financial_status="b_financial", updated_at="b_at")
_FULFILLED = _updater(Order, fulfillment_status="b_fulfillment", updated_at="b_at")
_REFUNDED = _updater(Order, refunded_minor="b_refunded", financial_status="b_financial",
                     updated_at="b_at")
_LINE_REFUNDED = _updater(OrderLine, refunded_quantity="b_quantity")
_SHIPMENTS = cast(Table, Shipment.__table__)
_ARRIVED = update(_SHIPMENTS).where(_SHIPMENTS.c.id == bindparam("b_id")).values(delayed_at=None)
_SCANNED = _updater(Shipment, status="b_status", provider_status="b_provider_status",
                    last_event_at="b_at", last_location="b_location", signed_by="b_signed",
                    exception_reason="b_exception", delivered_at="b_delivered",
                    updated_at="b_at")


class HistoryWriter:
    """Keeps the ids of what it wrote, so later happenings can refer to it."""

    def __init__(self, *, store_id: int, currency: str, trade: History) -> None:
        self.store_id, self.currency, self.trade = store_id, currency, trade
        self.customer_ids: dict[int, int] = {}
        self.order_ids: dict[int, int] = {}
        self.order_numbers: dict[int, str] = {}
        self.line_ids: dict[int, list[int]] = {}  # order index -> its lines' ids
        self.shipment_ids: dict[int, int] = {}
        self.shipment_status: dict[int, str] = {}
        self.variant_ids: list[int] = []
        self.product_ids: list[int] = []
        self.returns = ReturnWriter(store_id=store_id, order_numbers=self.order_numbers,
                                    returns=trade.returns)
        self._return_steps = {Kind.return_request: self.returns.request,
                              Kind.return_review: self.returns.review,
                              Kind.return_receive: self.returns.receive}
        self._lines_by_order: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self._lines_indexed = 0

    def write_catalogue(self, session: Session) -> None:
        trade = self.trade
        launched = datetime.combine(trade.start, datetime.min.time(),
                                    tzinfo=trade.now.tzinfo) - timedelta(days=45)
        rows = []
        for spec in trade.products:
            care, howto = care_and_howto(spec.kind, spec.title)
            rows.append({"store_id": self.store_id, "external_id": spec.code,
                         "title": spec.title, "category": spec.category, "image_url": None,
                         "care_content": care, "howto_content": howto,
                         "replenishment_days": spec.replenishment_days, "created_at": launched})
        self.product_ids = bulk.insert(session, Product, rows, returning_ids=True)
        products = cast(Table, Product.__table__)
        session.execute(update(products).where(products.c.id == bindparam("pid"))
                        .values(image_url=bindparam("url")),
                        [{"pid": pid, "url": f"/media/products/{pid}.svg"}
                         for pid in self.product_ids])
        self.variant_ids = bulk.insert(session, Variant, [
            {"store_id": self.store_id, "product_id": self.product_ids[v.product],
             "external_id": None, "sku": v.sku, "title": v.title,
             "price_minor": v.price_minor, "currency": self.currency, "image_url": None}
            for v in trade.variants], returning_ids=True)

    def write(self, session: Session, happenings: list[Happening]) -> int:
        """Write what happened (in time order), then refresh the touched customers'
        figures with the commerce service, as its job would; returns the domain events
        recorded (a return's steps counted as one each). A return's step goes through
        the returns service between what happened before it and what happened after,
        so event ids still follow time."""
        recorded, run = 0, []
        for happening in happenings:
            step = self._return_steps.get(happening.kind)
            if step is None:
                run.append(happening)
                continue
            recorded += self._write_run(session, run)
            run = []
            step(session, happening.index)
            recorded += 1
        return recorded + self._write_run(session, run)

    def _write_run(self, session: Session, happenings: list[Happening]) -> int:
        if not happenings:
            return 0
        kinds: dict[Kind, list[Happening]] = defaultdict(list)
        for happening in happenings:
            kinds[happening.kind].append(happening)
        events = Events(self.store_id)
        self._customers(session, [h.index for h in kinds[Kind.customer]], events)
        self._orders(session, [h.index for h in kinds[Kind.order]], events)
        self._cancels(session, [h.index for h in kinds[Kind.cancel]], events)
        self._ships(session, [h.index for h in kinds[Kind.ship]], events)
        self._scans(session, kinds[Kind.scan], events)
        self._refunds(session, [h.index for h in kinds[Kind.refund]], events)
        recorded = events.write(session)
        touched = {self.trade.orders[h.index]["customer"] for h in happenings
                   if h.kind in (Kind.order, Kind.cancel)}
        touched |= {self.trade.orders[self.trade.refunds[h.index]["order"]]["customer"]
                    for h in kinds[Kind.refund]}
        commerce.refresh_customers_stats(session, store_id=self.store_id, customer_ids=[
            self.customer_ids[c] for c in touched])
        return recorded

    def _customers(self, session: Session, indexes: list[int], events: Events) -> None:
        if not indexes:
            return
        who, since = self.trade.people, self.trade.customer_since
        ids = bulk.insert(session, Customer, [
            {"store_id": self.store_id, "external_id": None, "email": who.email[c],
             "phone": who.phone[c], "first_name": who.first_name[c],
             "last_name": who.last_name[c], "locale": who.locale[c],
             "timezone": who.timezone[c], "birthday": who.birthday[c], "orders_count": 0,
             "total_spent_minor": 0, "first_order_at": None, "last_order_at": None,
             "created_at": since[c], "updated_at": since[c]} for c in indexes], returning_ids=True)
        consents = []
        for c, cid in zip(indexes, ids, strict=True):
            self.customer_ids[c] = cid
            events.add(since[c], EventName.customer_created, "customer", cid,
                       {"source": SOURCE})
            consents.append(self._consent(cid, "email", who.email_marketing[c], since[c]))
            if who.phone[c]:
                consents.append(self._consent(cid, "sms", who.sms_marketing[c], since[c]))
        bulk.insert(session, Consent, consents)

    def _consent(self, customer_id: int, channel: str, granted: bool,
                 at: datetime) -> dict[str, Any]:
        return {"store_id": self.store_id, "customer_id": customer_id, "channel": channel,
                "purpose": "marketing", "granted": granted, "source": "checkout",
                "updated_at": at}

    def _orders(self, session: Session, indexes: list[int], events: Events) -> None:
        if not indexes:
            return
        rows = []
        for i in indexes:
            order = self.trade.orders[i]
            self.order_numbers[i] = str(FIRST_ORDER_NUMBER + len(self.order_numbers))
            row = {k: v for k, v in order.items() if k != "customer"}
            row.update(store_id=self.store_id, number=self.order_numbers[i], source=SOURCE,
                       external_id=None, customer_id=self.customer_ids[order["customer"]],
                       currency=self.currency, source_updated_at=None, status="open",
                       financial_status="paid", fulfillment_status=None, cancelled_at=None,
                       cancel_reason=None, refunded_minor=0, created_at=order["placed_at"],
                       updated_at=order["placed_at"])
            rows.append(row)
        ids = bulk.insert(session, Order, rows, returning_ids=True)
        for i, oid in zip(indexes, ids, strict=True):
            order = self.trade.orders[i]
            self.order_ids[i] = oid
            events.add(order["placed_at"], EventName.order_created, "order", oid,
                       {"number": self.order_numbers[i], "total_minor": order["total_minor"],
                        "currency": self.currency,
                        "customer_id": self.customer_ids[order["customer"]],
                        "source": SOURCE})
        self._lines(session, indexes)

    def _lines(self, session: Session, orders: list[int]) -> None:
        picked = [line for i in orders for line in self._lines_of(i)]
        ids = bulk.insert(session, OrderLine, [
            {"store_id": self.store_id, "order_id": self.order_ids[ln["order"]],
             "position": ln["position"], "external_id": None,
             "variant_id": self.variant_ids[ln["variant"]],
             "product_id": self.product_ids[ln["product"]], "sku": ln["sku"],
             "title": ln["title"], "quantity": ln["quantity"],
             "unit_price_minor": ln["unit_price_minor"], "total_minor": ln["total_minor"],
             "refunded_quantity": 0} for ln in picked], returning_ids=True)
        for line, line_id in zip(picked, ids, strict=True):
            self.line_ids.setdefault(line["order"], []).append(line_id)

    def _lines_of(self, order: int) -> list[dict[str, Any]]:
        """An order's lines (the history appends lines as add_order makes orders)."""
        lines = self.trade.lines
        for line in lines[self._lines_indexed:]:
            self._lines_by_order[line["order"]].append(line)
        self._lines_indexed = len(lines)
        return self._lines_by_order[order]

    def _cancels(self, session: Session, indexes: list[int], events: Events) -> None:
        rows = []
        for i in indexes:
            order = self.trade.orders[i]
            rows.append({"b_id": self.order_ids[i], "b_status": order["status"],
                         "b_at": order["cancelled_at"], "b_reason": order["cancel_reason"],
                         "b_financial": order["financial_status"]})
            events.add(order["cancelled_at"], EventName.order_cancelled, "order",
                       self.order_ids[i], {"number": self.order_numbers[i],
                                           "reason": order["cancel_reason"]})
        if rows:
            session.connection().execute(_CANCEL, rows)

    def _ships(self, session: Session, indexes: list[int], events: Events) -> None:
        if not indexes:
            return
        rows = [self._shipment_row(k) for k in indexes]
        ids = bulk.insert(session, Shipment, rows, returning_ids=True)
        shipment_lines, fulfilled = [], []
        for k, sid in zip(indexes, ids, strict=True):
            shipment = self.trade.shipments[k]
            order, label = shipment["order"], shipment["scans"][0]
            self.shipment_ids[k], self.shipment_status[k] = sid, Status.pending.value
            shipment_lines += [{"store_id": self.store_id, "shipment_id": sid,
                                "order_line_id": line_id, "quantity": quantity}
                               for line_id, quantity in zip(
                                   self.line_ids[order], self._quantities(order), strict=True)]
            fulfilled.append({"b_id": self.order_ids[order], "b_fulfillment": "fulfilled",
                              "b_at": label.at})
            events.add(label.at, EventName.shipment_created, "shipment", sid,
                       {"order_id": self.order_ids[order],
                        "carrier": shipment["parcel"].carrier,
                        "tracking_number": shipment["parcel"].tracking_number})
        bulk.insert(session, ShipmentLine, shipment_lines)
        session.connection().execute(_FULFILLED, fulfilled)
        self._tracking_events(session, [(k, 0) for k in indexes], events)

    def _quantities(self, order: int) -> list[int]:
        return [line["quantity"] for line in self._lines_of(order)]

    def _shipment_row(self, k: int) -> dict[str, Any]:
        shipment = self.trade.shipments[k]
        parcel, label = shipment["parcel"], shipment["scans"][0]
        order = self.trade.orders[shipment["order"]]
        return {
            "store_id": self.store_id, "order_id": self.order_ids[shipment["order"]],
            "external_id": None, "direction": "outbound", "carrier": parcel.carrier,
            "service": parcel.service, "tracking_number": parcel.tracking_number,
            "token": new_token(), "status": label.status.value, "substatus": None,
            "provider_status": provider_status(parcel.carrier, label.status),
            "last_event_at": label.at, "last_location": label.location, "signed_by": None,
            "exception_reason": None,
            "origin_region": "US" if label.location == US_WAREHOUSE else "DE",
            "destination_region": order["ship_country"], "shipped_at": label.at,
            "delivered_at": None, "source_updated_at": None,
            # No promise from the platform: the first predicted window's last day is
            # promised when the parcel is first judged (tracking.service.refresh_eta).
            "promised_at": None,
            "created_at": label.at, "updated_at": label.at}

    def _scans(self, session: Session, happenings: list[Happening], events: Events) -> None:
        if not happenings:
            return
        rows = []
        for h in happenings:
            shipment = self.trade.shipments[h.index]
            scan: Scan = shipment["scans"][h.scan]
            delivered = scan.status is Status.delivered
            rows.append({"b_id": self.shipment_ids[h.index], "b_status": scan.status.value,
                         "b_provider_status": provider_status(shipment["parcel"].carrier,
                                                              scan.status),
                         "b_at": scan.at, "b_location": scan.location,
                         "b_signed": scan.signed_by if delivered else None,
                         "b_exception": scan.message if scan.status is Status.exception
                         else None, "b_delivered": scan.at if delivered else None})
        session.connection().execute(_SCANNED, rows)
        arrived = [{"b_id": row["b_id"]} for row in rows if row["b_delivered"] is not None]
        if arrived:  # delivered: no longer late (tracking.service does the same)
            session.connection().execute(_ARRIVED, arrived)
        self._tracking_events(session, [(h.index, h.scan) for h in happenings], events)

    def _tracking_events(self, session: Session, scans: list[tuple[int, int]],
                         events: Events) -> None:
        rows = []
        for k, number in scans:
            shipment = self.trade.shipments[k]
            carrier, scan = shipment["parcel"].carrier, shipment["scans"][number]
            provider, code = provider_of(carrier), provider_status(carrier, scan.status)
            key = event_key(CarrierEvent(occurred_at=scan.at, status=scan.status,
                                         provider=provider, provider_status=code,
                                         message=scan.message, location=scan.location))
            rows.append({"store_id": self.store_id, "shipment_id": self.shipment_ids[k],
                         "occurred_at": scan.at, "status": scan.status.value,
                         "substatus": None, "provider": provider, "provider_status": code,
                         "message": scan.message, "location": scan.location,
                         "dedupe_key": key, "raw": None,
                         "received_at": min(scan.at + timedelta(minutes=3), self.trade.now)})
            self._status_event(k, scan, carrier, events)
        bulk.insert(session, TrackingEvent, rows)

    def _status_event(self, k: int, scan: Scan, carrier: str, events: Events) -> None:
        previous = self.shipment_status[k]
        if scan.status.value == previous:
            return
        sid = self.shipment_ids[k]
        events.add(scan.at, f"shipment.{scan.status.value}", "shipment", sid,
                   {"order_id": self.order_ids[self.trade.shipments[k]["order"]],
                    "from": previous, "to": scan.status.value, "carrier": carrier})
        self.shipment_status[k] = scan.status.value

    def _refunds(self, session: Session, indexes: list[int], events: Events) -> None:
        orders, lines = [], []
        for n in indexes:
            refund = self.trade.refunds[n]
            i = refund["order"]
            order = self.trade.orders[i]
            orders.append({"b_id": self.order_ids[i], "b_refunded": order["refunded_minor"],
                           "b_financial": order["financial_status"], "b_at": refund["at"]})
            lines += [{"b_id": line_id, "b_quantity": line["refunded_quantity"]}
                      for line_id, line in zip(self.line_ids[i], self._lines_of(i),
                                               strict=True)]
            events.add(refund["at"], EventName.order_refunded, "order", self.order_ids[i],
                       {"refund_key": f"demo-refund-{n + 1}",
                        "amount_minor": refund["amount_minor"], "lines": refund["lines"]})
        if orders:
            session.connection().execute(_REFUNDED, orders)
            session.connection().execute(_LINE_REFUNDED, lines)
