"""Carrier deliveries (the plain-row path every carrier webhook takes, as of the clock)
say "late" by the same rule as everything else (tracking/lateness.py): a window ending
after the promised day records one `shipment.delayed`; a carrier's own "delayed" while
the promised day is still possible records nothing; an exception is its own event."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from afterward.events import Event
from afterward.storage.types import utcnow
from afterward.tracking import eta_cache
from afterward.tracking import service as tracking
from afterward.tracking.carriers.base import CarrierEvent, Update
from afterward.tracking.models import Shipment
from afterward.tracking.statuses import Status

NUMBER = "1Z999AA10123456784"


@pytest.fixture(autouse=True)
def fresh_cache():
    eta_cache.CACHE.clear()
    yield
    eta_cache.CACHE.clear()


def midnight(days_from_today: int) -> datetime:
    return datetime.combine(utcnow().date() + timedelta(days=days_from_today), time(), UTC)


def promised_parcel(db, store_id: int, *, promised_at: datetime) -> int:
    """On its way for three days, promised by the end of the day before `promised_at`."""
    with db.transaction() as session:
        shipment = Shipment(store_id=store_id, token=tracking.new_token(), carrier="ups",
                            tracking_number=NUMBER, shipped_at=utcnow() - timedelta(days=3),
                            status="in_transit", direction="outbound", promised_at=promised_at)
        session.add(shipment)
        session.flush()
        return shipment.id


def carrier_says(db, store_id: int, status: Status, substatus: str | None = None) -> None:
    event = CarrierEvent(occurred_at=utcnow() - timedelta(minutes=5), status=status,
                         provider="easypost", provider_status=status.value,
                         message="Carrier update", location=None, substatus=substatus)
    update = Update(topic="tracker.updated", tracking_number=NUMBER, carrier="ups",
                    events=(event,))
    with db.transaction() as session:
        tracking.apply_update(session, store_id=store_id, provider="easypost", update=update,
                              delivery_key=f"k-{status.value}", payload={})


def recorded(db, shipment_id: int) -> list[tuple[str, dict]]:
    with db.reading() as session:
        return [(e.name, e.payload) for e in session.scalars(select(Event).where(
            Event.subject_type == "shipment", Event.subject_id == shipment_id,
            Event.name.in_(("shipment.delayed", "shipment.exception"))).order_by(Event.id))]


def test_a_carrier_scan_after_the_promised_day_records_one_delay_with_the_new_window(
        db, store):
    # Promised by the end of the day before yesterday (the store counts days in UTC).
    shipment_id = promised_parcel(db, store.id, promised_at=midnight(-1))
    promised_day = utcnow().date() - timedelta(days=2)

    carrier_says(db, store.id, Status.in_transit)

    with db.reading() as session:
        s = session.get(Shipment, shipment_id)
        first = s.eta_earliest.date()
        last = (s.eta_latest - timedelta(microseconds=1)).date()
    [(name, payload)] = recorded(db, shipment_id)
    assert name == "shipment.delayed"
    assert (payload["promised_day"], payload["window_first"], payload["window_last"]) == (
        promised_day.isoformat(), first.isoformat(), last.isoformat())
    assert last > promised_day

    carrier_says(db, store.id, Status.out_for_delivery)  # later news: still one delay

    assert [name for name, _ in recorded(db, shipment_id)] == ["shipment.delayed"]


def test_a_carriers_own_delayed_while_the_promised_day_is_possible_records_nothing(db, store):
    shipment_id = promised_parcel(db, store.id, promised_at=midnight(30))

    carrier_says(db, store.id, Status.in_transit, substatus="delayed")

    with db.reading() as session:
        assert session.get(Shipment, shipment_id).delayed_at is None
    assert recorded(db, shipment_id) == []


def test_a_carrier_exception_after_the_promised_day_is_an_exception_not_a_delay(db, store):
    shipment_id = promised_parcel(db, store.id, promised_at=midnight(-1))

    carrier_says(db, store.id, Status.exception, substatus="delayed")

    assert [name for name, _ in recorded(db, shipment_id)] == ["shipment.exception"]
