"""Polling the carriers that cannot call us.

A `PollingAdapter` wraps one carrier API; its only network call is `fetch`, so
tests replace that and nothing else. Adapters are found by a string kind; a
factory builds one from the poll's `params` (the replay adapter keeps its
recording there; a real carrier needs none).

Each polled shipment has a `carrier_polls` row saying when to ask next. A round
is a `tracking.poll` job, in three steps:
1. its own short transaction: claim the round with a conditional UPDATE on the
   row's generation (so a duplicate or stale job does nothing; a retry of the job
   whose earlier attempt claimed the round and died takes it back) and take a slot
   from the carrier's budget (rate_limit.py); a slot in the future reschedules
   the round for then, keeping the slot;
2. no transaction open: `adapter.fetch(tracking_number)`;
3. the worker's transaction, fenced on the job lease: the events through
   `tracking.service.add_events` (which records `shipment.<status>`), and the
   next round's time.

The next round depends on the parcel: every 20 minutes out for delivery, every
few hours in transit (less often the longer it has been on its way), never
once it is delivered, returned or cancelled, or after 30 days without a scan.
Errors back off exponentially with jitter; ten in a row, or one the adapter
calls final, stop the polling with the reason kept on the row.

A periodic `tracking.schedule_polls` job (one per minute-slot, deduplicated by
the slot, re-enqueued while any poll is active) enqueues the rounds coming due,
so a round whose job was lost is picked up again."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from afterward import jobs
from afterward.storage.db import side_transaction
from afterward.storage.types import utcnow
from afterward.tracking import service as tracking
from afterward.tracking.carriers.base import CarrierEvent
from afterward.tracking.models import Shipment
from afterward.tracking.polling_models import CarrierPoll
from afterward.tracking.rate_limit import MICROSECOND, RateLimit, from_micros, micros, take_slot
from afterward.tracking.statuses import TERMINAL, Status

POLL_JOB = "tracking.poll"
SCHEDULE_JOB = "tracking.schedule_polls"
SCHEDULE_EVERY = timedelta(seconds=60)
SCHEDULE_BATCH = 500
ROUND_LEASE = timedelta(minutes=5)  # a round being fetched is not due again before this
MAX_FAILURES = 10
SILENCE_LIMIT = timedelta(days=30)
ERROR_BASE = timedelta(minutes=5)
ERROR_CAP = timedelta(hours=12)


class PollError(Exception):
    """A fetch that failed. `retry=False`: asking again cannot help (the carrier
    does not know the number, our credentials were refused); polling stops."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@runtime_checkable
class PollingAdapter(Protocol):
    @property
    def rate_limit(self) -> RateLimit | None: ...

    def fetch(self, tracking_number: str) -> list[CarrierEvent]:
        """Every event the carrier has for the number (duplicates are harmless)."""
        ...


@runtime_checkable
class KnowsNextEvent(Protocol):
    """An adapter that knows when its next event appears (the replay adapter)
    is asked then, instead of on the status-based schedule."""

    def next_event_at(self, now: datetime) -> datetime | None: ...


AdapterFactory = Callable[[Mapping[str, Any]], PollingAdapter]
_ADAPTERS: dict[str, AdapterFactory] = {}


def register(kind: str, factory: AdapterFactory) -> None:
    if not 0 < len(kind) <= 32:
        raise ValueError("an adapter kind has 1 to 32 characters")
    _ADAPTERS[kind] = factory


def registered_adapters() -> list[str]:
    return sorted(_ADAPTERS)


def adapter_for(kind: str, params: Mapping[str, Any]) -> PollingAdapter | None:
    factory = _ADAPTERS.get(kind)
    return factory(params) if factory else None


# ---------------------------------------------------------------- schedule (pure)

