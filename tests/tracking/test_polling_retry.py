"""A round's job that runs again after its worker died mid-round (the round claimed,
its events fetched, nothing written): the retry takes the round back at once instead
of leaving the shipment unpolled until the round's lease (five minutes) runs out.
Any other move of the round since its job was made still makes the job stale."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from afterward.tracking import polling
from afterward.tracking.models import TrackingEvent
from afterward.tracking.polling import POLL_JOB
from afterward.tracking.statuses import Status
from tests.tracking.polling_support import (
    T0,
    api,
    clock,
    new_shipment,
    poll_row,
    queued,
    scan,
    start,
)

__all__ = ["api", "clock"]  # fixtures

PICKED_UP = scan(T0 - timedelta(minutes=40), Status.in_transit, "Picked up", "Utrecht, NL")


class WorkerDied(BaseException):
    """The worker's end after the fetch: the round's claim is committed, nothing else."""


def round_that_dies(db, poll_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    def die(*_args: object) -> str:
        raise WorkerDied

    with monkeypatch.context() as patched:
        patched.setattr(polling, "_finish", die)
        with pytest.raises(WorkerDied), db.transaction() as session:
            polling.run_round(session, poll_id=poll_id, generation=0)


def events_of(db, shipment_id: int) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(TrackingEvent).where(
            TrackingEvent.shipment_id == shipment_id)) or 0)


def test_the_retry_of_a_round_whose_worker_died_polls_at_once(db, store, api, clock,
                                                               monkeypatch):
    # given a round whose first attempt claimed it and died during the fetch
    shipment_id = new_shipment(db, store.id, "3SABC1234567")
    poll_id = start(db, shipment_id)
    api.answer("3SABC1234567", [PICKED_UP])
    round_that_dies(db, poll_id, monkeypatch)
    before = events_of(db, shipment_id)

    # when its job runs again a minute later
    clock.advance(seconds=60)
    with db.transaction() as session:
        outcome = polling.run_round(session, poll_id=poll_id, generation=0, retry=True)

    # then the round is polled now, once
    assert outcome == "polled"
    assert api.calls == [("3SABC1234567", T0), ("3SABC1234567", T0 + timedelta(seconds=60))]
    assert events_of(db, shipment_id) == before + 1
    assert poll_row(db, poll_id).polls == 1


def test_a_first_attempt_finding_the_round_claimed_is_still_stale(db, store, api, clock,
                                                                  monkeypatch):
    shipment_id = new_shipment(db, store.id, "3SABC1234567")
    poll_id = start(db, shipment_id)
    api.answer("3SABC1234567", [PICKED_UP])
    round_that_dies(db, poll_id, monkeypatch)
    claimed = poll_row(db, poll_id)

    with db.transaction() as session:
        outcome = polling.run_round(session, poll_id=poll_id, generation=0)

    assert outcome == "stale"
    assert len(api.calls) == 1
    after = poll_row(db, poll_id)
    assert (after.generation, after.next_poll_at) == (claimed.generation, claimed.next_poll_at)


def test_a_retry_after_the_round_was_restarted_leaves_it_to_the_new_round_s_job(
        db, store, api, clock, monkeypatch):
    # given a round claimed by a dead attempt, then polling restarted (a job of its own)
    shipment_id = new_shipment(db, store.id, "3SABC1234567")
    poll_id = start(db, shipment_id)
    api.answer("3SABC1234567", [PICKED_UP])
    round_that_dies(db, poll_id, monkeypatch)
    start(db, shipment_id)
    restarted = poll_row(db, poll_id)

    # when the dead attempt's job runs again
    with db.transaction() as session:
        outcome = polling.run_round(session, poll_id=poll_id, generation=0, retry=True)

    # then it does nothing: the restarted round is its own job's
    assert outcome == "stale"
    assert len(api.calls) == 1
    assert poll_row(db, poll_id).generation == restarted.generation
    # the dead attempt's own job (run by hand here) and the restart's: nothing new
    assert sorted(job.payload["generation"] for job in queued(db, POLL_JOB)) == [
        0, restarted.generation]
