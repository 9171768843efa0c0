"""Points expire first-in-first-out, `expiry_days` after they became spendable.

Spendable points come in as entries that raise the balance (a release, a bonus, an
adjustment) and go out as entries that lower it (a redemption, an expiry, a
clawback, a negative adjustment). Taking every point that went out from the oldest
points in, what is left of the points that came in before the cutoff expires now.
A `loyalty.points_expiring` reminder names the points that expire within
`expiry_reminder_days`, once for each date."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afterward.events import record
from afterward.loyalty import ledger
from afterward.loyalty.models import LoyaltyAccount, LoyaltyEntry
from afterward.loyalty.program import Program


def _unspent(session: Session, held: LoyaltyAccount, until: datetime
             ) -> list[tuple[datetime, int]]:
    """(when it came in, points left of it) for the points in up to `until`."""
    spent = -int(session.scalar(select(func.coalesce(func.sum(LoyaltyEntry.balance_delta), 0))
                                .where(LoyaltyEntry.account_id == held.id,
                                       LoyaltyEntry.balance_delta < 0)) or 0)
    left: list[tuple[datetime, int]] = []
    for created_at, points in session.execute(select(
            LoyaltyEntry.created_at, LoyaltyEntry.balance_delta).where(
            LoyaltyEntry.account_id == held.id, LoyaltyEntry.balance_delta > 0,
            LoyaltyEntry.created_at <= until).order_by(LoyaltyEntry.created_at,
                                                       LoyaltyEntry.id)):
        taken = min(points, spent)
        spent -= taken
        if points - taken:
            left.append((created_at, points - taken))
    return left


def expire(session: Session, held: LoyaltyAccount, program: Program, now: datetime) -> int:
    """Expire what is due and remind of what comes next; the points expired."""
    if program.expiry_days is None or held.points_balance <= 0:
        return 0
    life = timedelta(days=program.expiry_days)
    cutoff = now - life
    left = _unspent(session, held, cutoff + timedelta(days=program.expiry_reminder_days))
    due = min(held.points_balance, sum(points for at, points in left if at <= cutoff))
    if due > 0:
        ledger.post(session, held, kind="expire", points=-due, balance=-due, source="program",
                    key=f"expire:{held.id}:{now:%Y%m%dT%H%M%S}", reason="points expired",
                    now=now)
    soon = [(at, points) for at, points in left if at > cutoff]
    if soon:
        expires_at = soon[0][0] + life
        if held.expiring_notice_for != expires_at:
            held.expiring_notice_for = expires_at
            record(session, store_id=held.store_id, name="loyalty.points_expiring",
                   subject_type="customer", subject_id=held.customer_id, occurred_at=now,
                   payload={"customer_id": held.customer_id,
                            "points": min(held.points_balance, sum(p for _, p in soon)),
                            "expires_at": expires_at.isoformat()})
    session.flush()
    return due


def expire_all(session: Session, *, store_id: int, program: Program, now: datetime) -> int:
    if program.expiry_days is None:
        return 0
    customers = list(session.scalars(select(LoyaltyAccount.customer_id).where(
        LoyaltyAccount.store_id == store_id, LoyaltyAccount.points_balance > 0)
        .order_by(LoyaltyAccount.id)))
    expired = 0
    for customer_id in customers:
        held = ledger.account(session, store_id=store_id, customer_id=customer_id)
        expired += expire(session, held, program, now)
    return expired


def expiring(session: Session, held: LoyaltyAccount, program: Program,
             now: datetime) -> tuple[int, datetime | None]:
    """(points, when): the spendable points that expire next, within
    `expiry_reminder_days` (what `loyalty.points_expiring` tells); (0, None) when none."""
    if program.expiry_days is None or held.points_balance <= 0:
        return 0, None
    life = timedelta(days=program.expiry_days)
    cutoff = now - life
    soon = [(at, points) for at, points in _unspent(
        session, held, cutoff + timedelta(days=program.expiry_reminder_days)) if at > cutoff]
    if not soon:
        return 0, None
    return min(held.points_balance, sum(p for _, p in soon)), soon[0][0] + life
