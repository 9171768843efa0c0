"""A carrier API's request budget, shared by every worker on every machine.

GCRA, a token bucket kept as one number per carrier: the theoretical arrival time
of the next request (`carrier_rate_limits.tat_us`). Taking a slot is one
conditional `UPDATE ... RETURNING`, so two workers can never get the same slot,
on SQLite (one writer at a time) and on PostgreSQL (the row lock) alike. A caller
that gets a slot in the future keeps it and comes back then, so waiting callers
queue up in order instead of retrying all at once."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from afterward.tracking.polling_models import CarrierRateLimit

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class RateLimit:
    """What a carrier API allows us: `per_second` requests on average, `burst` at once."""

    per_second: float
    burst: int = 1

    def __post_init__(self) -> None:
        if not (self.per_second > 0 and math.isfinite(self.per_second)) or self.burst < 1:
            raise ValueError("a rate limit needs per_second > 0 and burst >= 1")

    @property
    def interval_us(self) -> int:
        return max(1, round(1_000_000 / self.per_second))


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def from_micros(value: int) -> datetime:
    return EPOCH + value * MICROSECOND


def take_slot(session: Session, *, key: str, limit: RateLimit, now: datetime) -> datetime:
    """Reserve the next request slot of a carrier's budget and return when it may be
    used: `now`, or later when the budget is spent. One UPDATE ... RETURNING on a
    shared row, so every worker on every machine draws from the same budget."""
    now_us, step = micros(now), limit.interval_us
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(CarrierRateLimit).values(adapter=key, tat_us=0)
                    .on_conflict_do_nothing(index_elements=["adapter"]))
    tat = CarrierRateLimit.tat_us
    new_tat: int = session.execute(
        update(CarrierRateLimit).where(CarrierRateLimit.adapter == key)
        .values(tat_us=case((tat > now_us, tat), else_=now_us) + step)
        .returning(CarrierRateLimit.tat_us)).scalar_one()
    return from_micros(max(now_us, new_tat - step * limit.burst))
