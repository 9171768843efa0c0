"""The periodic pass, `loyalty.tick`, every TICK_EVERY: for each store with a program,
pending points whose time has come become spendable, points expire (and reminders go
out), tiers whose spend fell are reviewed, and birthday bonuses are given. Each part
is keyed or guarded so that running it twice changes nothing.

Scheduling: one job per slot (dedupe key `loyalty.tick:<slot>`) does every store and
enqueues the next slot's; the first is enqueued when a long-running worker starts
(Module.periodic)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward import jobs
from afterward.commerce.models import Customer
from afterward.loyalty import expiry, ledger, orders, referrals, tiers
from afterward.loyalty.models import LoyaltyAccount, LoyaltyProgramRow
from afterward.loyalty.program import Program
from afterward.storage import locks
from afterward.storage.types import utcnow

TICK_JOB = "loyalty.tick"
TICK_EVERY = timedelta(minutes=15)


def ensure_scheduled(session: Session, *, now: datetime | None = None) -> int | None:
    return jobs.enqueue_slot(session, TICK_JOB, TICK_EVERY, now=now)


def run_store(session: Session, *, store_id: int, program: Program,
              now: datetime) -> dict[str, int]:
    """Everything the pass does for one store; what it did."""
    locks.hold(session, "loyalty-store", store_id)
    return {"released": orders.release_due(session, store_id=store_id, now=now),
            "expired": expiry.expire_all(session, store_id=store_id, program=program, now=now),
            "tier_changes": tiers.review_all(session, store_id=store_id, program=program,
                                             now=now),
            "birthdays": birthdays(session, store_id=store_id, program=program, now=now),
            "referrals_settled": referrals.pay_due(session, store_id=store_id,
                                                   program=program, now=now)}


def birthdays(session: Session, *, store_id: int, program: Program, now: datetime) -> int:
    """The birthday bonus, spendable at once, once a year, to members (customers with
    an account) whose birthday is today (UTC)."""
    if not program.bonuses.birthday:
        return 0
    given = 0
    rows = session.execute(select(Customer.id, Customer.birthday).join(
        LoyaltyAccount, (LoyaltyAccount.customer_id == Customer.id)
        & (LoyaltyAccount.store_id == store_id))
        .where(Customer.store_id == store_id, Customer.birthday.is_not(None)))
    for customer_id, birthday in list(rows):
        if birthday is None or (birthday.month, birthday.day) != (now.month, now.day):
            continue
        held = ledger.account(session, store_id=store_id, customer_id=customer_id)
        points = program.bonuses.birthday
        entry = ledger.credit(session, held, kind="earn", points=points, lifetime=points,
                              key=f"birthday:{customer_id}:{now.year}", source="birthday",
                              reason="birthday bonus", now=now)
        if entry is not None:
            ledger.earned(session, held, entry)
            given += 1
    return given


@jobs.handler(TICK_JOB)
def tick(session: Session, job: jobs.JobContext) -> None:
    now = utcnow()
    for row in list(session.scalars(select(LoyaltyProgramRow).order_by(
            LoyaltyProgramRow.store_id))):
        run_store(session, store_id=row.store_id,
                  program=Program.model_validate(row.document), now=now)
    jobs.enqueue_next_slot(session, job, TICK_JOB, TICK_EVERY, now=now)
