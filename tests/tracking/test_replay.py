"""Replaying recorded carrier events: the recording format, the adapter's timing,
and replays driven by real workers through the polling rounds."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from afterward import jobs
from afterward.events import Event
from afterward.jobs import Job
from afterward.tracking import replay
from afterward.tracking import service as tracking
from afterward.tracking.models import Shipment
from afterward.tracking.polling_models import CarrierPoll
from afterward.tracking.replay import RecordingError, ReplayAdapter
from afterward.tracking.statuses import Status
from tests.tracking.polling_support import T0, clock, drain, new_shipment, poll_row, worker

__all__ = ["clock", "worker"]  # fixtures

HOUR = 3600


def recording(*steps: dict) -> replay.Recording:
    return replay.parse_recording(list(steps), name="test")


def step(after: float, status: str, message: str = "", **fields) -> dict:
    return {"after_seconds": after, "status": status, "message": message or status, **fields}


def statuses(rec: replay.Recording) -> list[str]:
    return [s.status.value for s in rec.steps]


# ---------------------------------------------------------------- the recordings

def test_four_recordings_ship_with_the_package():
    assert replay.recording_names() == [
        "customs_hold", "failed_attempt_then_delivered", "normal_delivery",
        "returned_to_sender"]


@pytest.mark.parametrize(("name", "expected"), [
    ("normal_delivery", ["info_received", "in_transit", "in_transit", "in_transit",
                         "in_transit", "out_for_delivery", "delivered"]),
    ("failed_attempt_then_delivered", ["info_received", "in_transit", "in_transit",
                                       "in_transit", "out_for_delivery", "failed_attempt",
                                       "out_for_delivery", "delivered"]),
    ("customs_hold", ["info_received", "in_transit", "in_transit", "in_transit", "exception",
                      "in_transit", "in_transit", "out_for_delivery", "delivered"]),
    ("returned_to_sender", ["info_received", "in_transit", "in_transit", "out_for_delivery",
                            "exception", "exception", "returned_to_sender"]),
])
def test_each_shipped_recording_tells_its_story(name, expected):
    loaded = replay.load_recording(name)

    assert statuses(loaded) == expected
    assert loaded.description
    times = [s.after_seconds for s in loaded.steps]
    assert times == sorted(times)


def test_a_bare_list_of_steps_is_a_recording_too(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps([step(0, "in_transit", "Left the warehouse"),
                                {"at": "2026-03-02T10:00:00+01:00", "status": "delivered"}]))

    loaded = replay.load_recording(path)

    assert (loaded.name, statuses(loaded)) == ("mine", ["in_transit", "delivered"])
    assert loaded.steps[1].at == T0.replace(year=2026, month=3, day=2, hour=9, minute=0)


@pytest.mark.parametrize(("data", "message"), [
    ([], "test: expected a non-empty list of events"),
    ({"events": "soon"}, "test: expected a non-empty list of events"),
    (["in_transit"], "test: events[0] must be an object"),
    ([{"status": "in_transit"}], "test: events[0] needs exactly one of after_seconds and at"),
    ([{"after_seconds": 0, "at": "2026-03-02T08:00:00Z", "status": "in_transit"}],
     "test: events[0] needs exactly one of after_seconds and at"),
    ([step(0, "in_transit"), step(-5, "delivered")],
     "test: events[1].after_seconds must be a number of seconds from 0 to 31622400"),
    ([{"after_seconds": True, "status": "in_transit"}],
     "test: events[0].after_seconds must be a number of seconds from 0 to 31622400"),
    ([{"after_seconds": "1h", "status": "in_transit"}],
     "test: events[0].after_seconds must be a number of seconds from 0 to 31622400"),
    ([step(0, "lost_in_space")], "test: events[0].status must be one of: pending, "),
    ([{"after_seconds": 0}], "test: events[0].status must be one of"),
    ([{"at": "2026-03-02T08:00:00", "status": "in_transit"}],
     "test: events[0].at has no time zone offset: '2026-03-02T08:00:00'"),
    ([{"at": "yesterday", "status": "in_transit"}],
     "test: events[0].at is not an ISO 8601 timestamp: 'yesterday'"),
    ([step(0, "in_transit", stauts="delivered")], "test: events[0]: unknown field 'stauts'"),
    ([step(0, "in_transit", location=["Berlin"])], "test: events[0].location must be a string"),
])
def test_a_bad_recording_is_refused_saying_where(data, message):
    with pytest.raises(RecordingError) as refused:
        replay.parse_recording(data, name="test")

    assert str(refused.value).startswith(message)


def test_a_missing_or_broken_file_is_a_readable_refusal(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("[{")

    with pytest.raises(RecordingError) as missing:
        replay.load_recording(tmp_path / "nowhere.json")
    with pytest.raises(RecordingError) as bad_json:
        replay.load_recording(broken)

    assert str(missing.value) == (
        f"cannot read recording '{tmp_path / 'nowhere.json'}': No such file or directory")
    assert str(bad_json.value).startswith("broken.json is not valid JSON: Expecting")


# ---------------------------------------------------------------- the adapter's timing

def test_the_adapter_hands_out_the_steps_that_are_due_at_the_replay_speed():
    rec = recording(step(0, "in_transit", "Picked up"), step(HOUR, "in_transit", "Hub"),
                    step(2 * HOUR, "delivered", "Delivered", signed_by="ADA"))
    now = [T0 + timedelta(seconds=90)]
    adapter = ReplayAdapter(rec, started_at=T0, speed=60, clock=lambda: now[0])

    events = adapter.fetch("ANY")

    assert [(e.occurred_at, e.status, e.message, e.provider) for e in events] == [
        (T0, Status.in_transit, "Picked up", "replay"),
        (T0 + timedelta(seconds=60), Status.in_transit, "Hub", "replay")]
    assert adapter.next_event_at(now[0]) == T0 + timedelta(seconds=120)
    now[0] = T0 + timedelta(seconds=120)
    assert adapter.fetch("ANY")[-1].signed_by == "ADA"
    assert adapter.next_event_at(now[0]) is None


def test_an_instant_in_a_recording_is_not_scaled_by_the_speed():
    at = (T0 + timedelta(hours=5)).isoformat()
    rec = recording(step(0, "in_transit"), {"at": at, "status": "delivered"})
    adapter = ReplayAdapter(rec, started_at=T0, speed=3600, clock=lambda: T0)

    assert adapter.next_event_at(T0) == T0 + timedelta(hours=5)


def test_skipped_steps_move_the_start_to_the_first_step_kept():
    rec = recording(step(0, "info_received"), step(HOUR, "in_transit"),
                    step(3 * HOUR, "delivered"))
    adapter = ReplayAdapter(rec, started_at=T0, speed=60, skip=1, clock=lambda: T0)

    assert [(e.occurred_at, e.status.value) for e in adapter.fetch("ANY")] == [
        (T0, "in_transit")]
    assert adapter.next_event_at(T0) == T0 + timedelta(seconds=120)


@pytest.mark.parametrize("speed", [0, -1, float("nan"), float("inf")])
def test_the_speed_must_be_a_positive_number(db, store, speed):
    with pytest.raises(ValueError, match="speed must be a positive number"):
        ReplayAdapter(recording(step(0, "in_transit")), started_at=T0, speed=speed)
    with db.transaction() as session, \
            pytest.raises(ValueError, match="speed must be a positive number"):
        replay.start_replay(session, store_id=store.id, speed=speed)


# ---------------------------------------------------------------- replays in the database

def play(db, worker, clock, poll_id: int, rounds: int = 50) -> None:
    """Run the worker, then move the clock to each next round, until the poll stops."""
    for _ in range(rounds):
        drain(worker)
        poll = poll_row(db, poll_id)
        if not poll.active:
            return
        clock.move_to(max(clock.now, poll.next_poll_at))
    raise AssertionError("the replay never finished")


def test_a_replay_moves_a_parcel_in_transit_to_its_door(db, store, clock, worker):
    # given: a parcel already in transit, replayed an hour a second
    shipment_id = new_shipment(db, store.id, "3SREPLAY0001", status=Status.in_transit,
                               origin="DE", destination="FR")
    normal = replay.load_recording("normal_delivery")
    with db.transaction() as session:
        started = replay.start_replay(session, store_id=store.id, speed=3600,
                                      recordings=[normal])
        poll_id = session.scalar(select(CarrierPoll.id))

    # when
    play(db, worker, clock, poll_id)

    # then: the steps from the first in-transit one on, an hour of recording per second
    with db.reading() as session:
        shipment = session.get(Shipment, shipment_id)
        replayed = [(e.occurred_at - T0, e.status, e.location)
                    for e in tracking.timeline(shipment) if e.provider == "replay"]
        names = list(session.scalars(select(Event.name).where(
            Event.subject_id == shipment_id, Event.subject_type == "shipment")
            .order_by(Event.id)))
        assert (shipment.status, shipment.last_location) == ("delivered", "FR")
    assert started == [shipment_id]
    assert replayed == [
        (timedelta(seconds=0), "in_transit", "DE"),
        (timedelta(seconds=4), "in_transit", "Sort centre, DE"),
        (timedelta(seconds=5.5), "in_transit", "Sort centre, DE"),
        (timedelta(seconds=21), "in_transit", "Delivery depot, FR"),
        (timedelta(seconds=28), "out_for_delivery", "FR"),
        (timedelta(seconds=33), "delivered", "FR"),
    ]
    assert names[-2:] == ["shipment.out_for_delivery", "shipment.delivered"]
    poll = poll_row(db, poll_id)
    assert (poll.active, poll.stopped_reason, poll.adapter) == (False, "delivered", "replay")


def test_a_replay_of_trouble_records_each_problem(db, store, clock, worker):
    shipment_id = new_shipment(db, store.id, "3SREPLAY0002", status=Status.info_received)
    with db.transaction() as session:
        replay.start_replay(session, store_id=store.id, speed=3600,
                            recordings=[replay.load_recording("returned_to_sender")])
        poll_id = session.scalar(select(CarrierPoll.id))

    play(db, worker, clock, poll_id)

    with db.reading() as session:
        names = list(session.scalars(select(Event.name).where(
            Event.subject_id == shipment_id).order_by(Event.id)))
        shipment = session.get(Shipment, shipment_id)
        assert (shipment.status, shipment.exception_reason) == (
            "returned_to_sender", "Returned to sender")
    assert names == ["shipment.created", "shipment.info_received", "shipment.in_transit",
                     "shipment.out_for_delivery", "shipment.exception",
                     "shipment.returned_to_sender"]


def test_start_replay_picks_the_stores_parcels_on_their_way_most_recent_first(db, store,
                                                                              make_store, clock):
    other = make_store("other")
    older = new_shipment(db, store.id, "3SREPLAY0001", status=Status.in_transit,
                         shipped_at=T0 - timedelta(days=2))
    newer = new_shipment(db, store.id, "3SREPLAY0002", status=Status.out_for_delivery,
                         shipped_at=T0 - timedelta(hours=3))
    new_shipment(db, store.id, "3SREPLAY0003", status=Status.delivered)
    new_shipment(db, store.id, "3SREPLAY0004", status=Status.exception)
    new_shipment(db, store.id, "3SREPLAY0005", status=Status.in_transit, direction="return")
    new_shipment(db, other.id, "3SREPLAY0006", status=Status.in_transit)

    with db.transaction() as session:
        first = replay.start_replay(session, store_id=store.id, limit=10)
    with db.transaction() as session:
        again = replay.start_replay(session, store_id=store.id, limit=10)

    assert first == [newer, older]
    assert again == []  # already replaying: never two replays of one parcel
    with db.reading() as session:
        assert sorted(session.scalars(select(CarrierPoll.shipment_id))) == [older, newer]


def test_a_replay_into_a_parcel_out_for_delivery_starts_at_that_stage(db, store, clock):
    shipment_id = new_shipment(db, store.id, "3SREPLAY0001", status=Status.out_for_delivery)

    with db.transaction() as session:
        poll = replay.replay_into(session, shipment=session.get(Shipment, shipment_id),
                                  recording=replay.load_recording("customs_hold"), speed=60)
        params = dict(poll.params)

    assert (params["skip"], params["speed"], params["started_at"]) == (7, 60.0, T0.isoformat())
    assert params["events"][7]["status"] == "out_for_delivery"
    assert params["events"][4]["location"] == "Customs, destination"  # no region known


def test_the_default_mix_is_mostly_smooth_deliveries():
    mix = [r.name for r in replay.default_mix()]

    assert len(mix) == 20
    assert {name: mix.count(name) for name in set(mix)} == {
        "normal_delivery": 14, "failed_attempt_then_delivered": 3, "customs_hold": 2,
        "returned_to_sender": 1}


def test_the_demo_can_start_a_replay_with_a_job(db, store, clock, worker):
    shipment_id = new_shipment(db, store.id, "3SREPLAY0001", status=Status.in_transit)
    with db.transaction() as session:
        jobs.enqueue(session, replay.START_JOB, {"speed": 600, "recordings": ["customs_hold"]},
                     store_id=store.id)

    drain(worker)

    with db.reading() as session:
        poll = session.scalars(select(CarrierPoll)).one()
        shipment = session.get(Shipment, shipment_id)
    assert (poll.shipment_id, poll.params["name"], poll.params["speed"]) == (
        shipment_id, "customs_hold", 600.0)
    assert poll.polls == 1  # the first round ran at once
    assert shipment.last_message == "Picked up by the carrier"


@pytest.mark.parametrize(("payload", "store_scoped", "error"), [
    ({"recordings": ["../../etc/passwd"]}, True, "no shipped recording '../../etc/passwd'"),
    ({"speed": "fast"}, True, "could not convert string to float: 'fast'"),
    ({"speed": 0}, True, "speed must be a positive number"),
    ({}, False, "tracking.start_replay needs a store_id"),
])
def test_a_bad_replay_job_goes_dead_at_once_and_starts_nothing(db, store, clock, worker, payload,
                                                               store_scoped, error):
    new_shipment(db, store.id, "3SREPLAY0001", status=Status.in_transit)
    with db.transaction() as session:
        jobs.enqueue(session, replay.START_JOB, payload,
                     store_id=store.id if store_scoped else None)

    drain(worker)

    with db.reading() as session:
        job = session.scalars(select(Job).where(Job.kind == replay.START_JOB)).one()
        assert session.scalars(select(CarrierPoll)).all() == []
    assert (job.status, job.attempts) == ("dead", 1)
    assert error in job.last_error
