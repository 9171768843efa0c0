"""Polling carriers, against a real database with real workers; only the carrier's
API is a fake. The clock is moved by hand so every time asserted is exact."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from afterward.events import Event
from afterward.jobs import Job
from afterward.storage.db import Database
from afterward.tracking import polling, rate_limit
from afterward.tracking import service as tracking
from afterward.tracking.models import Shipment, TrackingEvent
from afterward.tracking.polling import POLL_JOB, SCHEDULE_JOB, PollError
from afterward.tracking.polling_models import CarrierPoll, CarrierRateLimit
from afterward.tracking.rate_limit import RateLimit
from afterward.tracking.statuses import Status
from afterward.worker import Worker
from tests.tracking.polling_support import (
    T0,
    api,
    clock,
    drain,
    new_shipment,
    poll_row,
    queued,
    scan,
    start,
    worker,
)

__all__ = ["api", "clock", "worker"]  # fixtures

PICKED_UP = scan(T0 - timedelta(minutes=40), Status.in_transit, "Picked up", "Utrecht, NL")
AT_HUB = scan(T0 - timedelta(minutes=10), Status.in_transit, "Arrived at hub", "Nieuwegein, NL")
DELIVERED = scan(T0 - timedelta(minutes=5), Status.delivered, "Delivered", "Berlin, DE", "ADA")


def shipment_names(db: Database, shipment_id: int) -> list[str]:
    with db.reading() as session:
        return list(session.scalars(select(Event.name).where(
            Event.subject_type == "shipment", Event.subject_id == shipment_id)
            .order_by(Event.id)))


# ---------------------------------------------------------------- events flow in

def test_a_round_adds_the_carriers_events_and_records_the_status_change(db, store, api, clock,
                                                                        worker):
    # given
    shipment_id = new_shipment(db, store.id, "3SABC1234567")
    api.answer("3SABC1234567", [PICKED_UP, AT_HUB])
    poll_id = start(db, shipment_id)

    # when
    drain(worker)

    # then
    assert api.calls == [("3SABC1234567", T0)]
    with db.reading() as session:
        shipment = session.get(Shipment, shipment_id)
        assert (shipment.status, shipment.last_location) == ("in_transit", "Nieuwegein, NL")
        assert [e.message for e in tracking.timeline(shipment)][-2:] == [
            "Picked up", "Arrived at hub"]
        change = session.scalars(select(Event).where(Event.name == "shipment.in_transit")).one()
        assert (change.subject_id, change.payload["from"], change.payload["to"]) == (
            shipment_id, "info_received", "in_transit")
    poll = poll_row(db, poll_id)
    assert (poll.polls, poll.failures, poll.last_polled_at, poll.active) == (1, 0, T0, True)
    # In transit for an hour: the next round in 2 hours, give or take 10%.
    assert T0 + timedelta(minutes=108) <= poll.next_poll_at <= T0 + timedelta(minutes=132)
    [next_round] = queued(db, POLL_JOB)
    assert next_round.run_at == poll.next_poll_at
    assert next_round.payload == {"poll_id": poll_id, "generation": poll.generation}


def test_events_the_carrier_repeats_change_nothing_the_second_time(db, store, api, clock,
                                                                    worker):
    shipment_id = new_shipment(db, store.id, "3SABC1234567")
    api.answer("3SABC1234567", [PICKED_UP, AT_HUB])
    poll_id = start(db, shipment_id)
    drain(worker)

    clock.move_to(poll_row(db, poll_id).next_poll_at)
    drain(worker)

    assert len(api.calls) == 2
    with db.reading() as session:
        assert session.scalar(select(func.count(TrackingEvent.id)).where(
            TrackingEvent.shipment_id == shipment_id)) == 3  # the platform's first + two scans
    assert shipment_names(db, shipment_id) == [
        "shipment.created", "shipment.info_received", "shipment.in_transit"]
    assert poll_row(db, poll_id).polls == 2


def test_out_for_delivery_is_asked_about_every_20_minutes(db, store, api, clock, worker):
    shipment_id = new_shipment(db, store.id, "3SABC1234567")
    api.answer("3SABC1234567", [PICKED_UP, scan(T0 - timedelta(minutes=1),
                                                Status.out_for_delivery, "With the driver")])
    poll_id = start(db, shipment_id)

    drain(worker)

    poll = poll_row(db, poll_id)
    assert T0 + timedelta(minutes=18) <= poll.next_poll_at <= T0 + timedelta(minutes=22)
    assert shipment_names(db, shipment_id)[-1] == "shipment.out_for_delivery"


@pytest.mark.parametrize(("status", "on_the_way", "expected"), [
    ("out_for_delivery", timedelta(days=1), timedelta(minutes=20)),
    ("in_transit", timedelta(hours=5), timedelta(hours=2)),
    ("in_transit", timedelta(days=3), timedelta(hours=4)),
    ("in_transit", timedelta(days=10), timedelta(hours=8)),
    ("pending", timedelta(0), timedelta(hours=4)),
    ("info_received", timedelta(days=1), timedelta(hours=4)),
    ("failed_attempt", timedelta(days=2), timedelta(hours=2)),
    ("available_for_pickup", timedelta(days=2), timedelta(hours=3)),
    ("exception", timedelta(days=2), timedelta(hours=3)),
    ("delivered", timedelta(days=2), None),
    ("returned_to_sender", timedelta(days=9), None),
    ("cancelled", timedelta(0), None),
    ("expired", timedelta(days=40), None),
])
def test_the_wait_between_rounds_follows_what_the_parcel_is_doing(status, on_the_way, expected):
    assert polling.interval_for(status, on_the_way=on_the_way) == expected


def test_the_regular_wait_is_spread_by_ten_percent_either_way():
    assert polling.spread(timedelta(hours=2), 0.0) == timedelta(minutes=108)
    assert polling.spread(timedelta(hours=2), 0.5) == timedelta(hours=2)
    assert polling.spread(timedelta(hours=2), 1.0) == timedelta(minutes=132)


@pytest.mark.parametrize(("failures", "u", "expected"), [
    (1, 1.0, timedelta(minutes=5)),
    (1, 0.0, timedelta(minutes=2, seconds=30)),
    (2, 1.0, timedelta(minutes=10)),
    (4, 1.0, timedelta(minutes=40)),
    (4, 0.5, timedelta(minutes=30)),
    (8, 1.0, timedelta(minutes=640)),
    (9, 1.0, timedelta(hours=12)),  # 1,280 minutes, capped
    (60, 0.0, timedelta(hours=6)),
])
def test_errors_back_off_exponentially_with_jitter_up_to_a_cap(failures, u, expected):
    assert polling.error_delay(failures, u) == expected


# ---------------------------------------------------------------- when it stops

def test_a_delivered_parcel_is_never_asked_about_again(db, store, api, clock, worker):
    shipment_id = new_shipment(db, store.id, "3SABC1234567")
    api.answer("3SABC1234567", [PICKED_UP, DELIVERED])
    poll_id = start(db, shipment_id)

    drain(worker)
    clock.advance(days=2)
    drain(worker)

    assert api.calls == [("3SABC1234567", T0)]
    poll = poll_row(db, poll_id)
    assert (poll.active, poll.stopped_reason, poll.polls) == (False, "delivered", 1)
    assert queued(db, POLL_JOB) == []
    assert queued(db, SCHEDULE_JOB) == []  # nothing polled: the scheduler rests
    assert shipment_names(db, shipment_id)[-1] == "shipment.delivered"


def test_a_parcel_delivered_through_a_webhook_meanwhile_stops_without_a_call(db, store, api,
                                                                            clock, worker):
    shipment_id = new_shipment(db, store.id, "3SABC1234567")
    api.answer("3SABC1234567", [PICKED_UP])
    poll_id = start(db, shipment_id)
    drain(worker)
    with db.transaction() as session:
        tracking.add_event(session, shipment=session.get(Shipment, shipment_id), event=DELIVERED)

    clock.move_to(poll_row(db, poll_id).next_poll_at)
    drain(worker)

    assert len(api.calls) == 1
    assert (poll_row(db, poll_id).active, poll_row(db, poll_id).stopped_reason) == (
        False, "delivered")


def test_thirty_days_without_a_scan_stop_polling(db, store, api, clock, worker):
    shipment_id = new_shipment(db, store.id, "3SABC1234567",
                               shipped_at=T0 - timedelta(days=31))

    poll_id = start(db, shipment_id)
    drain(worker)

    poll = poll_row(db, poll_id)
    assert (poll.active, poll.stopped_reason, len(api.calls)) == (
        False, "no scan for 30 days", 1)


# ---------------------------------------------------------------- errors

def test_errors_push_the_next_round_further_out_each_time(db, store, api, clock, worker):
    shipment_id = new_shipment(db, store.id, "3SABC1234567")
    api.answer("3SABC1234567", ConnectionError("timed out"), ConnectionError("timed out"),
               PollError("HTTP 503"), [PICKED_UP])
    poll_id = start(db, shipment_id)
    waits = []

    for _ in range(3):
        asked_at = clock.now
        drain(worker)
        poll = poll_row(db, poll_id)
        waits.append(poll.next_poll_at - asked_at)
        clock.move_to(poll.next_poll_at)

    assert timedelta(minutes=2.5) <= waits[0] <= timedelta(minutes=5)
    assert timedelta(minutes=5) <= waits[1] <= timedelta(minutes=10)
    assert timedelta(minutes=10) <= waits[2] <= timedelta(minutes=20)
    failing = poll_row(db, poll_id)
    assert (failing.failures, failing.last_error, failing.active) == (3, "HTTP 503", True)

    drain(worker)

    recovered = poll_row(db, poll_id)
    assert (recovered.failures, recovered.last_error, recovered.polls) == (0, None, 4)
    with db.reading() as session:
        assert session.get(Shipment, shipment_id).status == "in_transit"
        # A carrier's trouble is not a job failure: nothing is dead or retried.
        assert session.scalar(select(func.count(Job.id)).where(Job.status == "dead")) == 0


def test_ten_errors_in_a_row_stop_polling_and_keep_the_last_error(db, store, api, clock, worker):
    shipment_id = new_shipment(db, store.id, "3SABC1234567")
    api.answer("3SABC1234567", ConnectionError("connection refused"))
    poll_id = start(db, shipment_id)

    for _ in range(12):
        drain(worker)
        clock.move_to(max(clock.now, poll_row(db, poll_id).next_poll_at))

    poll = poll_row(db, poll_id)
    assert len(api.calls) == 10
    assert (poll.active, poll.stopped_reason, poll.failures) == (
        False, "10 errors in a row", 10)
    assert poll.last_error == "ConnectionError: connection refused"


def test_an_error_the_adapter_calls_final_stops_polling_at_once(db, store, api, clock, worker):
    shipment_id = new_shipment(db, store.id, "3SABC1234567")
    api.answer("3SABC1234567", PollError("unknown tracking number", retry=False))
    poll_id = start(db, shipment_id)

    drain(worker)

    poll = poll_row(db, poll_id)
    assert (poll.active, poll.stopped_reason, poll.failures) == (
        False, "refused: unknown tracking number", 1)
    assert queued(db, POLL_JOB) == []


def test_an_event_without_a_time_zone_is_an_error_not_a_crash(db, store, api, clock, worker):
    from datetime import datetime

    shipment_id = new_shipment(db, store.id, "3SABC1234567")
    api.answer("3SABC1234567", [scan(datetime(2026, 3, 2, 8, 0), Status.in_transit, "Naive")])
    poll_id = start(db, shipment_id)

    drain(worker)

    poll = poll_row(db, poll_id)
    assert (poll.failures, poll.last_error) == (
        1, "the adapter returned a timestamp without a time zone")
    with db.reading() as session:
        assert session.get(Shipment, shipment_id).status == "info_received"


# ---------------------------------------------------------------- rate limit

def test_two_workers_with_their_own_connections_share_one_carrier_budget(db, db_url, store, api,
                                                                         clock):
    # given: one request a minute, three parcels due at once, two workers (two engines)
    api.rate_limit = RateLimit(per_second=1 / 60)
    numbers = ["3SABC0000001", "3SABC0000002", "3SABC0000003"]
    for number in numbers:
        api.answer(number, [DELIVERED])
        start(db, new_shipment(db, store.id, number))
    other = Database(db_url)
    first, second = Worker(db, idle_sleep=0, name="w1"), Worker(other, idle_sleep=0, name="w2")

    try:
        # when
        drain(first, second)
        clock.advance(seconds=60)
        drain(second, first)
        clock.advance(seconds=60)
        drain(first, second)
    finally:
        other.dispose()

    # then: one call a minute, in the order the rounds came due
    assert api.calls == [(numbers[0], T0), (numbers[1], T0 + timedelta(seconds=60)),
                         (numbers[2], T0 + timedelta(seconds=120))]
    with db.reading() as session:
        tat = session.get(CarrierRateLimit, "fakepost").tat_us
        workers = set(session.scalars(select(Job.locked_by).where(Job.kind == POLL_JOB)))
    assert tat == rate_limit.micros(T0 + timedelta(seconds=180))
    assert workers == {"w1", "w2"}


def test_a_round_that_waited_for_its_slot_does_not_take_a_second_one(db, store, api, clock,
                                                                     worker):
    api.rate_limit = RateLimit(per_second=1 / 60)
    first = start(db, new_shipment(db, store.id, "3SABC0000001"))
    second = start(db, new_shipment(db, store.id, "3SABC0000002"))

    drain(worker)

    waiting = poll_row(db, second)
    assert (waiting.next_poll_at, waiting.slot_at) == (T0 + timedelta(seconds=60),) * 2
    assert poll_row(db, first).polls == 1
    clock.advance(seconds=60)
    drain(worker)
    assert [at for _, at in api.calls] == [T0, T0 + timedelta(seconds=60)]
    assert poll_row(db, second).slot_at is None


def test_the_budget_allows_a_burst_then_spaces_requests_and_refills_when_idle(db):
    limit = RateLimit(per_second=1, burst=3)

    with db.transaction() as session:
        slots = [rate_limit.take_slot(session, key="fakepost", limit=limit, now=T0)
                 for _ in range(5)]
        later = rate_limit.take_slot(session, key="fakepost", limit=limit,
                                  now=T0 + timedelta(seconds=30))

    assert slots == [T0, T0, T0, T0 + timedelta(seconds=1), T0 + timedelta(seconds=2)]
    assert later == T0 + timedelta(seconds=30)


def test_concurrent_connections_never_get_the_same_slot(db_url):
    databases = [Database(db_url), Database(db_url)]
    limit = RateLimit(per_second=1)
    slots = []

    def take(database: Database) -> None:
        for _ in range(15):
            with database.transaction() as session:
                slots.append(rate_limit.take_slot(session, key="fakepost", limit=limit, now=T0))

    threads = [threading.Thread(target=take, args=(d,)) for d in databases]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for database in databases:
            database.dispose()

    assert sorted(slots) == [T0 + timedelta(seconds=n) for n in range(30)]


@pytest.mark.parametrize(("per_second", "burst"), [(0, 1), (-1, 1), (float("inf"), 1), (1, 0)])
def test_a_rate_limit_must_make_sense(per_second, burst):
    with pytest.raises(ValueError, match="per_second > 0 and burst >= 1"):
        RateLimit(per_second=per_second, burst=burst)


# ---------------------------------------------------------------- jobs and scheduling

def test_a_stale_round_job_does_nothing(db, store, api, clock, worker):
    poll_id = start(db, new_shipment(db, store.id, "3SABC1234567"))
    drain(worker)

    with db.transaction() as session:
        outcome = polling.run_round(session, poll_id=poll_id, generation=0)

    assert outcome == "stale"
    assert len(api.calls) == 1


def test_a_round_whose_job_was_lost_is_picked_up_by_the_scheduler(db, store, api, clock, worker):
    shipment_id = new_shipment(db, store.id, "3SABC1234567")
    api.answer("3SABC1234567", [PICKED_UP])
    start(db, shipment_id)
    with db.transaction() as session:
        session.execute(delete(Job).where(Job.kind == POLL_JOB))

    drain(worker)
    assert api.calls == []
    clock.advance(seconds=60)  # the scheduler's next slot
    drain(worker)

    assert api.calls == [("3SABC1234567", T0 + timedelta(seconds=60))]
    [scheduler] = queued(db, SCHEDULE_JOB)
    assert scheduler.run_at == T0 + timedelta(seconds=120)
    assert scheduler.dedupe_key == f"{SCHEDULE_JOB}:{int(T0.timestamp()) + 120}"


def test_the_scheduler_is_enqueued_once_per_slot_whoever_asks(db, store, api, clock):
    for number in ("3SABC0000001", "3SABC0000002", "3SABC0000003"):
        start(db, new_shipment(db, store.id, number))

    [scheduler] = queued(db, SCHEDULE_JOB)

    assert scheduler.run_at == T0 + timedelta(seconds=60)
    assert len(queued(db, POLL_JOB)) == 3


def test_starting_again_resumes_a_stopped_poll_with_a_fresh_count(db, store, api, clock, worker):
    shipment_id = new_shipment(db, store.id, "3SABC1234567")
    api.answer("3SABC1234567", PollError("unknown tracking number", retry=False), [PICKED_UP])
    poll_id = start(db, shipment_id)
    drain(worker)

    again = start(db, shipment_id)
    drain(worker)

    poll = poll_row(db, poll_id)
    assert again == poll_id
    assert (poll.active, poll.failures, poll.stopped_reason, poll.polls) == (True, 0, None, 2)


def test_stopping_by_hand_cancels_the_next_round(db, store, api, clock, worker):
    shipment_id = new_shipment(db, store.id, "3SABC1234567")
    poll_id = start(db, shipment_id)

    with db.transaction() as session:
        stopped = polling.stop_polling(session, store_id=store.id, shipment_id=shipment_id)
    drain(worker)

    assert stopped is True
    assert api.calls == []
    assert poll_row(db, poll_id).stopped_reason == "stopped by hand"


def test_another_store_cannot_stop_or_see_a_poll(db, store, make_store, api, clock):
    other = make_store("other")
    shipment_id = new_shipment(db, store.id, "3SABC1234567")
    start(db, shipment_id)

    with db.transaction() as session:
        stopped = polling.stop_polling(session, store_id=other.id, shipment_id=shipment_id)
        seen = polling.poll_of(session, store_id=other.id, shipment_id=shipment_id)

    assert (stopped, seen) == (False, None)


def test_starting_with_an_unknown_adapter_is_refused_and_writes_nothing(db, store, clock):
    shipment_id = new_shipment(db, store.id, "3SABC1234567")

    with pytest.raises(ValueError, match="no polling adapter 'nosuchpost'"):
        start(db, shipment_id, adapter="nosuchpost")

    with db.reading() as session:
        assert session.scalar(select(func.count(CarrierPoll.id))) == 0
        assert session.scalar(select(func.count(Job.id))) == 0


def test_a_poll_whose_adapter_went_away_stops_with_the_reason(db, store, api, clock, worker,
                                                              monkeypatch):
    poll_id = start(db, new_shipment(db, store.id, "3SABC1234567"))
    monkeypatch.delitem(polling._ADAPTERS, "fakepost")

    drain(worker)

    assert poll_row(db, poll_id).stopped_reason == "no adapter 'fakepost'"
    assert api.calls == []
