"""Shipment state from carrier events, against a real database: order independence,
held deliveries, unknown statuses, and the state fields."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from afterward.events import Event
from afterward.inbound.models import HeldDelivery
from afterward.tracking import service
from afterward.tracking.carriers import generic
from afterward.tracking.carriers.base import CarrierEvent
from afterward.tracking.models import Shipment, TrackingEvent, UnknownCarrierStatus
from afterward.tracking.service import ShipmentDraft
from afterward.tracking.statuses import Status
from tests.tracking import payloads

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def scan(hours: float, status: Status, message: str = "", *, location: str | None = None,
         substatus: str | None = None, signed_by: str | None = None,
         provider_status: str | None = None) -> CarrierEvent:
    return CarrierEvent(occurred_at=T0 + timedelta(hours=hours), status=status,
                        provider="generic", provider_status=provider_status or status.value,
                        message=message or status.value, location=location,
                        substatus=substatus, signed_by=signed_by)


JOURNEY = (
    scan(0, Status.info_received, "Label created", location="Köln, DE"),
    scan(10, Status.in_transit, "Origin scan", location="Köln, DE"),
    scan(30, Status.exception, "Held by customs", location="Paris, FR"),
    scan(40, Status.in_transit, "Released by customs"),
    scan(50, Status.out_for_delivery, "Out for delivery", location="Paris, FR"),
    scan(55, Status.delivered, "Delivered", location="Paris, FR", signed_by="DUPONT"),
)


def new_shipment(db, store, number: str, *, status: Status = Status.pending,
                 direction: str = "outbound", carrier: str | None = None,
                 order_id: int | None = None) -> int:
    with db.transaction() as session:
        shipment, _ = service.upsert_shipment(
            session, store_id=store.id, order_id=order_id, draft=ShipmentDraft(
                external_id=None, carrier=carrier, service=None, tracking_number=number,
                shipped_at=None, status=status, direction=direction))
        return shipment.id


def deliver(db, shipment_id: int, events) -> int:
    with db.transaction() as session:
        shipment = session.get(Shipment, shipment_id)
        return service.add_events(session, shipment=shipment, events=events)


def state(db, shipment_id: int) -> dict:
    with db.reading() as session:
        s = session.get(Shipment, shipment_id)
        return {
            "status": s.status, "substatus": s.substatus, "provider_status": s.provider_status,
            "last_event_at": s.last_event_at, "last_location": s.last_location,
            "last_message": s.last_message, "delivered_at": s.delivered_at,
            "signed_by": s.signed_by, "exception_reason": s.exception_reason,
            "timeline": [(e.occurred_at, e.status, e.message)
                         for e in service.timeline(s)],
        }


def domain_events(db, shipment_id: int) -> list[str]:
    with db.reading() as session:
        return list(session.scalars(select(Event.name).where(
            Event.subject_type == "shipment", Event.subject_id == shipment_id
        ).order_by(Event.id)))


def test_a_journey_in_order_sets_every_state_field(db, store):
    shipment_id = new_shipment(db, store, "JJD0099999999")

    assert deliver(db, shipment_id, JOURNEY) == 6

    got = state(db, shipment_id)
    assert (got["status"], got["delivered_at"], got["signed_by"]) == (
        "delivered", T0 + timedelta(hours=55), "DUPONT")
    assert (got["last_location"], got["last_message"], got["exception_reason"]) == (
        "Paris, FR", "Delivered", None)
    assert [t[1] for t in got["timeline"]] == [
        "info_received", "in_transit", "exception", "in_transit", "out_for_delivery", "delivered"]


def test_each_status_change_appends_one_domain_event(db, store):
    shipment_id = new_shipment(db, store, "JJD0099999999")

    for event in JOURNEY:
        deliver(db, shipment_id, [event])

    assert domain_events(db, shipment_id) == [
        "shipment.created", "shipment.info_received", "shipment.in_transit",
        "shipment.exception", "shipment.in_transit", "shipment.out_for_delivery",
        "shipment.delivered"]


def test_an_exception_sets_the_reason_until_the_parcel_moves_again(db, store):
    shipment_id = new_shipment(db, store, "JJD0099999999")

    deliver(db, shipment_id, JOURNEY[:3])
    assert (state(db, shipment_id)["status"], state(db, shipment_id)["exception_reason"]) == (
        "exception", "Held by customs")

    deliver(db, shipment_id, JOURNEY[3:4])
    assert (state(db, shipment_id)["status"], state(db, shipment_id)["exception_reason"]) == (
        "in_transit", None)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(len(JOURNEY))), batches=st.integers(1, len(JOURNEY)),
       repeats=st.lists(st.integers(0, len(JOURNEY) - 1), max_size=4))
def test_shuffled_late_and_repeated_events_give_the_state_of_the_ordered_journey(
        db, store, order, batches, repeats):
    in_order = new_shipment(db, store, "JJD0099999999")
    deliver(db, in_order, JOURNEY)
    shuffled = new_shipment(db, store, "JJD0099999999")
    events = [JOURNEY[i] for i in order] + [JOURNEY[i] for i in repeats]

    for start in range(0, len(events), batches):
        deliver(db, shuffled, events[start:start + batches])

    assert state(db, shuffled) == state(db, in_order)


def test_events_at_the_same_instant_settle_on_the_furthest_along_whatever_the_order(db, store):
    same_time = [scan(5, Status.out_for_delivery), scan(5, Status.delivered),
                 scan(5, Status.in_transit)]
    results = set()
    for permutation in ([0, 1, 2], [2, 1, 0], [1, 0, 2]):
        shipment_id = new_shipment(db, store, "JJD0099999999")
        for i in permutation:
            deliver(db, shipment_id, [same_time[i]])
        results.add(state(db, shipment_id)["status"])

    assert results == {"delivered"}


def test_the_same_event_twice_is_stored_once(db, store):
    shipment_id = new_shipment(db, store, "JJD0099999999")
    deliver(db, shipment_id, JOURNEY[:2])

    assert deliver(db, shipment_id, JOURNEY[:2]) == 0
    # the same instant written in another time zone is the same event
    moved = JOURNEY[1].occurred_at.astimezone(datetime.now().astimezone().tzinfo)
    assert deliver(db, shipment_id, [CarrierEvent(**{**JOURNEY[1].__dict__,
                                                     "occurred_at": moved})]) == 0
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(TrackingEvent)) == 2


def test_the_platform_label_event_does_not_hide_earlier_carrier_scans(db, store):
    # A shipment created now with status info_received gets a platform event stamped
    # now; carrier scans from before that (held, or late) still set the state.
    shipment_id = new_shipment(db, store, "JJD0099999999", status=Status.info_received)

    deliver(db, shipment_id, JOURNEY[:2])

    assert state(db, shipment_id)["status"] == "in_transit"


def test_a_newer_platform_status_further_along_wins(db, store):
    shipment_id = new_shipment(db, store, "JJD0099999999")
    deliver(db, shipment_id, JOURNEY[:2])

    with db.transaction() as session:
        service.add_event(session, shipment=session.get(Shipment, shipment_id), event=CarrierEvent(
            occurred_at=T0 + timedelta(hours=60), status=Status.delivered, provider="platform",
            provider_status="delivered", message=None, location=None))

    assert state(db, shipment_id)["status"] == "delivered"


def test_unknown_statuses_are_kept_and_counted_once_per_event(db, store):
    shipment_id = new_shipment(db, store, "JJD0099999999")
    odd = [scan(1, Status.in_transit, "Sorted", provider_status="ZZ", substatus="unknown:ZZ"),
           scan(2, Status.in_transit, "Sorted again", provider_status="ZZ",
                substatus="unknown:ZZ"),
           scan(3, Status.exception, "Odd", provider_status="QQ", substatus="unknown:QQ")]

    deliver(db, shipment_id, odd)
    deliver(db, shipment_id, odd)  # a redelivery counts nothing

    with db.reading() as session:
        counted = [(u.provider, u.provider_status, u.closest_status, u.occurrences)
                   for u in service.unknown_statuses(session, store_id=store.id)]
    assert counted == [("generic", "ZZ", "in_transit", 2), ("generic", "QQ", "exception", 1)]
    got = state(db, shipment_id)
    assert (got["status"], got["substatus"], got["provider_status"]) == (
        "exception", "unknown:QQ", "QQ")


def test_unknown_status_counts_belong_to_their_store(db, store, make_store):
    other = make_store("other")
    for owner in (store, other):
        shipment_id = new_shipment(db, owner, "JJD0099999999")
        deliver(db, shipment_id, [scan(1, Status.in_transit, provider_status="ZZ",
                                       substatus="unknown:ZZ")])

    with db.reading() as session:
        assert [u.occurrences for u in service.unknown_statuses(session, store_id=store.id)] == [1]
        assert session.scalar(select(func.count()).select_from(UnknownCarrierStatus)) == 2


def held(db) -> list[str]:
    with db.reading() as session:
        return list(session.scalars(select(HeldDelivery.waiting_for).order_by(HeldDelivery.id)))


def test_a_delivery_for_an_unknown_number_is_held_and_applied_when_the_shipment_appears(
        db, store):
    payload = payloads.generic_body()
    update = generic.parse(payload)
    with db.transaction() as session:
        applied = service.apply_update(session, store_id=store.id, provider="generic",
                                       update=update, delivery_key="k1", payload=payload)
    assert (applied.outcome, applied.events_added) == ("held", 0)
    assert held(db) == ["tracking:1Z999AA10123456784"]

    shipment_id = new_shipment(db, store, "1z 999 aa1 0123 4567 84", status=Status.info_received)

    assert held(db) == []
    got = state(db, shipment_id)
    assert (got["status"], got["signed_by"]) == ("delivered", "DUPONT")
    assert len(got["timeline"]) == 6  # five carrier scans and the platform's label event
    assert "shipment.delivered" in domain_events(db, shipment_id)


def test_a_held_delivery_waits_for_its_own_store(db, store, make_store):
    other = make_store("other")
    payload = payloads.generic_body()
    with db.transaction() as session:
        service.apply_update(session, store_id=store.id, provider="generic",
                             update=generic.parse(payload), delivery_key="k1", payload=payload)

    new_shipment(db, other, "1Z999AA10123456784")

    assert held(db) == ["tracking:1Z999AA10123456784"]


def test_events_reach_every_parcel_with_that_number_and_no_other(db, store):
    first = new_shipment(db, store, "1Z999AA10123456784")
    same = new_shipment(db, store, "1Z999AA10123456784")
    sibling = new_shipment(db, store, "JJD0099999999")
    payload = payloads.generic_body()

    with db.transaction() as session:
        applied = service.apply_update(session, store_id=store.id, provider="generic",
                                       update=generic.parse(payload), delivery_key="k",
                                       payload=payload)

    assert (applied.outcome, applied.shipment_ids, applied.events_added) == (
        "applied", (first, same), 10)
    assert [state(db, i)["status"] for i in (first, same, sibling)] == [
        "delivered", "delivered", "pending"]


def test_a_return_parcel_is_tracked_like_any_other(db, store):
    shipment_id = new_shipment(db, store, "JJD0099999999", direction="return")

    deliver(db, shipment_id, JOURNEY)

    with db.reading() as session:
        shipment = session.get(Shipment, shipment_id)
        assert (shipment.direction, shipment.status) == ("return", "delivered")
        event = session.scalar(select(Event).where(Event.name == "shipment.delivered"))
        assert event.payload["direction"] == "return"


def test_the_carrier_is_detected_from_the_number_when_not_given(db, store):
    detected = new_shipment(db, store, "1Z999AA10123456784")
    given_carrier = new_shipment(db, store, "1Z999AA10123456784", carrier="Other Co")
    unknown = new_shipment(db, store, "ABC-12345")

    with db.reading() as session:
        assert [session.get(Shipment, i).carrier for i in (detected, given_carrier, unknown)] == [
            "ups", "Other Co", None]


def test_a_carrier_estimate_comes_from_the_delivery_with_the_latest_event(db, store):
    shipment_id = new_shipment(db, store, "1Z999AA10123456784")
    newer, older = payloads.generic_body(), payloads.generic_body()
    older["events"] = older["events"][:2]
    older["estimated_delivery_at"] = "2026-03-09T18:00:00Z"
    for body, key in ((newer, "a"), (older, "b")):
        with db.transaction() as session:
            service.apply_update(session, store_id=store.id, provider="generic",
                                 update=generic.parse(body), delivery_key=key, payload=body)

    with db.reading() as session:
        assert session.get(Shipment, shipment_id).carrier_estimated_at == datetime(
            2026, 3, 5, 18, 0, tzinfo=UTC)


def test_list_shipments_finds_a_number_however_it_is_spaced(db, store):
    shipment_id = new_shipment(db, store, "RR 1234 5678 5GB")

    with db.reading() as session:
        found = service.list_shipments(session, store_id=store.id,
                                       tracking_number="rr123456785gb")
    assert [s.id for s in found] == [shipment_id]


def test_random_journeys_end_where_the_latest_scan_says(db, store):
    rng = random.Random(7)
    for _ in range(10):
        events = [scan(rng.randrange(0, 500) / 7, rng.choice(list(Status)), f"m{i}")
                  for i in range(8)]
        shipment_id = new_shipment(db, store, "JJD0099999999")
        deliver(db, shipment_id, events)
        latest_time = max(e.occurred_at for e in events)
        got = state(db, shipment_id)
        assert got["last_event_at"] == latest_time
        assert got["status"] in {e.status.value for e in events if e.occurred_at == latest_time}


def test_a_delivery_through_plain_rows_leaves_the_same_state_as_the_orm_path(db, store):
    # given: one parcel fed event by event through add_events, another by deliveries
    through_orm = new_shipment(db, store, "JJD0011111111")
    through_rows = new_shipment(db, store, "JJD0022222222")
    deliver(db, through_orm, JOURNEY)
    body = payloads.generic_body()
    body["tracking_number"] = "JJD0022222222"
    body["events"] = [{"occurred_at": e.occurred_at.isoformat(), "status": e.status.value,
                       "provider_status": e.provider_status, "message": e.message,
                       "location": e.location, "signed_by": e.signed_by} for e in JOURNEY]

    # when
    with db.transaction() as session:
        applied = service.apply_update(session, store_id=store.id, provider="generic",
                                       update=generic.parse(body), delivery_key="rows",
                                       payload=body)

    # then
    assert applied.events_added == len(JOURNEY)
    orm, rows = state(db, through_orm), state(db, through_rows)
    for field in ("status", "substatus", "last_event_at", "last_location", "last_message",
                  "delivered_at", "signed_by", "exception_reason", "timeline"):
        assert orm[field] == rows[field], field
    assert domain_events(db, through_rows) == domain_events(db, through_orm)


def test_a_delivery_of_events_already_there_writes_nothing_to_the_parcel(db, store):
    # given
    shipment_id = new_shipment(db, store, "1Z999AA10123456784")
    body = payloads.generic_body()
    with db.transaction() as session:
        service.apply_update(session, store_id=store.id, provider="generic",
                             update=generic.parse(body), delivery_key="first", payload=body)
    with db.reading() as session:
        before = session.get(Shipment, shipment_id).updated_at

    # when: the same events again, in a delivery with another key
    with db.transaction() as session:
        applied = service.apply_update(session, store_id=store.id, provider="generic",
                                       update=generic.parse(body), delivery_key="again",
                                       payload=body)

    # then
    assert applied.events_added == 0
    with db.reading() as session:
        assert session.get(Shipment, shipment_id).updated_at == before
