"""The ledger: every change of an account is one entry, written with the atomic
UPDATE of the account's counters it explains. An entry has a key unique in its store,
so the same change told twice is written once. A spend the balance cannot cover is
refused by the UPDATE's own condition (and the CHECK behind it), never by a read
that a concurrent writer could make stale."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from afterward.events import record
from afterward.loyalty.errors import LoyaltyError
from afterward.loyalty.models import LoyaltyAccount, LoyaltyEntry
from afterward.storage import bulk, locks
from afterward.storage.types import utcnow

MAX_ADJUSTMENT = 10**9

# The statements a redemption or an earning runs, built once: building one costs more
# CPU than SQLite takes to run it.
_ACCOUNT = select(LoyaltyAccount).where(LoyaltyAccount.store_id == bindparam("store_id"),
                                        LoyaltyAccount.customer_id == bindparam("customer_id"))
_HELD = _ACCOUNT.with_for_update().execution_options(populate_existing=True)
_ENTRY_BY_KEY = select(LoyaltyEntry).where(LoyaltyEntry.store_id == bindparam("store_id"),
                                           LoyaltyEntry.idempotency_key == bindparam("key"))
_ACCOUNTS = cast(Table, LoyaltyAccount.__table__)
_COUNTERS = (_ACCOUNTS.c.points_balance, _ACCOUNTS.c.points_pending, _ACCOUNTS.c.points_debt,
             _ACCOUNTS.c.lifetime_points, _ACCOUNTS.c.updated_at)
# The counters moved by the deltas, unless the balance would go below zero (no row).
_MOVE = (update(_ACCOUNTS)
         .where(_ACCOUNTS.c.id == bindparam("account_id"),
                _ACCOUNTS.c.points_balance + bindparam("balance") >= 0)
         .values(points_balance=_ACCOUNTS.c.points_balance + bindparam("balance"),
                 points_pending=_ACCOUNTS.c.points_pending + bindparam("pending"),
                 points_debt=_ACCOUNTS.c.points_debt + bindparam("debt"),
                 lifetime_points=_ACCOUNTS.c.lifetime_points + bindparam("lifetime"),
                 updated_at=bindparam("now", type_=_ACCOUNTS.c.updated_at.type))
         .returning(*_COUNTERS))


def find_account(session: Session, *, store_id: int, customer_id: int
                 ) -> LoyaltyAccount | None:
    return session.scalar(_ACCOUNT, {"store_id": store_id, "customer_id": customer_id})


def account(session: Session, *, store_id: int, customer_id: int) -> LoyaltyAccount:
    """The customer's account, held for this transaction (opened at zero the first
    time), read fresh: what is decided from it stays true until commit."""
    locks.hold(session, "loyalty", store_id, customer_id)
    found = session.scalar(_HELD, {"store_id": store_id, "customer_id": customer_id})
    if found is not None:
        return found
    now = utcnow()
    opened = LoyaltyAccount(store_id=store_id, customer_id=customer_id, points_balance=0,
                            points_pending=0, points_debt=0, lifetime_points=0,
                            referral_code=new_referral_code(),
                            created_at=now, updated_at=now)
    session.add(opened)
    session.flush()
    return opened


def new_referral_code() -> str:
    """A member's referral code (their link is /r/<code>, referrals.py): 128 random
    bits, URL-safe."""
    return secrets.token_urlsafe(16)


def new_referral_codes(count: int) -> list[str]:
    """`count` codes as `new_referral_code` makes them (`secrets.token_urlsafe(16)`:
    16 bytes of `secrets.token_bytes`, URL-safe base64 without padding), the random
    bytes asked for at once: bulk earning opens thousands of accounts."""
    data = secrets.token_bytes(16 * count)
    return [base64.urlsafe_b64encode(data[i:i + 16]).rstrip(b"=").decode("ascii")
            for i in range(0, 16 * count, 16)]


def entry_by_key(session: Session, *, store_id: int, key: str) -> LoyaltyEntry | None:
    return session.scalar(_ENTRY_BY_KEY, {"store_id": store_id, "key": key})


def post(session: Session, held: LoyaltyAccount, *, kind: str, points: int, key: str,
         source: str, balance: int = 0, pending: int = 0, debt: int = 0,
         lifetime: int = 0, source_id: int | None = None, reason: str | None = None,
         pending_until: datetime | None = None, now: datetime | None = None,
         fresh: bool = False) -> LoyaltyEntry | None:
    """Write the entry and move the counters by the deltas; None when `key` was
    posted before (nothing changes; `fresh`: the caller knows it was not, and the
    unique key stands behind that). A balance that would go below zero: refused with
    `insufficient_points`, nothing changes."""
    if not fresh and entry_by_key(session, store_id=held.store_id, key=key) is not None:
        return None
    now = now or utcnow()
    # The counters as the UPDATE left them come back with it (RETURNING: SQLite 3.35+,
    # PostgreSQL), so `held` is current without reading the row again.
    counters = bulk.connection_of(session).execute(_MOVE, {
        "account_id": held.id, "balance": balance, "pending": pending, "debt": debt,
        "lifetime": lifetime, "now": now}).one_or_none()
    if counters is None:
        raise LoyaltyError("insufficient_points", "the points balance is too low", "points")
    # The same key posted meanwhile breaks the unique key: Database.run runs again.
    entry = bulk.add_row(session, LoyaltyEntry, store_id=held.store_id, account_id=held.id,
                         kind=kind, points=points, balance_delta=balance,
                         pending_delta=pending, debt_delta=debt, reason=reason,
                         source=source, source_id=source_id, idempotency_key=key,
                         pending_until=pending_until, created_at=now)
    for column, value in zip(_COUNTERS, counters, strict=True):
        set_committed_value(held, column.key, value)
    return entry


def credit(session: Session, held: LoyaltyAccount, *, kind: str, points: int, key: str,
           source: str, source_id: int | None = None, reason: str | None = None,
           lifetime: int = 0, entry_points: int | None = None,
           pending: int = 0, now: datetime | None = None) -> LoyaltyEntry | None:
    """Spendable points in: any debt is paid from them first."""
    repay = min(points, held.points_debt)
    return post(session, held, kind=kind, points=points if entry_points is None
                else entry_points, key=key, source=source, balance=points - repay,
                debt=-repay, pending=pending, lifetime=lifetime, source_id=source_id,
                reason=reason, now=now)


def adjust(session: Session, *, store_id: int, customer_id: int, points: int, reason: str,
           key: str, now: datetime | None = None) -> tuple[LoyaltyEntry, bool]:
    """An adjustment by hand: (the entry, whether it is new). The same key again
    gives the entry it made; the same key for another change is refused."""
    now = now or utcnow()
    held = account(session, store_id=store_id, customer_id=customer_id)
    existing = entry_by_key(session, store_id=store_id, key=key)
    if existing is not None:
        if existing.account_id != held.id or existing.points != points \
                or existing.kind != "adjust":
            raise LoyaltyError("idempotency_key_reused", "this idempotency_key was used "
                               "for another change", "idempotency_key", status=409)
        return existing, False
    if points == 0:
        raise LoyaltyError("invalid", "an adjustment moves at least one point", "points")
    if points > 0:
        entry = credit(session, held, kind="adjust", points=points, key=key, source="admin",
                       reason=reason, lifetime=points, now=now)
    else:
        entry = post(session, held, kind="adjust", points=points, key=key, source="admin",
                     balance=points, reason=reason, now=now)
    assert entry is not None  # the key was free under the account's lock
    if points > 0:
        earned(session, held, entry)
    return entry, True


def earned(session: Session, held: LoyaltyAccount, entry: LoyaltyEntry) -> None:
    """`loyalty.points_earned`: points came in (pending or spendable)."""
    record(session, store_id=held.store_id, name="loyalty.points_earned",
           subject_type="customer", subject_id=held.customer_id, occurred_at=entry.created_at,
           payload={"customer_id": held.customer_id, "points": entry.points,
                    "source": entry.source, "source_id": entry.source_id,
                    "order_id": entry.source_id if entry.source == "order" else None,
                    "pending_until": entry.pending_until.isoformat()
                    if entry.pending_until else None,
                    "points_balance": held.points_balance,
                    "points_pending": held.points_pending,
                    "lifetime_points": held.lifetime_points})


def entries(session: Session, held: LoyaltyAccount, *, limit: int = 100) -> list[LoyaltyEntry]:
    return list(session.scalars(select(LoyaltyEntry).where(
        LoyaltyEntry.account_id == held.id).order_by(LoyaltyEntry.id.desc()).limit(limit)))
