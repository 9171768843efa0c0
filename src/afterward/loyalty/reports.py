"""The admin's figures: the members of a program (paged, searched by email, by tier),
the points issued, redeemed, taken back and expired per week, and the outstanding
liability in money. Read only.

**Liability.** Points outstanding are the spendable and pending points of every
account (debt owed back is not netted). They are valued at the program's fixed-amount
rewards (`discount_minor` for `points`): at the lowest money per point (what the
points buy at the least: the figure shown) and at the highest (the most they could
cost). Percent-off, free-shipping and free-product rewards have no fixed value and are
left out; without a fixed-amount reward there is no value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from afterward.commerce.models import Customer
from afterward.loyalty.models import LoyaltyAccount, LoyaltyEntry
from afterward.loyalty.program import Program

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Member:
    account_id: int
    customer_id: int
    email: str | None
    name: str
    tier: str | None
    points_balance: int
    points_pending: int
    points_debt: int
    lifetime_points: int


def members(session: Session, *, store_id: int, query: str = "", tier: str = "",
            after: int | None = None, limit: int = 25) -> tuple[list[Member], int | None]:
    """Accounts in id order from `after` on, matching part of an email (any case) and
    a tier ("-": none); (the page, the last id shown when more follow)."""
    stmt = (select(LoyaltyAccount, Customer.email, Customer.first_name, Customer.last_name)
            .join(Customer, Customer.id == LoyaltyAccount.customer_id)
            .where(LoyaltyAccount.store_id == store_id))
    if query:
        stmt = stmt.where(func.lower(Customer.email).contains(query.strip().lower(),
                                                              autoescape=True))
    if tier == "-":
        stmt = stmt.where(LoyaltyAccount.tier.is_(None))
    elif tier:
        stmt = stmt.where(LoyaltyAccount.tier == tier)
    if after is not None:
        stmt = stmt.where(LoyaltyAccount.id > after)
    rows = session.execute(stmt.order_by(LoyaltyAccount.id).limit(limit + 1)).all()
    found = [Member(a.id, a.customer_id, email, " ".join(n for n in (first, last) if n),
                    a.tier, a.points_balance, a.points_pending, a.points_debt,
                    a.lifetime_points) for a, email, first, last in rows[:limit]]
    return found, (found[-1].account_id if len(rows) > limit else None)


@dataclass(frozen=True)
class Week:
    start: datetime
    issued: int  # earned (pending or not), bonuses, positive adjustments
    redeemed: int  # spent on rewards, net of codes refunded into points
    taken_back: int  # clawbacks and negative adjustments
    expired: int


def weekly(session: Session, *, store_id: int, until: datetime, weeks: int = 12) -> list[Week]:
    """The last `weeks` weeks ending at `until`, oldest first, in one pass over the
    store's entries of that span."""
    starts = [until - WEEK * (weeks - i) for i in range(weeks)]
    bucket = case(*((LoyaltyEntry.created_at < starts[i + 1], i) for i in range(weeks - 1)),
                  else_=weeks - 1)
    positive = case((LoyaltyEntry.points > 0, LoyaltyEntry.points), else_=0)
    negative = case((LoyaltyEntry.points < 0, -LoyaltyEntry.points), else_=0)
    rows = session.execute(
        select(bucket.label("week"), LoyaltyEntry.kind, func.sum(positive), func.sum(negative))
        .where(LoyaltyEntry.store_id == store_id, LoyaltyEntry.created_at >= starts[0],
               LoyaltyEntry.created_at < until,
               LoyaltyEntry.kind.in_(("earn", "adjust", "redeem", "clawback", "expire")))
        .group_by("week", LoyaltyEntry.kind)).all()
    sums = [{"issued": 0, "redeemed": 0, "taken_back": 0, "expired": 0} for _ in starts]
    for week, kind, plus, minus in rows:
        into, plus, minus = sums[int(week)], int(plus or 0), int(minus or 0)
        if kind in ("earn", "adjust"):
            into["issued"] += plus
            into["taken_back"] += minus
        elif kind == "redeem":
            into["redeemed"] += minus - plus
        elif kind == "clawback":
            into["taken_back"] += minus - plus
        else:
            into["expired"] += minus
    return [Week(start, **figures) for start, figures in zip(starts, sums, strict=True)]


@dataclass(frozen=True)
class Liability:
    points_balance: int
    points_pending: int
    low_minor: int | None  # at the lowest money per point of a fixed-amount reward
    high_minor: int | None  # at the highest
    members: int

    @property
    def points(self) -> int:
        return self.points_balance + self.points_pending


def value_minor(points: int, rate: Fraction | None) -> int | None:
    return None if rate is None else int(points * rate)


def rates(program: Program) -> tuple[Fraction, Fraction] | None:
    """(lowest, highest) money per point of the program's fixed-amount rewards."""
    found = [Fraction(r.discount_minor, r.points) for r in program.rewards
             if r.discount_minor is not None]
    return (min(found), max(found)) if found else None


def liability(session: Session, *, store_id: int, program: Program) -> Liability:
    balance, pending, count = session.execute(
        select(func.coalesce(func.sum(LoyaltyAccount.points_balance), 0),
               func.coalesce(func.sum(LoyaltyAccount.points_pending), 0), func.count())
        .where(LoyaltyAccount.store_id == store_id)).one()
    total = int(balance) + int(pending)
    found = rates(program)
    return Liability(int(balance), int(pending),
                     value_minor(total, found[0]) if found else None,
                     value_minor(total, found[1]) if found else None, int(count))


def customer_labels(session: Session, *, store_id: int, ids: set[int]) -> dict[int, str]:
    """How the admin names customers in a list: their email, else their name, else
    their id."""
    if not ids:
        return {}
    rows = session.execute(select(Customer.id, Customer.email, Customer.first_name,
                                  Customer.last_name).where(
        Customer.store_id == store_id, Customer.id.in_(ids)))
    return {row.id: row.email or " ".join(n for n in (row.first_name, row.last_name) if n)
            or str(row.id) for row in rows}
