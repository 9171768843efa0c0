"""One truth for late: whether a parcel is late, and the window it should now arrive
in. Pure. Everything that says "late" asks `judge` (through `of_parcel`): each carrier
event and the periodic check, which record `shipment.delayed` once (service.refresh_eta),
the journeys' `shipment.late` fact (the built-in delay apology's filter), the delay
email and the shopper's tracking page. So none of them can say "late" while another
says "on time".

Late means: the predicted window ends after the promised day. Both are days in the
store's time zone; a window or a promise that ends at midnight ends on the day before
(a promise "by the end of Monday" is stored as Tuesday 00:00).
- A window that still ends on or before the promised day is not late, whatever else
  happened: a carrier's "delayed" scan, a quiet spell, a promised time of day passed.
- A parcel cannot arrive before now: a window that has run out is judged as ending
  now, so a promised day that passed undelivered is late even before the model
  re-estimates the window.
- A delivered parcel is never late afterwards; one waiting at a pickup point has
  arrived; an exception is its own message (the `shipment.exception` journey), not a
  delay; return parcels and parcels that will not arrive are never late.
- No promise or no window: nothing to judge, not late."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from afterward.tracking.eta_math import aware
from afterward.tracking.statuses import Status

# Statuses on the way to the shopper: only these can be late.
CAN_BE_LATE = frozenset({Status.pending, Status.info_received, Status.in_transit,
                         Status.out_for_delivery, Status.failed_attempt})
_JUST_BEFORE = timedelta(microseconds=1)


@dataclass(frozen=True)
class DayWindow:
    """A predicted window as days in the store's time zone, both included."""

    first: date
    last: date


@dataclass(frozen=True)
class Lateness:
    late: bool
    promised_day: date | None
    window: DayWindow | None  # the window from now on; None when there is nothing to judge


class Judged(Protocol):
    """What `of_parcel` reads of a shipment: an ORM Shipment or a plain row."""

    @property
    def direction(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def promised_at(self) -> datetime | None: ...
    @property
    def eta_earliest(self) -> datetime | None: ...
    @property
    def eta_latest(self) -> datetime | None: ...


def store_zone(name: str | None) -> tzinfo:
    """The store's time zone; UTC when it names none or one we do not know."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def day_ending(moment: datetime, zone: tzinfo) -> date:
    """The day a window or a promise ending at `moment` ends on (midnight: the day before)."""
    return (aware(moment) - _JUST_BEFORE).astimezone(zone).date()


def days_of(earliest: datetime, latest: datetime, zone: tzinfo) -> DayWindow:
    first = aware(earliest).astimezone(zone).date()
    return DayWindow(first, max(first, day_ending(latest, zone)))


def judge(*, promised_day: date | None, window: tuple[datetime, datetime] | None,
          status: str, now: datetime, zone: tzinfo) -> Lateness:
    """Late when the window, from now on, ends after the promised day (see above)."""
    if window is None or status not in CAN_BE_LATE:
        return Lateness(False, promised_day, None)
    earliest, latest = (max(aware(moment), aware(now)) for moment in window)
    days = days_of(earliest, latest, zone)
    return Lateness(promised_day is not None and days.last > promised_day, promised_day, days)


def of_parcel(parcel: Judged, *, zone: tzinfo, now: datetime) -> Lateness:
    """`judge` for a stored shipment: its promise, its stored window, its status."""
    if parcel.direction != "outbound":
        return Lateness(False, None, None)
    promised = day_ending(parcel.promised_at, zone) if parcel.promised_at else None
    earliest, latest = parcel.eta_earliest, parcel.eta_latest
    window = (earliest, latest) if earliest is not None and latest is not None else None
    return judge(promised_day=promised, window=window, status=parcel.status, now=now, zone=zone)