# How long until we ask again, by what the parcel is doing.
_EVERY = {
    Status.out_for_delivery: timedelta(minutes=20),  # the last hours move; shoppers watch
    Status.failed_attempt: timedelta(hours=2),
    Status.available_for_pickup: timedelta(hours=3),
    Status.exception: timedelta(hours=3),
    Status.pending: timedelta(hours=4),
    Status.info_received: timedelta(hours=4),
}
# In transit: (on the way for less than, ask every); after the last, _IN_TRANSIT_LONG.
_IN_TRANSIT = ((timedelta(days=2), timedelta(hours=2)), (timedelta(days=7), timedelta(hours=4)))
_IN_TRANSIT_LONG = timedelta(hours=8)
FINAL = frozenset({*TERMINAL, Status.expired})


def interval_for(status: str, *, on_the_way: timedelta) -> timedelta | None:
    """The regular wait before the next round; None once the status is final."""
    if status in FINAL:
        return None
    if status in _EVERY:
        return _EVERY[Status(status)]
    for younger_than, every in _IN_TRANSIT:  # in transit (or a status we do not know)
        if on_the_way < younger_than:
            return every
    return _IN_TRANSIT_LONG


def spread(delay: timedelta, u: float) -> timedelta:
    """±10%, so shipments registered together do not stay in lock-step."""
    return delay * (0.9 + 0.2 * u)


def error_delay(failures: int, u: float) -> timedelta:
    """Exponential from ERROR_BASE, capped at ERROR_CAP, times a jitter in [0.5, 1]."""
    ceiling = min(ERROR_CAP, ERROR_BASE * 2 ** min(max(failures, 1) - 1, 16))
    return ceiling * (0.5 + u / 2)


# ---------------------------------------------------------------- starting and stopping

def start_polling(session: Session, *, shipment: Shipment, adapter: str,
                  params: Mapping[str, Any] | None = None,
                  now: datetime | None = None) -> CarrierPoll:
    """Poll a shipment through an adapter, first round now. Again for a shipment
    already polled: its adapter and params are replaced and polling resumes."""
    if adapter not in _ADAPTERS:
        raise ValueError(f"no polling adapter {adapter!r}")
    now = now or utcnow()
    poll = session.scalar(select(CarrierPoll).where(CarrierPoll.shipment_id == shipment.id))
    if poll is None:
        poll = CarrierPoll(store_id=shipment.store_id, shipment_id=shipment.id, generation=0,
                           polls=0)
        session.add(poll)
    else:
        poll.generation += 1
    poll.adapter, poll.params, poll.active = adapter, dict(params or {}), True
    poll.next_poll_at, poll.slot_at, poll.failures = now, None, 0
    poll.last_error = poll.stopped_reason = None
    session.flush()
    _enqueue_round(session, poll)
    ensure_scheduled(session, now=now)
    return poll


def stop_polling(session: Session, *, store_id: int, shipment_id: int,
                 reason: str = "stopped by hand") -> bool:
    poll = session.scalar(select(CarrierPoll).where(
        CarrierPoll.store_id == store_id, CarrierPoll.shipment_id == shipment_id,
        CarrierPoll.active.is_(True)))
    if poll is None:
        return False
    _stop(poll, reason)
    return True


def poll_of(session: Session, *, store_id: int, shipment_id: int) -> CarrierPoll | None:
    return session.scalar(select(CarrierPoll).where(
        CarrierPoll.store_id == store_id, CarrierPoll.shipment_id == shipment_id))


def _stop(poll: CarrierPoll, reason: str) -> None:
    poll.active, poll.stopped_reason, poll.slot_at = False, reason[:64], None
    poll.generation += 1


def _enqueue_round(session: Session, poll: CarrierPoll) -> None:
    jobs.enqueue(session, POLL_JOB, {"poll_id": poll.id, "generation": poll.generation},
                 store_id=poll.store_id, run_at=poll.next_poll_at, max_attempts=3,
                 dedupe_key=_round_key(poll.id, poll.generation))


def _round_key(poll_id: int, generation: int) -> str:
    return f"{POLL_JOB}:{poll_id}:{generation}"


