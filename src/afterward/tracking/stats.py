"""Read-only figures about one store's shipments: counts per status, the delayed
and stalled flags, and on-time rates per carrier and per lane.

The flags are the verdicts the delivery-date model stored on the shipment
(tracking/service.py at each event, tracking/overdue.py every few minutes), so lists
filter and count on plain columns:
- delayed: `delayed_at` is set (the window ended after the promised day and
  `shipment.delayed` was recorded, tracking/lateness.py) and the parcel is not in a
  final state (delivered, returned to sender, cancelled);
- stalled: `stalled_at` is set (no scan for longer than the carrier normally allows)
  and the parcel is still moving (info received, in transit, out for delivery,
  failed attempt); the next scan clears it.

On time: delivered by `promised_at`, or by the carrier's own estimate when the
store promised nothing. A delivery with neither is counted as "no promise" and
left out of the rate. Outbound parcels only; returns are not promised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from afterward.tracking.eta import STALL_FALLBACK
from afterward.tracking.eta_store import MOVING
from afterward.tracking.models import Shipment
from afterward.tracking.statuses import TERMINAL, Status

# What the admin page quotes as the stall threshold: the default when a carrier has too
# little history (business days); carriers with history get their own (eta.ScanGaps).
STALLED_AFTER = timedelta(days=STALL_FALLBACK)
ON_THE_WAY = (Status.info_received.value, Status.in_transit.value, Status.out_for_delivery.value)
PROBLEM_STATUSES = (Status.exception.value, Status.failed_attempt.value,
                    Status.returned_to_sender.value)
_FINAL = tuple(status.value for status in TERMINAL)
_STATUS_ORDER = {status.value: n for n, status in enumerate(Status)}


_MOVING = tuple(sorted(status.value for status in MOVING))


def delayed(now: datetime) -> ColumnElement[bool]:
    """`now` is kept for callers: the verdict was taken when it was stored."""
    return and_(Shipment.delayed_at.is_not(None), Shipment.status.not_in(_FINAL))


def stalled(now: datetime) -> ColumnElement[bool]:
    return and_(Shipment.stalled_at.is_not(None), Shipment.status.in_(_MOVING))


def problems(now: datetime) -> ColumnElement[bool]:
    """What the "problems" view shows: exceptions, failed attempts, returns, and
    parcels delayed or stalled."""
    return or_(Shipment.status.in_(PROBLEM_STATUSES), delayed(now), stalled(now))


@dataclass(frozen=True)
class StatusCounts:
    by_status: list[tuple[str, int]]  # in journey order
    total: int
    delayed: int
    stalled: int
    problems: int


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def status_counts(session: Session, *, store_id: int, now: datetime) -> StatusCounts:
    rows = session.execute(select(Shipment.status, func.count(Shipment.id))
                           .where(Shipment.store_id == store_id)
                           .group_by(Shipment.status)).all()
    flags = session.execute(select(_count(delayed(now)), _count(stalled(now)),
                                   _count(problems(now)))
                            .where(Shipment.store_id == store_id)).one()
    by_status = sorted(((status, int(n)) for status, n in rows),
                       key=lambda row: _STATUS_ORDER.get(row[0], 99))
    return StatusCounts(by_status, sum(n for _, n in by_status), int(flags[0]), int(flags[1]),
                        int(flags[2]))


@dataclass(frozen=True)
class OnTime:
    key: str  # a carrier code, or "origin → destination"
    delivered: int
    on_time: int
    late: int
    no_promise: int

    @property
    def measured(self) -> int:
        return self.on_time + self.late

    @property
    def rate(self) -> float | None:
        """Share of promised deliveries that arrived in time; None when none was promised."""
        return self.on_time / self.measured if self.measured else None


def on_time_by_carrier(session: Session, *, store_id: int,
                       since: datetime | None = None) -> list[OnTime]:
    return _on_time(session, store_id, since, func.coalesce(Shipment.carrier, literal("?")))


def on_time_by_lane(session: Session, *, store_id: int,
                    since: datetime | None = None) -> list[OnTime]:
    lane = (func.coalesce(Shipment.origin_region, literal("?")) + literal(" → ")
            + func.coalesce(Shipment.destination_region, literal("?")))
    return _on_time(session, store_id, since, lane)


def _on_time(session: Session, store_id: int, since: datetime | None,
             group: ColumnElement[str]) -> list[OnTime]:
    deadline = func.coalesce(Shipment.promised_at, Shipment.carrier_estimated_at)
    key = group.label("key")
    stmt = (select(key, func.count(Shipment.id),
                   _count(and_(deadline.is_not(None), Shipment.delivered_at <= deadline)),
                   _count(and_(deadline.is_not(None), Shipment.delivered_at > deadline)),
                   _count(deadline.is_(None)))
            .where(Shipment.store_id == store_id, Shipment.direction == "outbound",
                   Shipment.status == Status.delivered.value,
                   Shipment.delivered_at.is_not(None))
            .group_by(key))
    if since is not None:
        stmt = stmt.where(Shipment.delivered_at >= since)
    rows = [OnTime(str(k), int(n), int(ok), int(late), int(none))
            for k, n, ok, late, none in session.execute(stmt)]
    return sorted(rows, key=lambda row: (-row.delivered, row.key))
