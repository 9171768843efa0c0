"""Points expire first-in-first-out, `expiry_days` after they became spendable.

Spendable points come in as entries that raise the balance (a release, a bonus, an
adjustment) and go out as entries that lower it (a redemption, an expiry, a
clawback, a negative adjustment). Taking every point that went out from the oldest
points in, what is left of the points that came in before the cutoff expires now.
A `loyalty.points_expiring` reminder names the points that expire within
`expiry_reminder_days`, once for each date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afterward.events import record
from afterward.loyalty import ledger
from afterward.loyalty.models import LoyaltyAccount, LoyaltyEntry
from afterward.loyalty.program import Program


def unspent(came_in: Iterable[tuple[datetime, int]], spent: int
            ) -> list[tuple[datetime, int]]:
    """(when it came in, points left of it): every point that went out (`spent`) taken
    from the oldest points in (`came_in`, oldest first). Pure."""
    left: list[tuple[datetime, int]] = []
    for created_at, points in came_in:
        taken = min(points, spent)
        spent -= taken
        if points - taken:
            left.append((created_at, points - taken))
    return left


def _unspent(session: Session, held: LoyaltyAccount, until: datetime
             ) -> list[tuple[datetime, int]]:
    """(when it came in, points left of it) for the points in up to `until`."""
    spent = -int(session.scalar(select(func.coalesce(func.sum(LoyaltyEntry.balance_delta), 0))
                                .where(LoyaltyEntry.account_id == held.id,
                                       LoyaltyEntry.balance_delta < 0)) or 0)
    return unspent(session.execute(select(
        LoyaltyEntry.created_at, LoyaltyEntry.balance_delta).where(
        LoyaltyEntry.account_id == held.id, LoyaltyEntry.balance_delta > 0,
        LoyaltyEntry.created_at <= until).order_by(LoyaltyEntry.created_at,
                                                   LoyaltyEntry.id)).tuples(), spent)


def _acts(left: list[tuple[datetime, int]], balance: int, notice: datetime | None,
          cutoff: datetime, life: timedelta) -> bool:
    """Whether `expire` would expire points or send a reminder, from what it reads."""
    if min(balance, sum(points for at, points in left if at <= cutoff)) > 0:
        return True
    soon = [at for at, _ in left if at > cutoff]
    return bool(soon) and notice != soon[0] + life


def expire(session: Session, held: LoyaltyAccount, program: Program, now: datetime) -> int:
    """Expire what is due and remind of what comes next; the points expired."""
    if program.expiry_days is None or held.points_balance <= 0:
        return 0
    life = timedelta(days=program.expiry_days)
    cutoff = now - life
    left = _unspent(session, held, cutoff + timedelta(days=program.expiry_reminder_days))
    if not _acts(left, held.points_balance, held.expiring_notice_for, cutoff, life):
        return 0
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
    """The periodic pass over the store's members: the points expired. Which accounts
    have anything to do is read first, for all of them in two queries and without
    locks; only those are held (`ledger.account`) and `expire`d, which reads them
    again under the lock (an account that changed meanwhile is done right, or next
    time)."""
    if program.expiry_days is None:
        return 0
    expired = 0
    for customer_id in acting(session, store_id=store_id, program=program, now=now):
        held = ledger.account(session, store_id=store_id, customer_id=customer_id)
        expired += expire(session, held, program, now)
    return expired


def acting(session: Session, *, store_id: int, program: Program, now: datetime) -> list[int]:
    """The customers whose accounts `expire` would change now (points due, or a
    reminder not sent yet), in account order, as read without locks."""
    if program.expiry_days is None:
        return []
    life = timedelta(days=program.expiry_days)
    cutoff = now - life
    until = cutoff + timedelta(days=program.expiry_reminder_days)
    accounts = session.execute(select(
        LoyaltyAccount.id, LoyaltyAccount.customer_id, LoyaltyAccount.points_balance,
        LoyaltyAccount.expiring_notice_for).where(
        LoyaltyAccount.store_id == store_id, LoyaltyAccount.points_balance > 0)
        .order_by(LoyaltyAccount.id)).tuples().all()
    if not accounts:
        return []
    with_balance = LoyaltyEntry.account_id.in_(
        select(LoyaltyAccount.id).where(LoyaltyAccount.store_id == store_id,
                                        LoyaltyAccount.points_balance > 0))
    spent = {account_id: -int(total) for account_id, total in session.execute(
        select(LoyaltyEntry.account_id, func.sum(LoyaltyEntry.balance_delta))
        .where(LoyaltyEntry.store_id == store_id, LoyaltyEntry.balance_delta < 0, with_balance)
        .group_by(LoyaltyEntry.account_id)).tuples()}
    came_in: dict[int, list[tuple[datetime, int]]] = {}
    for account_id, created_at, points in session.execute(select(
            LoyaltyEntry.account_id, LoyaltyEntry.created_at, LoyaltyEntry.balance_delta)
            .where(LoyaltyEntry.store_id == store_id, LoyaltyEntry.balance_delta > 0,
                   LoyaltyEntry.created_at <= until, with_balance)
            .order_by(LoyaltyEntry.account_id, LoyaltyEntry.created_at,
                      LoyaltyEntry.id)).tuples():
        came_in.setdefault(account_id, []).append((created_at, points))
    return [customer_id for account_id, customer_id, balance, notice in accounts
            if account_id in came_in and _acts(
                unspent(came_in[account_id], spent.get(account_id, 0)), balance, notice,
                cutoff, life)]


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
