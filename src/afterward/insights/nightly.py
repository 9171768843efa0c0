"""A pass each night at a fixed UTC time that queues one job per store (so one store's
failure retries alone), then schedules the next night's: how the words and the
customer insights are recomputed (words.py, recompute_jobs.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward import jobs
from afterward.commerce.models import Store
from afterward.storage.types import utcnow


def night_after(now: datetime, at: time) -> datetime:
    today = datetime.combine(now.date(), at, UTC)
    return today if today > now else today + timedelta(days=1)


def schedule(session: Session, kind: str, at: time, *, now: datetime | None = None
             ) -> int | None:
    """The next night's pass (Module.periodic); once per night (dedupe key)."""
    when = night_after(now or utcnow(), at)
    night = when.date().isoformat()
    return jobs.enqueue(session, kind, {"night": night}, run_at=when, max_attempts=3,
                        dedupe_key=f"{kind}:{night}")


def fan_out(session: Session, job: jobs.JobContext, kind: str, at: time,
            enqueue: Callable[[Session, int, str], object]) -> None:
    """The pass: `enqueue(session, store_id, night)` for every store, then the next
    night's pass."""
    night = str(job.payload.get("night") or utcnow().date().isoformat())
    for store_id in list(session.scalars(select(Store.id).order_by(Store.id))):
        enqueue(session, store_id, night)
    schedule(session, kind, at, now=max(utcnow(), datetime.combine(
        datetime.fromisoformat(night).date(), at, UTC)))
