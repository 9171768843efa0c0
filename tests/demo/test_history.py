"""A small demo build (conftest.SIZES: customers, orders and the orders placed in answer
to journeys' messages) read back through the models and the API; the shape of a bigger
history straight from the generator."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, timedelta

import phonenumbers
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from afterward.app import create_app
from afterward.commerce import service as commerce
from afterward.commerce.models import (
    ApiKey,
    Consent,
    Customer,
    Order,
    OrderLine,
    Product,
    Store,
    Variant,
    WebhookSecret,
)
from afterward.config import Settings
from afterward.demo import history
from afterward.events import Event
from afterward.storage import registry
from afterward.tracking import service as tracking
from afterward.tracking.models import Shipment, ShipmentLine, TrackingEvent
from afterward.tracking.statuses import Status
from tests.demo.conftest import BIG_BUILD, CUSTOMERS, DAYS, NOW, ORDERS, SECRET

# The tests reading the one demo build run in one test process, which builds it once.
pytestmark = BIG_BUILD


def test_it_builds_exactly_the_customers_orders_and_catalogue_asked_for(built):
    db, summary = built
    with db.reading() as session:
        def count(model):
            return session.scalar(select(func.count()).select_from(model))

        exchanges = session.scalar(select(func.count()).select_from(Order).where(
            Order.source == "exchange"))
        assert (count(Customer), count(Order) - exchanges, count(Product), count(Variant)) == (
            CUSTOMERS, ORDERS + summary.answered, 83, 176)
        assert count(Store) == 1
        assert count(ApiKey) == 1
        assert count(WebhookSecret) == 6  # one per provider, twilio included
    assert summary.created is True and summary.answered > 0
    assert summary.counts == {"customers": CUSTOMERS,
                              "orders": ORDERS + summary.answered + exchanges,
                              "shipments": summary.counts["shipments"]}


def test_every_row_belongs_to_the_demo_store(built):
    db, summary = built
    with db.reading() as session:
        for table in registry.metadata().sorted_tables:
            if "store_id" in table.c:
                others = session.scalar(select(func.count()).select_from(table).where(
                    (table.c.store_id != summary.store_id) | table.c.store_id.is_(None)))
                assert others == 0, table.name


def test_every_order_has_lines_and_its_totals_add_up(built):
    db, summary = built
    with db.reading() as session:
        sums = dict(session.execute(select(OrderLine.order_id, func.sum(OrderLine.total_minor))
                                    .group_by(OrderLine.order_id)).tuples().all())
        orders = session.scalars(select(Order)).all()
    assert len(sums) == len(orders) >= ORDERS + summary.answered
    for order in orders:
        assert order.subtotal_minor == sums[order.id]
        assert order.total_minor == (order.subtotal_minor + order.shipping_minor
                                     + order.tax_minor - order.discount_minor)
        assert 0 <= order.refunded_minor <= order.total_minor
        assert 1 <= len(order.lines) <= 4


def test_most_customers_buy_once_and_the_best_tenth_place_a_large_share():
    trade = history.generate(customers=300, orders=1200, seed=7, now=NOW)
    per_customer = sorted(Counter(o["customer"] for o in trade.orders).values(), reverse=True)

    assert len(per_customer) == 300
    once = sum(1 for n in per_customer if n == 1) / 300
    top_tenth = sum(per_customer[:30]) / 1200
    assert 0.5 <= once <= 0.7
    assert top_tenth >= 0.4


def test_november_and_december_sell_more_per_day_than_the_average_day():
    placed = [o["placed_at"] for o in history.generate(customers=300, orders=1200, seed=7,
                                                        now=NOW).orders]

    season = [p for p in placed if p.month in (11, 12)]
    season_days = sum(1 for d in range(731) if (NOW - timedelta(days=d)).month in (11, 12))
    assert len(season) / season_days > 1.3 * len(placed) / 730


def test_all_datetimes_are_aware_utc_and_inside_the_history(built):
    db, _ = built
    with db.reading() as session:
        moments = [*session.scalars(select(Order.placed_at)),
                   *session.scalars(select(Customer.created_at)),
                   *session.scalars(select(Shipment.shipped_at)),
                   *session.scalars(select(Shipment.last_event_at)),
                   *session.scalars(select(TrackingEvent.occurred_at)),
                   *session.scalars(select(Event.occurred_at))]
    assert len(moments) > 1_000
    assert all(m.tzinfo is UTC for m in moments)
    assert all(NOW - timedelta(days=DAYS + 1) <= m <= NOW for m in moments)


def test_each_parcels_scans_tell_its_journey_in_order(built):
    db, _ = built
    with db.reading() as session:
        shipments = session.scalars(select(Shipment)).all()
        for shipment in shipments:
            events = shipment.events
            times = [e.occurred_at for e in events]
            assert times == sorted(times)
            assert events[0].status == Status.info_received
            assert shipment.status == events[-1].status
            assert shipment.last_event_at == events[-1].occurred_at
            statuses = [e.status for e in events]
            if Status.delivered in statuses:
                assert statuses[-1] == Status.delivered
                assert shipment.delivered_at == events[-1].occurred_at
                assert statuses.index(Status.out_for_delivery) < statuses.index(Status.delivered)
    assert len(shipments) > 90


def test_parcels_still_on_their_way_are_recent_and_old_ones_arrived(built):
    db, _ = built
    with db.reading() as session:
        rows = session.execute(select(Shipment.status, Shipment.shipped_at)).all()
    moving = [shipped for status, shipped in rows
              if status in (Status.in_transit, Status.out_for_delivery, Status.info_received)]
    assert all(NOW - shipped < timedelta(days=40) for shipped in moving)
    old = Counter(status for status, shipped in rows if NOW - shipped > timedelta(days=45))
    assert set(old) <= {Status.delivered, Status.returned_to_sender}
    assert old[Status.delivered] > 0.98 * sum(old.values())


def test_the_example_tracking_page_is_for_a_parcel_on_its_way_else_the_latest(built):
    db, summary = built
    moving = (Status.in_transit, Status.out_for_delivery)
    with db.reading() as session:
        shipment = tracking.by_token(session, summary.tracking_token)
        on_the_way = session.scalar(select(func.count()).select_from(Shipment).where(
            Shipment.status.in_(moving)))
        latest = session.scalar(select(func.max(Shipment.last_event_at)))
    assert shipment is not None
    if on_the_way:
        assert shipment.status in moving
    else:  # a small store may have nothing on its way today
        assert shipment.last_event_at == latest


def test_cancelled_orders_never_ship_and_fulfilled_ones_ship_every_line(built):
    db, _ = built
    with db.reading() as session:
        orders = session.scalars(select(Order)).all()
        shipped = {s.order_id: s for s in session.scalars(select(Shipment))}
        shipped_lines = dict(session.execute(
            select(ShipmentLine.shipment_id, func.count()).group_by(ShipmentLine.shipment_id))
            .tuples().all())
    cancelled = [o for o in orders if o.status == "cancelled"]
    assert cancelled
    for order in orders:
        if order.status == "cancelled":
            assert order.id not in shipped and order.cancelled_at > order.placed_at
        elif order.fulfillment_status == "fulfilled":
            assert shipped_lines[shipped[order.id].id] == len(order.lines)
        elif order.source == "exchange":  # handed to the store platform, which ships it
            assert order.number.endswith("-X") and order.id not in shipped
        else:
            assert NOW - order.placed_at < timedelta(days=5)


def test_refunds_are_recorded_as_events_the_service_would_recognise(built):
    db, summary = built
    with db.reading() as session:
        refunded = session.scalars(select(Order).where(Order.refunded_minor > 0)).all()
        names = Counter(session.scalars(select(Event.name)))
        assert refunded
        exchanges = session.scalar(select(func.count()).select_from(Order).where(
            Order.source == "exchange"))
        for order in refunded:
            events = session.scalars(select(Event).where(
                Event.subject_type == "order", Event.subject_id == order.id,
                Event.name == "order.refunded")).all()
            assert sum(e.payload["amount_minor"] for e in events) == order.refunded_minor
            lines = sum(line.refunded_quantity for line in order.lines)
            assert lines == sum(item["quantity"] for e in events for item in e.payload["lines"])
    assert names["order.created"] == ORDERS + summary.answered + exchanges
    assert names["customer.created"] == CUSTOMERS
    assert names["shipment.created"] == names["shipment.info_received"]


def test_domain_event_ids_follow_time(built):
    db, _ = built
    with db.reading() as session:
        moments = session.scalars(select(Event.occurred_at).order_by(Event.id)).all()
    assert moments == sorted(moments)


def test_a_repeated_carrier_scan_is_recognised_as_already_recorded(built):
    db, _ = built
    with db.transaction() as session:
        shipment = session.scalar(select(Shipment).order_by(Shipment.id).limit(1))
        first = shipment.events[0]
        added = tracking.add_event(session, shipment=shipment, event=tracking.CarrierEvent(
            occurred_at=first.occurred_at, status=Status(first.status), provider=first.provider,
            provider_status=first.provider_status, message=first.message,
            location=first.location))
    assert added is False


def test_customer_figures_match_what_the_service_recomputes(built):
    db, summary = built
    with db.transaction() as session:
        customers = session.scalars(select(Customer).order_by(Customer.id).limit(50)).all()
        before = [(c.orders_count, c.total_spent_minor, c.first_order_at, c.last_order_at)
                  for c in customers]
        for customer in customers:
            commerce.refresh_customer_stats(session, store_id=summary.store_id,
                                            customer_id=customer.id)
        after = [(c.orders_count, c.total_spent_minor, c.first_order_at, c.last_order_at)
                 for c in customers]
        session.rollback()
    assert after == before


def test_customers_have_names_unique_emails_valid_phones_and_some_consent(built):
    db, _ = built
    with db.reading() as session:
        customers = session.scalars(select(Customer)).all()
        granted = session.scalar(select(func.count()).select_from(Consent).where(
            Consent.channel == "email", Consent.granted.is_(True)))
    assert all(c.first_name and c.last_name for c in customers)
    assert len({c.email for c in customers}) == CUSTOMERS
    phones = [c.phone for c in customers if c.phone]
    assert phones and all(phonenumbers.is_valid_number(phonenumbers.parse(p)) for p in phones)
    assert 0.3 < granted / CUSTOMERS < 0.75
    assert len({c.locale for c in customers}) >= 4


def test_products_point_at_their_generated_pictures_and_consumables_come_back(built):
    db, _ = built
    with db.reading() as session:
        products = session.scalars(select(Product)).all()
    assert all(p.image_url == f"/media/products/{p.id}.svg" for p in products)
    assert all(p.care_content and p.howto_content for p in products)
    assert sum(1 for p in products if p.replenishment_days) == 41


def test_the_api_key_finds_a_demo_shipment_and_order(built):
    db, summary = built
    with db.reading() as session:
        shipment = session.scalar(select(Shipment).order_by(Shipment.id).limit(1))
        number, count = shipment.tracking_number, len(shipment.events)
    settings = Settings(database_url=db.url, secret_key=SECRET, public_url="http://testserver")
    with TestClient(create_app(settings, db)) as client:
        auth = {"Authorization": f"Bearer {summary.api_key}"}
        found = client.get("/api/v1/shipments", params={"tracking_number": number}, headers=auth)
        order = client.get("/api/v1/orders", params={"number": "10001"}, headers=auth)
        logo = client.get("/media/stores/demo/logo.svg")

    assert found.status_code == 200
    [item] = found.json()["items"]
    assert len(item["events"]) == count
    assert order.status_code == 200
    assert logo.status_code == 200 and "Northwind Goods" in logo.text
