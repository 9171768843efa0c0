"""The delivery-date model fed from a store's shipments in a real database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from afterward.tracking import eta, eta_store
from afterward.tracking.models import Shipment, TrackingEvent
from afterward.tracking.service import new_token

CLOCK = eta.Clock()


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2024, 6, day, hour, tzinfo=UTC)  # 2024-06-03 is a Monday


def shipment(store_id: int, *, shipped: datetime | None = at(3), delivered: datetime | None,
             status: str = "delivered", direction: str = "outbound", carrier: str = "ups",
             destination: str = "NY", **fields) -> Shipment:
    return Shipment(store_id=store_id, token=new_token(), carrier=carrier, service="ground",
                    origin_region="CA", destination_region=destination, shipped_at=shipped,
                    delivered_at=delivered, status=status, direction=direction, **fields)


def scan(row: Shipment, moment: datetime, status: str = "in_transit",
         provider: str = "easypost") -> TrackingEvent:
    return TrackingEvent(store_id=row.store_id, occurred_at=moment, status=status,
                         provider=provider, dedupe_key=f"{provider}-{moment.isoformat()}")


@pytest.fixture
def acme(db, make_store):
    """Four delivered UPS ground parcels CA -> NY (1 to 4 business days), plus parcels
    that must not count: one on its way, a return, a cancelled one, another store's."""
    store, other = make_store("acme"), make_store("other")
    with db.transaction() as session:
        for days in (1, 2, 3, 4):
            session.add(shipment(store.id, delivered=CLOCK.advance(at(3), days)))
        session.add(shipment(store.id, delivered=None, status="in_transit"))
        session.add(shipment(store.id, delivered=at(20), direction="return"))
        session.add(shipment(store.id, shipped=None, delivered=None, status="pending"))
        session.add(shipment(other.id, delivered=at(28)))
    return store


def test_history_holds_only_the_stores_delivered_outbound_parcels(db, acme):
    with db.reading() as session:
        history = eta_store.delivered_history(session, store_id=acme.id)

    assert sorted(CLOCK.between(d.shipped_at, d.delivered_at) for d in history) == [1, 2, 3, 4]
    assert {d.route for d in history} == {eta.Route("ups", "ground", "CA", "NY")}


def test_the_stores_model_is_the_pure_model_on_its_history(db, acme):
    route = eta.Route("ups", "ground", "CA", "NY")
    expected = eta.fit([eta.Delivery(route, at(3), CLOCK.advance(at(3), d)) for d in (1, 2, 3, 4)],
                       as_of=at(28))

    with db.reading() as session:
        model = eta_store.fit_for_store(session, store_id=acme.id, as_of=at(28))

    assert model.transit_for(route) == expected.transit_for(route)
    assert (model.transit_for(route).level, model.transit_for(route).n) == ("lane", 4)


def test_a_store_without_history_gets_the_prior(db, make_store):
    store = make_store("fresh")

    with db.reading() as session:
        model = eta_store.fit_for_store(session, store_id=store.id, as_of=at(28),
                                        timezone="Europe/Berlin")

    assert model.transit_for(eta.Route("ups")).level == "prior"
    assert str(model.config.clock.tz) == "Europe/Berlin"


def test_an_unknown_time_zone_counts_in_utc():
    assert eta_store.clock_for("Mars/Olympus") == eta.Clock()


def test_estimate_for_a_parcel_on_its_way(db, acme):
    with db.reading() as session:
        model = eta_store.fit_for_store(session, store_id=acme.id, as_of=at(28))
    row = shipment(acme.id, shipped=at(10), delivered=None, status="in_transit",
                   last_event_at=at(11, 9))

    window = eta_store.estimate_for_shipment(row, model=model, now=at(11, 10))

    assert window == eta.estimate(model, eta.Route("ups", "ground", "CA", "NY"),
                                  shipped_at=at(10), now=at(11, 10), status="in_transit",
                                  last_event_at=at(11, 9))
    assert window is not None and window.earliest >= at(11, 10)


def test_estimate_for_delivered_returned_and_unshipped_parcels(db, acme):
    with db.reading() as session:
        model = eta_store.fit_for_store(session, store_id=acme.id, as_of=at(28))
    delivered = shipment(acme.id, delivered=at(5, 15))
    back = shipment(acme.id, delivered=None, status="returned_to_sender")
    a_return = shipment(acme.id, delivered=None, status="in_transit", direction="return")
    label_only = shipment(acme.id, shipped=None, delivered=None, status="info_received")

    window = eta_store.estimate_for_shipment(delivered, model=model, now=at(20))
    unshipped = eta_store.estimate_for_shipment(label_only, model=model, now=at(12))

    assert (window.likely, window.level) == (at(5, 15), "delivered")
    assert eta_store.estimate_for_shipment(back, model=model, now=at(20)) is None
    assert eta_store.estimate_for_shipment(a_return, model=model, now=at(20)) is None
    assert unshipped is not None and unshipped.earliest >= at(12)


def test_scan_gaps_come_from_carrier_scans_up_to_delivery(db, make_store):
    store = make_store("gaps")
    with db.transaction() as session:
        row = shipment(store.id, delivered=at(6))
        row.events.extend([
            scan(row, at(3)), scan(row, at(3, 12)), scan(row, at(5)),
            scan(row, at(6), status="delivered"),
            scan(row, at(4, 6), provider="platform"),  # not a scan: ignored
            scan(row, at(14), status="delivered"),  # after delivery: ignored
        ])
        session.add(row)

    with db.reading() as session:
        gaps = eta_store.scan_gaps_for_store(session, store_id=store.id, clock=CLOCK,
                                             min_gaps=3)

    # gaps 0.5, 1.5 and 1.0 business days; the 95th percentile of three is the largest.
    assert gaps.allowance("ups") == 1.5
    assert gaps.allowance("dhl") == 1.5


def test_stalled_only_while_the_parcel_should_be_moving(acme):
    gaps = eta.ScanGaps({"ups": 2.0})
    quiet = shipment(acme.id, delivered=None, status="in_transit", last_event_at=at(3))
    at_pickup = shipment(acme.id, delivered=None, status="available_for_pickup",
                         last_event_at=at(3))

    assert eta_store.is_shipment_stalled(quiet, gaps=gaps, clock=CLOCK, now=at(5, 12)) is True
    assert eta_store.is_shipment_stalled(quiet, gaps=gaps, clock=CLOCK, now=at(4, 12)) is False
    assert eta_store.is_shipment_stalled(at_pickup, gaps=gaps, clock=CLOCK,
                                         now=at(20)) is False

