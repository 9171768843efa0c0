"""What the polling and replay tests share: a clock the test moves by hand, the
stand-in for a carrier's tracking API (the only fake), and small builders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from afterward import jobs
from afterward.jobs import Job
from afterward.storage.db import Database
from afterward.tracking import polling, replay
from afterward.tracking import service as tracking
from afterward.tracking.carriers.base import CarrierEvent
from afterward.tracking.models import Shipment
from afterward.tracking.polling_models import CarrierPoll
from afterward.tracking.rate_limit import RateLimit
from afterward.tracking.service import ShipmentDraft
from afterward.tracking.statuses import Status
from afterward.worker import Worker

# Close to the real time (rows get real created_at stamps), on a minute boundary.
T0 = datetime.now(UTC).replace(second=0, microsecond=0)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def move_to(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    current = Clock(T0)
    for module in (jobs, polling, replay):
        monkeypatch.setattr(module, "utcnow", current)
    return current


class FakeCarrierApi:
    """Stands in for a carrier's tracking API across the network: answers queued per
    tracking number (the last one repeats), and every call remembered."""

    def __init__(self, clock: Clock, rate_limit: RateLimit | None = None) -> None:
        self.clock, self.rate_limit = clock, rate_limit
        self.answers: dict[str, list[list[CarrierEvent] | Exception]] = {}
        self.calls: list[tuple[str, datetime]] = []

    def answer(self, number: str, *replies: list[CarrierEvent] | Exception) -> None:
        self.answers.setdefault(number, []).extend(replies)

    def fetch(self, tracking_number: str) -> list[CarrierEvent]:
        self.calls.append((tracking_number, self.clock()))
        queue = self.answers.get(tracking_number) or [[]]
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(reply, Exception):
            raise reply
        return list(reply)


@pytest.fixture
def api(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> FakeCarrierApi:
    fake = FakeCarrierApi(clock)
    monkeypatch.setitem(polling._ADAPTERS, "fakepost", lambda params: fake)
    return fake


def scan(at: datetime, status: Status, message: str, location: str | None = None,
         signed_by: str | None = None) -> CarrierEvent:
    return CarrierEvent(occurred_at=at, status=status, provider="fakepost",
                        provider_status=status.value, message=message, location=location,
                        signed_by=signed_by)


def new_shipment(db: Database, store_id: int, number: str, *,
                 status: Status = Status.info_received, shipped_at: datetime | None = None,
                 origin: str | None = None, destination: str | None = None,
                 direction: str = "outbound") -> int:
    with db.transaction() as session:
        shipment, _ = tracking.upsert_shipment(
            session, store_id=store_id, order_id=None, draft=ShipmentDraft(
                external_id=None, carrier="postnl", service=None, tracking_number=number,
                shipped_at=shipped_at or T0 - timedelta(hours=1), status=status,
                direction=direction))
        shipment.origin_region, shipment.destination_region = origin, destination
        return shipment.id


def start(db: Database, shipment_id: int, adapter: str = "fakepost") -> int:
    with db.transaction() as session:
        shipment = session.get(Shipment, shipment_id)
        assert shipment is not None
        return polling.start_polling(session, shipment=shipment, adapter=adapter).id


def poll_row(db: Database, poll_id: int) -> CarrierPoll:
    with db.reading() as session:
        poll = session.get(CarrierPoll, poll_id)
        assert poll is not None
        return poll


def queued(db: Database, kind: str) -> list[Job]:
    with db.reading() as session:
        return list(session.scalars(select(Job).where(
            Job.kind == kind, Job.status == jobs.JobStatus.queued.value).order_by(Job.run_at)))


def drain(*workers: Worker) -> int:
    """Step the workers in turn until none finds a due job; returns the jobs run."""
    done = 0
    for _ in range(1000):
        found = [w.step() for w in workers]
        done += sum(found)
        if not any(found):
            return done
    raise AssertionError("the workers never ran out of due jobs")


@pytest.fixture
def worker(db: Database) -> Iterator[Worker]:
    yield Worker(db, idle_sleep=0, name="w1")
