"""The delivery-date model wired into shipments, on a real database: the window and the
promise stored at each event, `shipment.delayed` (when the window first ends after the
promised day, tracking/lateness.py) and `shipment.stalled` once each and cleared again,
the periodic check, and the per-process model cache."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from afterward import jobs
from afterward.events import Event
from afterward.tracking import eta, eta_cache, overdue, stats
from afterward.tracking import service as tracking
from afterward.tracking.carriers.base import CarrierEvent
from afterward.tracking.models import Shipment
from afterward.tracking.statuses import Status
from afterward.worker import Worker, start_periodic


def at(day: int, hour: float = 0) -> datetime:
    return datetime(2024, 6, day, tzinfo=UTC) + timedelta(hours=hour)  # 06-03: a Monday


# The store has no delivered history, so the window is the prior's (eta.PRIOR_TRANSIT) in
# business days from the hand-over on Monday 06-03 00:00, as of 12:00 that day.
EARLIEST, LIKELY, LATEST = at(3, 12), at(6), at(10, 12)
PROMISE = at(11)  # the end of the latest day


@pytest.fixture(autouse=True)
def fresh_cache():
    eta_cache.CACHE.clear()
    yield
    eta_cache.CACHE.clear()


def scan(moment: datetime, status: Status = Status.in_transit) -> CarrierEvent:
    return CarrierEvent(occurred_at=moment, status=status, provider="easypost",
                        provider_status=status.value, message=f"{status.value} scan",
                        location=None)


def new_shipment(db, store_id: int, *, direction: str = "outbound") -> int:
    with db.transaction() as session:
        shipment = Shipment(store_id=store_id, token=tracking.new_token(), carrier="ups",
                            service="ground", origin_region="CA", destination_region="NY",
                            tracking_number="1Z999AA10123456784", shipped_at=at(3),
                            status="pending", direction=direction)
        session.add(shipment)
        session.flush()
        return shipment.id


def deliver(db, shipment_id: int, *events: CarrierEvent, now: datetime) -> int:
    with db.transaction() as session:
        shipment = session.get(Shipment, shipment_id)
        return tracking.add_events(session, shipment=shipment, events=events, now=now)


def row(db, shipment_id: int) -> Shipment:
    with db.reading() as session:
        shipment = session.get(Shipment, shipment_id)
        session.expunge(shipment)
        return shipment


def domain_events(db, shipment_id: int, *names: str) -> list[tuple[str, dict]]:
    with db.reading() as session:
        return [(e.name, e.payload) for e in session.scalars(select(Event).where(
            Event.subject_type == "shipment", Event.subject_id == shipment_id,
            Event.name.in_(names)).order_by(Event.id))]


def check(db, store_id: int, now: datetime) -> overdue.Checked:
    with db.transaction() as session:
        return overdue.check_store(session, store_id=store_id, now=now)


def test_an_event_stores_the_window_and_promises_its_last_day(db, store):
    shipment_id = new_shipment(db, store.id)

    deliver(db, shipment_id, scan(at(3, 12)), now=at(3, 12))

    s = row(db, shipment_id)
    assert (s.status, s.eta_earliest, s.eta_likely, s.eta_latest, s.eta_level) == (
        "in_transit", EARLIEST, LIKELY, LATEST, "prior")
    assert s.promised_at == PROMISE
    assert (s.delayed_at, s.stalled_at) == (None, None)


def test_the_promise_never_moves_later_on_its_own(db, store):
    shipment_id = new_shipment(db, store.id)
    deliver(db, shipment_id, scan(at(3, 12)), now=at(3, 12))

    deliver(db, shipment_id, scan(at(7)), now=at(7))

    s = row(db, shipment_id)
    assert s.eta_likely == at(10, 21)  # the window moved on ...
    assert s.promised_at == PROMISE  # ... the promise did not


def test_return_parcels_get_no_window(db, store):
    shipment_id = new_shipment(db, store.id, direction="return")

    deliver(db, shipment_id, scan(at(3, 12)), now=at(3, 12))

    s = row(db, shipment_id)
    assert (s.eta_earliest, s.eta_likely, s.eta_latest, s.promised_at) == (None,) * 4


def test_a_window_that_moves_later_but_still_ends_on_the_promised_day_is_not_late(
        db, store):
    shipment_id = new_shipment(db, store.id)
    deliver(db, shipment_id, scan(at(3, 12)), now=at(3, 12))  # promised: Monday 06-10

    deliver(db, shipment_id, scan(at(4, 12)), now=at(4, 12))

    s = row(db, shipment_id)
    assert (s.eta_latest, s.promised_at) == (at(10, 20.1), PROMISE)  # later, same day
    assert s.delayed_at is None
    assert domain_events(db, shipment_id, "shipment.delayed") == []


def test_delayed_fires_once_when_the_window_first_ends_after_the_promised_day(db, store):
    shipment_id = new_shipment(db, store.id)
    deliver(db, shipment_id, scan(at(3, 12)), now=at(3, 12))

    deliver(db, shipment_id, scan(at(5)), now=at(5))  # the window now ends 06-11 01:30

    s = row(db, shipment_id)
    assert (s.delayed_at, s.eta_likely, s.eta_latest) == (at(5), at(6, 12), at(11, 1.5))
    assert domain_events(db, shipment_id, "shipment.delayed") == [("shipment.delayed", {
        "order_id": None, "likely": "2024-06-06T12:00:00+00:00",
        "promised_at": "2024-06-11T00:00:00+00:00", "level": "prior", "n": 0,
        "carrier": "ups", "promised_day": "2024-06-10", "window_first": "2024-06-05",
        "window_last": "2024-06-11"})]
    with db.reading() as session:
        assert stats.status_counts(session, store_id=store.id, now=at(5)).delayed == 1


def test_a_window_moving_later_again_records_no_second_delay_and_delivery_clears_it(
        db, store):
    shipment_id = new_shipment(db, store.id)
    deliver(db, shipment_id, scan(at(3, 12)), now=at(3, 12))
    deliver(db, shipment_id, scan(at(5)), now=at(5))

    deliver(db, shipment_id, scan(at(7)), now=at(7))  # now ends 06-13 06:00

    s = row(db, shipment_id)
    assert (s.delayed_at, s.eta_latest) == (at(5), at(13, 6))
    assert len(domain_events(db, shipment_id, "shipment.delayed")) == 1

    deliver(db, shipment_id, scan(at(12), Status.delivered), now=at(12))

    s = row(db, shipment_id)
    assert (s.status, s.delayed_at, s.delivered_at) == ("delivered", None, at(12))
    assert len(domain_events(db, shipment_id, "shipment.delayed")) == 1
    with db.reading() as session:
        assert stats.status_counts(session, store_id=store.id, now=at(12)).delayed == 0


def test_an_exception_past_the_promised_day_is_its_own_message_not_a_delay(db, store):
    shipment_id = new_shipment(db, store.id)
    deliver(db, shipment_id, scan(at(3, 12)), now=at(3, 12))

    deliver(db, shipment_id, scan(at(5), Status.exception), now=at(5))

    assert row(db, shipment_id).delayed_at is None
    assert [name for name, _ in domain_events(
        db, shipment_id, "shipment.delayed", "shipment.exception")] == ["shipment.exception"]


def test_a_parcel_delivered_after_its_promised_day_is_never_late_afterwards(db, store):
    shipment_id = new_shipment(db, store.id)
    deliver(db, shipment_id, scan(at(3, 12)), now=at(3, 12))

    deliver(db, shipment_id, scan(at(12), Status.delivered), now=at(12, 1))
    check(db, store.id, at(14))

    assert row(db, shipment_id).delayed_at is None
    assert domain_events(db, shipment_id, "shipment.delayed") == []


def test_stalled_fires_once_from_the_periodic_check_and_clears_on_the_next_scan(db, store):
    shipment_id = new_shipment(db, store.id)
    deliver(db, shipment_id, scan(at(3, 12)), now=at(3, 12))
    with db.transaction() as session:  # a generous promise: only the stall is at stake
        session.get(Shipment, shipment_id).promised_at = at(28)

    # No history: a parcel may go eta.STALL_FALLBACK = 3 business days without a scan.
    assert check(db, store.id, at(6, 12)) == overdue.Checked(1, 0, 0)  # exactly 3: not yet
    assert check(db, store.id, at(7)) == overdue.Checked(1, 0, 1)
    assert check(db, store.id, at(7, 1)) == overdue.Checked(0, 0, 0)  # already stalled

    s = row(db, shipment_id)
    assert s.stalled_at == at(7)
    assert domain_events(db, shipment_id, "shipment.stalled") == [("shipment.stalled", {
        "order_id": None, "carrier": "ups", "status": "in_transit",
        "last_event_at": "2024-06-03T12:00:00+00:00", "allowed_business_days": 3.0})]
    with db.reading() as session:
        assert stats.status_counts(session, store_id=store.id, now=at(7, 1)).stalled == 1

    deliver(db, shipment_id, scan(at(7, 2)), now=at(7, 2))

    assert row(db, shipment_id).stalled_at is None
    with db.reading() as session:
        assert stats.status_counts(session, store_id=store.id, now=at(7, 2)).stalled == 0
    assert len(domain_events(db, shipment_id, "shipment.stalled")) == 1


def test_the_periodic_check_records_delayed_once_when_the_promise_passes_in_silence(
        db, store):
    shipment_id = new_shipment(db, store.id)
    deliver(db, shipment_id, scan(at(6)), now=at(3, 12))  # promise 06-11 00:00

    assert check(db, store.id, at(11, 1)).delayed == 1
    assert check(db, store.id, at(11, 2)).delayed == 0

    s = row(db, shipment_id)
    assert s.delayed_at == at(11, 1)
    assert s.eta_latest is not None and s.eta_latest > at(11, 1)  # never a past window
    assert [payload["promised_at"] for _, payload in domain_events(
        db, shipment_id, "shipment.delayed")] == ["2024-06-11T00:00:00+00:00"]


def test_the_check_without_stalls_judges_lateness_only(db, store):
    # The demo's replay checks this way: the quiet parcel is re-estimated (its window
    # ran out) but not marked stalled, the silent one past its promise is late.
    quiet = new_shipment(db, store.id)
    deliver(db, quiet, scan(at(3, 12)), now=at(3, 12))
    with db.transaction() as session:
        session.get(Shipment, quiet).promised_at = at(28)
    late = new_shipment(db, store.id)
    deliver(db, late, scan(at(6)), now=at(3, 12))  # promise 06-11 00:00

    with db.transaction() as session:
        checked = overdue.check_store(session, store_id=store.id, now=at(11, 1), stalls=False)

    assert checked == overdue.Checked(2, 1, 0)
    assert (row(db, quiet).stalled_at, row(db, quiet).delayed_at) == (None, None)
    assert row(db, late).delayed_at == at(11, 1)
    assert domain_events(db, quiet, "shipment.stalled", "shipment.delayed") == []


def test_the_periodic_job_fans_out_per_store_and_keeps_itself_scheduled(db, store,
                                                                          make_store):
    quiet = make_store("quiet")
    new_shipment(db, store.id)
    with db.transaction() as session:
        session.get(Shipment, 1).status = "in_transit"
        first = overdue.ensure_scheduled(session, now=datetime(2024, 6, 3, 12, 5, tzinfo=UTC))
        again = overdue.ensure_scheduled(session, now=datetime(2024, 6, 3, 12, 7, tzinfo=UTC))
        assert first is not None and again is None  # one per slot

        assert overdue.fan_out(session, now=datetime(2024, 6, 3, 12, 15, tzinfo=UTC)) == 1
        queued = session.execute(select(jobs.Job.dedupe_key, jobs.Job.store_id, jobs.Job.run_at)
                                 .where(jobs.Job.kind == overdue.CHECK_JOB)
                                 .order_by(jobs.Job.id)).all()
    assert [tuple(q) for q in queued] == [
        ("tracking.check_overdue:1717416900", None, at(3, 12.25)),
        (f"tracking.check_overdue:{store.id}:1717416900", store.id, at(3, 12.25)),
        ("tracking.check_overdue:1717417800", None, at(3, 12.5))]
    assert quiet.id not in {q[1] for q in queued}


def test_a_long_running_worker_starts_the_check_and_runs_it(db, store):
    start_periodic(db)
    start_periodic(db)  # a second worker adds nothing
    with db.transaction() as session:
        rows = session.scalars(select(jobs.Job).where(jobs.Job.kind == overdue.CHECK_JOB)).all()
        assert len(rows) == 1
        rows[0].run_at = at(3)  # due now
    assert Worker(db).run(until_idle=True) == 1  # the fan-out (no store has parcels)
    with db.reading() as session:
        kinds = session.scalars(select(jobs.Job.status).where(
            jobs.Job.kind == overdue.CHECK_JOB).order_by(jobs.Job.id)).all()
    assert kinds == ["done", "queued"]  # and the next slot's


# ------------------------------------------------------------------ the cache

class Counting:
    def __init__(self, block: threading.Event | None = None) -> None:
        self.calls = 0
        self.block = block

    def __call__(self, session, store_id: int, now: datetime) -> eta_cache.Fitted:
        self.calls += 1
        if self.block is not None and self.calls > 1:
            self.block.wait(5)
        return eta_cache.Fitted(eta.fit([], as_of=now), eta.Clock(), now)


def test_the_cache_fits_once_then_refits_when_old_or_after_new_deliveries(db, store):
    fit = Counting()
    cache = eta_cache.EtaCache(max_age=timedelta(hours=6), refit_after=3, fit=fit)
    with db.reading() as session:
        first = cache.get(session, store.id, at(3))
        assert cache.get(session, store.id, at(3, 5.9)) is first
        assert fit.calls == 1
        assert cache.get(session, store.id, at(3, 6)) is not first  # six hours old
        assert fit.calls == 2
        for _ in range(2):
            cache.note_delivery(session, store.id)
        cache.get(session, store.id, at(3, 7))
        assert fit.calls == 2
        cache.note_delivery(session, store.id)  # the third delivery since the fit
        cache.get(session, store.id, at(3, 7))
        cache.get(session, store.id, at(3, 7))
        assert fit.calls == 3
        cache.get(session, store.id + 1, at(3, 7))  # each store its own model
        assert fit.calls == 4


def test_a_refit_in_progress_does_not_block_the_others(db, store):
    release = threading.Event()
    fit = Counting(block=release)
    cache = eta_cache.EtaCache(max_age=timedelta(hours=1), fit=fit)
    with db.reading() as session:
        old = cache.get(session, store.id, at(3))
    refitting = threading.Thread(target=lambda: _get(db, cache, store.id, at(3, 2)))
    refitting.start()
    while fit.calls < 2:
        threading.Event().wait(0.01)
    with db.reading() as session:
        assert cache.get(session, store.id, at(3, 2)) is old  # stale but immediate
    release.set()
    refitting.join(5)
    with db.reading() as session:
        assert cache.get(session, store.id, at(3, 2)).fitted_at == at(3, 2)
    assert fit.calls == 2


def _get(db, cache: eta_cache.EtaCache, store_id: int, now: datetime) -> None:
    with db.reading() as session:
        cache.get(session, store_id, now)


def test_deliveries_through_add_events_make_the_process_cache_refit(db, store, monkeypatch):
    monkeypatch.setattr(eta_cache.CACHE, "refit_after", 2)
    ids = [new_shipment(db, store.id) for _ in range(3)]
    before = eta_cache.CACHE.fits
    for shipment_id in ids:
        deliver(db, shipment_id, scan(at(3, 12)), now=at(3, 12))
    assert eta_cache.CACHE.fits - before == 1  # one fit for three shipments

    deliver(db, ids[0], scan(at(4), Status.delivered), now=at(4))
    deliver(db, ids[1], scan(at(5), Status.delivered), now=at(5))
    deliver(db, ids[2], scan(at(5, 1)), now=at(5, 1))

    assert eta_cache.CACHE.fits - before == 2
    s = row(db, ids[2])
    assert s.eta_level == "lane"  # learnt from the two deliveries on its lane
    assert s.eta_likely is not None and s.eta_likely < at(6)