def ensure_scheduled(session: Session, *, now: datetime) -> None:
    """The scheduler's job for the slot after `now` (once per slot, whoever asks)."""
    every = SCHEDULE_EVERY // MICROSECOND
    slot = (micros(now) // every + 1) * every
    jobs.enqueue(session, SCHEDULE_JOB, {}, run_at=from_micros(slot),
                 dedupe_key=f"{SCHEDULE_JOB}:{slot // 1_000_000}")


# ---------------------------------------------------------------- the jobs

@jobs.handler(SCHEDULE_JOB)
def schedule_polls(session: Session, job: jobs.JobContext) -> None:
    enqueue_due(session, now=utcnow())


def enqueue_due(session: Session, *, now: datetime) -> int:
    """Enqueue the rounds coming due before the next tick; a round that has its job
    already is skipped by the job's dedupe key. Returns how many rounds were seen."""
    due = session.scalars(select(CarrierPoll).where(
        CarrierPoll.active.is_(True), CarrierPoll.next_poll_at <= now + SCHEDULE_EVERY,
    ).order_by(CarrierPoll.next_poll_at).limit(SCHEDULE_BATCH)).all()
    for poll in due:
        _enqueue_round(session, poll)
    if due or session.scalar(select(CarrierPoll.id).where(CarrierPoll.active.is_(True))
                             .limit(1)) is not None:
        ensure_scheduled(session, now=now)
    return len(due)


@jobs.handler(POLL_JOB)
def poll_job(session: Session, job: jobs.JobContext) -> None:
    try:
        poll_id, generation = int(job.payload["poll_id"]), int(job.payload["generation"])
    except (KeyError, TypeError, ValueError) as exc:
        raise jobs.PermanentError(f"job {job.job_id} needs poll_id and generation") from exc
    run_round(session, poll_id=poll_id, generation=generation, retry=job.attempt > 1)


@dataclass(frozen=True)
class _Ticket:
    poll_id: int
    generation: int
    adapter: PollingAdapter
    tracking_number: str


def run_round(session: Session, *, poll_id: int, generation: int, retry: bool = False) -> str:
    """One round; `session` is the worker's and must not have been used yet, so no
    transaction is open during the fetch. Returns what happened, for logs and tests:
    stale, stopped, waiting, polled, failed or gone. `retry`: the round's job ran
    before (a worker died or lost its lease), so the round may be its own, claimed."""
    with side_transaction(session) as own:
        now = utcnow()
        if retry and _claimed_and_unfinished(own, poll_id, generation, now):
            generation += 1  # take the round back now, not when ROUND_LEASE runs out
        ticket = _claim(own, poll_id, generation, now)
    if isinstance(ticket, str):
        return ticket
    events: Sequence[CarrierEvent] = ()
    error: PollError | None = None
    try:
        events = _checked(ticket.adapter.fetch(ticket.tracking_number))
    except PollError as exc:
        error = exc
    except Exception as exc:  # the network call's failures are the carrier's, not ours
        error = PollError(f"{type(exc).__name__}: {exc}")
    return _finish(session, ticket, events, error, utcnow())


def _claimed_and_unfinished(own: Session, poll_id: int, generation: int,
                            now: datetime) -> bool:
    """Did an earlier attempt of this round's job claim it (the generation one on, the
    round leased) and die before finishing it? Every other move past `generation`
    either goes further (a finished round, a stop) or comes with a job of its own
    (a restart, a round waiting for its rate-limit slot): one job per generation."""
    poll = own.get(CarrierPoll, poll_id)
    if poll is None or not poll.active or poll.generation != generation + 1 \
            or poll.slot_at is not None or poll.next_poll_at <= now:
        return False
    return own.scalar(select(jobs.Job.id).where(
        jobs.Job.dedupe_key == _round_key(poll_id, generation + 1))) is None


def _claim(own: Session, poll_id: int, generation: int, now: datetime) -> _Ticket | str:
    poll = own.get(CarrierPoll, poll_id)
    if poll is None or not poll.active or poll.generation != generation:
        return "stale"
    shipment = own.get(Shipment, poll.shipment_id)
    assert shipment is not None  # the poll row goes with its shipment (ON DELETE CASCADE)
    try:
        adapter = adapter_for(poll.adapter, poll.params)
        reason = None if adapter else f"no adapter {poll.adapter!r}"
    except (ValueError, TypeError, KeyError) as exc:
        adapter, reason = None, f"bad adapter params: {exc}"
    if shipment.status in FINAL:
        reason = shipment.status
    elif not shipment.tracking_number:
        reason = "no tracking number"
    reserved = poll.slot_at  # a slot an earlier attempt of this round already took
    claimed = own.execute(update(CarrierPoll).where(
        CarrierPoll.id == poll_id, CarrierPoll.generation == generation,
        CarrierPoll.active.is_(True)).values(
        generation=generation + 1, next_poll_at=now + ROUND_LEASE, slot_at=None))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return "stale"
    own.refresh(poll)
    if reason is not None or adapter is None or shipment.tracking_number is None:
        _stop(poll, reason or "stopped")
        return "stopped"
    limit = adapter.rate_limit
    if limit is not None:
        slot = reserved or take_slot(own, key=poll.adapter, limit=limit, now=now)
        if slot > now:
            poll.next_poll_at = poll.slot_at = slot
            own.flush()
            _enqueue_round(own, poll)
            return "waiting"
    return _Ticket(poll.id, poll.generation, adapter, shipment.tracking_number)


def _checked(events: Sequence[CarrierEvent]) -> Sequence[CarrierEvent]:
    for event in events:
        if not isinstance(event, CarrierEvent):
            raise PollError(f"the adapter returned {type(event).__name__}, not CarrierEvent")
        if event.occurred_at.utcoffset() is None:
            raise PollError("the adapter returned a timestamp without a time zone")
    return events


def _finish(session: Session, ticket: _Ticket, events: Sequence[CarrierEvent],
            error: PollError | None, now: datetime) -> str:
    poll = session.get(CarrierPoll, ticket.poll_id)
    if poll is None:
        return "gone"
    shipment = session.get(Shipment, poll.shipment_id)
    assert shipment is not None
    if events:
        tracking.add_events(session, shipment=shipment, events=events)
    if not poll.active or poll.generation != ticket.generation:
        return "polled"  # stopped or restarted meanwhile: the events count, the plan is theirs
    poll.polls += 1
    poll.last_polled_at = now
    if error is not None:
        return _failed(session, poll, error, now)
    poll.failures, poll.last_error = 0, None
    delay, reason = _next_wait(poll, shipment, ticket.adapter, now)
    if delay is None:
        _stop(poll, reason)
        return "polled"
    _reschedule(session, poll, now + delay, now)
    return "polled"


def _failed(session: Session, poll: CarrierPoll, error: PollError, now: datetime) -> str:
    poll.failures += 1
    poll.last_error = str(error)[:2000]
    if not error.retry:
        _stop(poll, f"refused: {error}")
    elif poll.failures >= MAX_FAILURES:
        _stop(poll, f"{poll.failures} errors in a row")
    else:
        _reschedule(session, poll, now + error_delay(poll.failures, random.random()), now)
    return "failed"


def _next_wait(poll: CarrierPoll, shipment: Shipment, adapter: PollingAdapter,
               now: datetime) -> tuple[timedelta | None, str]:
    if shipment.status in FINAL:
        return None, shipment.status
    if isinstance(adapter, KnowsNextEvent):
        upcoming = adapter.next_event_at(now)
        if upcoming is None:
            return None, "no more events"
        return max(upcoming - now, timedelta(seconds=1)), ""
    if now - (shipment.last_event_at or poll.created_at) > SILENCE_LIMIT:
        return None, f"no scan for {SILENCE_LIMIT.days} days"
    wait = interval_for(shipment.status, on_the_way=now - (shipment.shipped_at or poll.created_at))
    return (None, shipment.status) if wait is None else (spread(wait, random.random()), "")


def _reschedule(session: Session, poll: CarrierPoll, when: datetime, now: datetime) -> None:
    poll.generation += 1
    poll.next_poll_at = when
    session.flush()
    _enqueue_round(session, poll)
    ensure_scheduled(session, now=now)
