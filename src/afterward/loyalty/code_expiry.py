"""Loyalty's codes that lapsed unused are withdrawn: the periodic job
`loyalty.codes_expire` (every EVERY) finds the reward codes (`loyalty`) and friends'
referral codes (`referral`) still `issued` a GRACE after their `expires_at`, and
cancels each through commerce's conditional UPDATE from `issued` (commerce/codes.py:
the code becomes `cancelled`, `code.cancelled` is recorded with `reason: expired`, and
the platform gets the same signed `code.cancelled` webhook a withdrawn code sends).
Of two workers, or a use and the expiry, exactly one moves the code.

The grace lets an order placed before the code expired, imported late, still find it
usable (commerce's `mark_used` judges by the order's `placed_at`); the platform's own
price rule ends at `ends_at` meanwhile.

A reward code's points go back to the member only when the program says so
(`refund_expired_rewards`, default false: kept spent, as Smile.io does): a `redeem`
entry of the points, source `reward`, key `code-expired:<code id>`, once.

Scheduling: one job per slot (dedupe key `loyalty.codes_expire:<slot>`) does every
store with a program and enqueues the next slot's; the first is enqueued when a
long-running worker starts (Module.periodic)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward import jobs
from afterward.commerce import codes
from afterward.commerce.code_models import DiscountCode
from afterward.loyalty import ledger, redemptions, referrals
from afterward.loyalty.models import LoyaltyProgramRow
from afterward.loyalty.program import Program
from afterward.storage.types import utcnow

EXPIRE_JOB = "loyalty.codes_expire"
EVERY = timedelta(hours=1)
GRACE = timedelta(days=1)
SOURCES = (redemptions.SOURCE, referrals.SOURCE)


def ensure_scheduled(session: Session, *, now: datetime | None = None) -> int | None:
    return jobs.enqueue_slot(session, EXPIRE_JOB, EVERY, now=now)


def expire_store(session: Session, *, store_id: int, program: Program,
                 now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """The store's lapsed codes withdrawn (`expired`) and, when the program says so,
    reward codes' points given back (`refunded`); what was done."""
    now = now or utcnow()
    expired = refunded = 0
    for code_id in codes.lapsed(session, store_id=store_id, sources=SOURCES,
                                before=now - GRACE, limit=limit):
        code = session.get(DiscountCode, code_id)
        assert code is not None
        held = None
        if program.refund_expired_rewards and code.source == redemptions.SOURCE \
                and code.customer_id is not None:  # the account's lock, then the code's
            held = ledger.account(session, store_id=store_id, customer_id=code.customer_id)
        if not codes.cancel(session, code=code, now=now, reason="expired"):
            continue  # used, cancelled or expired meanwhile
        expired += 1
        points = redemptions.points_of(session, code) if held is not None else 0
        if held is not None and points > 0 and ledger.credit(
                session, held, kind="redeem", points=points, key=f"code-expired:{code.id}",
                source="reward", source_id=code.id,
                reason=f"code {code.code[-4:]} expired unused", now=now) is not None:
            refunded += 1
    return {"expired": expired, "refunded": refunded}


@jobs.handler(EXPIRE_JOB)
def run(session: Session, job: jobs.JobContext) -> None:
    now = utcnow()
    for row in list(session.scalars(select(LoyaltyProgramRow).order_by(
            LoyaltyProgramRow.store_id))):
        expire_store(session, store_id=row.store_id,
                     program=Program.model_validate(row.document), now=now)
    jobs.enqueue_next_slot(session, job, EXPIRE_JOB, EVERY, now=now)
