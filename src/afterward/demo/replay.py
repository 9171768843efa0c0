"""The generated history, replayed through the journeys as it happens. A simulated
clock (afterward.clock) moves forward to whole hours (see STEP and BATCH); at each stop
it writes what happened up to then (writer.py), judges the parcels on their way late or
not, and every SCAN_EVERY runs the customer scans (birthdays, anniversaries, customers
at risk); once that is committed, loyalty's consumer (and, with the scans, its periodic
pass and some members' redemptions: demo/loyalty.py) and the journeys' event consumer
read the new events;
then a worker runs every job of the store that is due: enrolment steps (a wait is a
job's run_at) and messaging's prepare and send. The same code as a live store, at the
history's times; only the consumer and the scans are called here rather than by
their periodic jobs, which would otherwise run at every step of the clock (they are
scheduled when the replay ends). Nothing leaves the machine: for the length of the
replay the messaging runtime sends email and SMS to the outbox."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from afterward import clock, jobs
from afterward.config import Settings
from afterward.demo import loyalty as demo_loyalty
from afterward.demo.agenda import Agenda, Happening
from afterward.demo.responses import Responses
from afterward.demo.writer import HistoryWriter
from afterward.journeys import consumer, scans
from afterward.journeys import service as journeys
from afterward.messaging import runtime
from afterward.storage.db import Database
from afterward.tracking import overdue
from afterward.tracking.eta_cache import EtaCache
from afterward.worker import Worker, load_handlers

# The clock moves to whole hours: it stops at each hour a job is due (a wait ends, 10:00
# in a customer's time zone) and at the scans. What the history does meanwhile is written
# and acted on at the end of its BATCH (00:00, 03:00, ... UTC) or at the next of those
# stops, if sooner: within three hours, where a live store's consumer acts within
# seconds. Stopping every hour something happens took about a sixth more time.
STEP = timedelta(hours=1)
BATCH = timedelta(hours=3)
# The scans run hourly on a live store. At 00:00 and 12:00 UTC is enough for the
# replay: each customer's local date is seen, early on that day in the demo's time
# zones (Europe and the Americas), so a birthday is still greeted at 10:00 that day.
SCAN_EVERY = timedelta(hours=12)
PERIODIC = (journeys.CONSUME_JOB, journeys.SCAN_JOB)
# Lateness: parcels are judged at each step of the clock (tracking.overdue, its late half;
# a live store checks every 15 minutes and at each carrier event), with the store's
# delivery model fitted from its delivered parcels and refitted every REFIT_EVERY of
# simulated time (a live store: every 6 hours or 200 deliveries).
REFIT_EVERY = timedelta(days=30)


@dataclass(frozen=True)
class Replayed:
    steps: int  # how many times the clock moved
    answered: int  # orders placed in answer to a message (responses.py)


@dataclass(frozen=True)
class Sending:
    """Where the replay's messages point: the links in them, and the key they are
    signed with (the server's, so that they work when it serves the demo)."""

    secret_key: str
    public_url: str


@dataclass
class _Clockwork:
    """The replay's moving parts."""

    db: Database
    store_id: int
    writer: HistoryWriter
    plan: Agenda
    responses: Responses
    worker: Worker
    listened: set[str]
    next_scan: datetime
    eta: EtaCache
    rng: np.random.Generator  # the members' redemptions
    job_due: datetime | None = None  # the next non-periodic job's run_at
    scanned: bool = False  # the scans ran at this stop: so does loyalty's daily pass


def replay(db: Database, *, store_id: int, writer: HistoryWriter, plan: Agenda,
           start: datetime, sending: Sending, seed: int,
           progress: Callable[[float], None] | None = None) -> Replayed:
    """Write what is left on `plan` of `writer`'s history, from `start` to its end,
    running the store's journeys as time passes; `progress(share)` is told how far it
    got."""
    load_handlers()  # the CLI runs the replay before any worker has loaded them
    trade = writer.trade
    settings = Settings(database_url=db.url, secret_key=sending.secret_key,
                        public_url=sending.public_url)
    steps, at = 0, _grid_at_or_after(start, STEP)
    with runtime.configured(settings), clock.simulated(at) as simulated, _rare_collections():
        work = _Clockwork(db, store_id, writer, plan,
                          Responses(trade, plan, writer.customer_ids,
                                    np.random.default_rng([seed, 1])),
                          Worker(db, name="demo-replay", store_id=store_id),
                          _stop_periodic_jobs(db, store_id), _grid_at_or_after(at, SCAN_EVERY),
                          EtaCache(max_age=REFIT_EVERY), np.random.default_rng([seed, 2]))
        while at < trade.now:
            at = next_moment(work, after=at, end=trade.now)
            simulated.set(at)
            _happen(work, at)
            steps += 1
            if progress is not None:
                progress((at - start) / (trade.now - start))
        with db.transaction() as session:
            journeys.ensure_scheduled(session, store_id=store_id)
    return Replayed(steps=steps, answered=work.responses.answered)


@contextmanager
def _rare_collections() -> Iterator[None]:
    """The replay makes millions of short-lived objects (rows, statements, ORM states),
    few of them in cycles: Python's cyclic collector, run every 700 allocations by
    default, took about a twentieth of its time. It runs every 50,000 meanwhile."""
    before = gc.get_threshold()
    gc.set_threshold(50_000, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _stop_periodic_jobs(db: Database, store_id: int) -> set[str]:
    """The replay runs the consumer and the scans itself; returns what the scans
    should look for."""
    with db.transaction() as session:
        session.execute(delete(jobs.Job).where(
            jobs.Job.store_id == store_id, jobs.Job.kind.in_(PERIODIC),
            jobs.Job.status == jobs.JobStatus.queued.value))
        return journeys.listened_events(session, store_id=store_id)


def _happen(work: _Clockwork, at: datetime) -> None:
    """Everything due at `at`: the history, the scans, the consumer, then the jobs."""
    due = work.plan.due(at)
    recorded = 0
    if due or at >= work.next_scan:
        with work.db.transaction() as session:
            recorded = _record(session, work, due, at)
    stepped = False
    if recorded:
        with work.db.transaction() as session:  # the consumers read committed events
            demo_loyalty.catch_up(session, store_id=work.store_id, now=at)
            if work.scanned:
                demo_loyalty.daily(session, store_id=work.store_id, now=at, rng=work.rng)
        with work.db.transaction() as session:  # loyalty's events, committed, included
            stepped = _consume(session, work.store_id, at)
            work.job_due = next_job_at(session, store_id=work.store_id)
    if stepped or (work.job_due is not None and work.job_due <= at):
        work.worker.run(until_idle=True)
        with work.db.reading() as session:
            work.responses.after_sends(session, store_id=work.store_id)
            work.job_due = next_job_at(session, store_id=work.store_id)


def _record(session: Session, work: _Clockwork, due: list[Happening], at: datetime) -> int:
    """The history up to `at`, the parcels' lateness, and the scans when their time
    came; the events recorded."""
    recorded = work.writer.write(session, due)
    work.scanned = at >= work.next_scan
    recorded += overdue.check_store(session, store_id=work.store_id, now=at, cache=work.eta,
                                    stalls=False).delayed
    if at >= work.next_scan:
        found = scans.scan(session, store_id=work.store_id, now=at, names=work.listened)
        recorded += sum(found.values())
        work.next_scan = _grid_at_or_after(at + STEP, SCAN_EVERY)
    return recorded


def _consume(session: Session, store_id: int, at: datetime) -> bool:
    """Run the journeys' consumer until it has read every event; True when it queued
    enrolment steps (they are due at once)."""
    stepped, more = False, True
    while more:
        consumed = consumer.consume(session, store_id=store_id, now=at)
        stepped = stepped or bool(consumed.enrolled or consumed.resumed)
        more = consumed.more
    return stepped


def next_moment(work: _Clockwork, *, after: datetime, end: datetime) -> datetime:
    """The next whole hour at which a job is due or the scans are, or the end of the
    BATCH in which the history next does something; never past the end of the history."""
    candidates = [work.next_scan]
    happening = work.plan.next_at()
    if happening is not None:
        candidates.append(_grid_at_or_after(happening, BATCH))
    if work.job_due is not None:
        candidates.append(work.job_due)
    return min(max(_grid_at_or_after(min(candidates), STEP), after + STEP), end)
def next_job_at(session: Session, *, store_id: int) -> datetime | None:
    """When the store's next queued job is due, periodic ones aside."""
    return session.scalar(select(jobs.Job.run_at).where(
        jobs.Job.status == jobs.JobStatus.queued.value,
        jobs.Job.kind.not_in(PERIODIC), jobs.Job.store_id == store_id)
        .order_by(jobs.Job.run_at).limit(1))


def _grid_at_or_after(moment: datetime, step: timedelta) -> datetime:
    """The first multiple of `step` (counted from the Unix epoch) at or after `moment`."""
    size = step.total_seconds()
    seconds = moment.timestamp()
    return datetime.fromtimestamp(-(-seconds // size) * size, moment.tzinfo)
