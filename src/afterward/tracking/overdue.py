"""The periodic check of parcels nobody has heard of lately: `tracking.check_overdue`.

Events re-estimate a parcel's window as they arrive (service.add_events); this job
catches what silence means, every CHECK_EVERY:
- stalled: a moving outbound parcel with no scan for longer than its carrier normally
  goes between scans (eta_store.is_shipment_stalled) -> `stalled_at` and one
  `shipment.stalled` event; the next scan clears `stalled_at` (service.add_events);
- late: the re-estimated window ends after the promised day (lateness.py), or the
  promised day passes, without any event -> `delayed_at` and one `shipment.delayed`
  event (service.refresh_eta).
Only parcels where something can have changed are read: moving ones quiet for a day or
more, ones whose stored window has run out (re-estimated, so the tracking page never
shows a window in the past), whose promise has passed or that have no window yet (up to
BATCH per store and run).

Scheduling: one job per slot without a store (dedupe key `tracking.check_overdue:<slot>`)
fans out one job per store with in-flight outbound parcels (dedupe key per store and
slot) and enqueues itself for the next slot. The first one is enqueued when a
long-running worker starts (worker.Worker.run -> ensure_scheduled), so `afterward
serve` and `afterward worker` start it; a second worker or a restart finds the slot's
job already there."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from afterward import jobs
from afterward.events import EventName, record
from afterward.storage.types import utcnow
from afterward.tracking import eta_cache, eta_store
from afterward.tracking import service as tracking
from afterward.tracking.models import Shipment

CHECK_JOB = "tracking.check_overdue"
CHECK_EVERY = timedelta(minutes=15)
BATCH = 5_000  # parcels per store and run, each check reads at most this many
QUIET = timedelta(days=1)  # eta.STALL_FLOOR is one business day: never stalled sooner
_IN_FLIGHT = tuple(sorted(s.value for s in
                          set(tracking.Status) - tracking.NO_WINDOW))
_MOVING = tuple(sorted(s.value for s in eta_store.MOVING))


@dataclass(frozen=True)
class Checked:
    looked_at: int
    delayed: int
    stalled: int


def ensure_scheduled(session: Session, *, now: datetime | None = None) -> int | None:
    """The fan-out job for the slot after `now` (once per slot, whoever asks); its id,
    or None when it was already there."""
    return jobs.enqueue_slot(session, CHECK_JOB, CHECK_EVERY, now=now)


def stores_in_flight(session: Session) -> list[int]:
    return list(session.scalars(select(Shipment.store_id).where(
        Shipment.direction == "outbound", Shipment.status.in_(_IN_FLIGHT))
        .distinct().order_by(Shipment.store_id)))


def fan_out(session: Session, *, now: datetime, slot: datetime | None = None) -> int:
    """One check per store with parcels on their way, then the fan-out of the slot after
    this one (`slot`: the one this run was scheduled for; a clock that runs behind the
    scheduler's must not make the chain stop)."""
    this = slot or jobs.slot_after(now - CHECK_EVERY, CHECK_EVERY)
    stores = stores_in_flight(session)
    for store_id in stores:
        jobs.enqueue(session, CHECK_JOB, {"store_id": store_id}, store_id=store_id,
                     run_at=now, max_attempts=3,
                     dedupe_key=f"{CHECK_JOB}:{store_id}:{int(this.timestamp())}")
    ensure_scheduled(session, now=max(now, this))
    return len(stores)


def check_store(session: Session, *, store_id: int, now: datetime,
                cache: eta_cache.EtaCache | None = None, stalls: bool = True) -> Checked:
    """Re-check the store's quiet and overdue outbound parcels as of `now`; without
    `stalls`, only whether they are late (the demo's replay: no journey listens to
    `shipment.stalled`, and the scan gaps are read anew at each check)."""
    overdue = [Shipment.eta_latest.is_(None), Shipment.eta_latest < now,
               and_(Shipment.delayed_at.is_(None), Shipment.promised_at < now)]
    quiet = and_(Shipment.stalled_at.is_(None), Shipment.status.in_(_MOVING),
                 Shipment.last_event_at < now - QUIET)
    rows = list(session.scalars(select(Shipment).where(
        Shipment.store_id == store_id, Shipment.direction == "outbound",
        Shipment.status.in_(_IN_FLIGHT), or_(quiet, *overdue) if stalls else or_(*overdue))
        .order_by(Shipment.id).limit(BATCH)))
    if not rows:
        return Checked(0, 0, 0)
    fitted = (cache or eta_cache.CACHE).get(session, store_id, now)
    gaps = None
    delayed = stalled = 0
    for shipment in rows:
        if stalls and shipment.stalled_at is None and shipment.status in _MOVING:
            if gaps is None:
                gaps = eta_store.scan_gaps_for_store(session, store_id=store_id,
                                                     clock=fitted.clock)
            if eta_store.is_shipment_stalled(shipment, gaps=gaps, clock=fitted.clock,
                                             now=now):
                mark_stalled(session, shipment=shipment,
                             allowed=gaps.allowance(shipment.carrier), now=now)
                stalled += 1
        was_delayed = shipment.delayed_at is not None
        tracking.refresh_eta(session, shipment=shipment, now=now, cache=cache)
        delayed += not was_delayed and shipment.delayed_at is not None
    session.flush()
    return Checked(len(rows), delayed, stalled)


def mark_stalled(session: Session, *, shipment: Shipment, allowed: float,
                 now: datetime) -> None:
    shipment.stalled_at = now
    record(session, store_id=shipment.store_id, name=EventName.shipment_stalled,
           subject_type="shipment", subject_id=shipment.id, occurred_at=now,
           payload={"order_id": shipment.order_id, "carrier": shipment.carrier,
                    "status": shipment.status,
                    "last_event_at": shipment.last_event_at.isoformat()
                    if shipment.last_event_at else None,
                    "allowed_business_days": round(allowed, 2)})


@jobs.handler(CHECK_JOB)
def check_overdue(session: Session, job: jobs.JobContext) -> None:
    now = utcnow()
    store_id = job.payload.get("store_id")
    if store_id is None:
        slot = job.payload.get("slot")
        fan_out(session, now=now,
                slot=datetime.fromtimestamp(int(slot), UTC) if slot is not None else None)
    else:
        check_store(session, store_id=int(store_id), now=now)
