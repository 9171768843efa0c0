"""Personal offers that lapsed unused are withdrawn, as loyalty's reward codes are
(loyalty/code_expiry.py): the periodic job `journeys.offers_expire` (every EVERY)
cancels each journey code (source `journey`) still `issued` a GRACE after its
`expires_at` through commerce's conditional UPDATE from `issued`, so the code reads
`cancelled` everywhere and the store platform gets the signed `code.cancelled`
webhook with `reason: expired`. Of two workers, or a use and the expiry, exactly one
moves the code. The grace lets an order placed before the code expired, imported
late, still find it usable; the platform's own price rule ends at `ends_at`.

Scheduling: one job per slot (jobs.enqueue_slot) does every store and enqueues the
next slot's; the first is enqueued when a long-running worker starts
(Module.periodic)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward import jobs
from afterward.commerce import codes
from afterward.commerce.code_models import DiscountCode
from afterward.journeys.offers import SOURCE
from afterward.storage.types import utcnow

EXPIRE_JOB = "journeys.offers_expire"
EVERY = timedelta(hours=1)
GRACE = timedelta(days=1)


def ensure_scheduled(session: Session, *, now: datetime | None = None) -> int | None:
    return jobs.enqueue_slot(session, EXPIRE_JOB, EVERY, now=now)


def expire(session: Session, *, now: datetime | None = None, limit: int = 500) -> int:
    """Every store's journey codes lapsed a GRACE ago withdrawn, at most `limit` a
    store a run; how many."""
    now = now or utcnow()
    before = now - GRACE
    stores = session.scalars(select(DiscountCode.store_id).where(
        DiscountCode.source == SOURCE, DiscountCode.status == "issued",
        DiscountCode.expires_at <= before).distinct().order_by(DiscountCode.store_id)).all()
    withdrawn = 0
    for store_id in stores:
        for code_id in codes.lapsed(session, store_id=store_id, sources=(SOURCE,),
                                    before=before, limit=limit):
            code = session.get(DiscountCode, code_id)
            assert code is not None
            withdrawn += codes.cancel(session, code=code, now=now, reason="expired")
    return withdrawn


@jobs.handler(EXPIRE_JOB)
def run(session: Session, job: jobs.JobContext) -> None:
    now = utcnow()
    expire(session, now=now)
    jobs.enqueue_next_slot(session, job, EXPIRE_JOB, EVERY, now=now)
