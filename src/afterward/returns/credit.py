"""Store credit: an append-only ledger per customer and a balance beside it, changed
only by atomic UPDATEs that a CHECK keeps at zero or above. Each entry has a key, so
the same grant or spend told twice is written once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from afterward.returns.errors import ReturnError
from afterward.returns.models import CreditAccount, CreditEntry
from afterward.storage import locks
from afterward.storage.types import utcnow


@dataclass(frozen=True)
class Balance:
    balance_minor: int
    currency: str
    entries: list[CreditEntry]


def account(session: Session, *, store_id: int, customer_id: int,
            currency: str) -> CreditAccount:
    """The customer's account, opened at zero the first time."""
    locks.hold(session, "store-credit", store_id, customer_id)
    found = _account(session, store_id, customer_id)
    if found is not None:
        return found
    opened = CreditAccount(store_id=store_id, customer_id=customer_id, currency=currency,
                           balance_minor=0)
    session.add(opened)
    session.flush()
    return opened


def current(session: Session, *, store_id: int, customer_id: int) -> CreditAccount | None:
    """The customer's account as it is (None: no credit ever), without its entries."""
    return _account(session, store_id, customer_id)


def _account(session: Session, store_id: int, customer_id: int) -> CreditAccount | None:
    return session.scalar(select(CreditAccount).where(
        CreditAccount.store_id == store_id, CreditAccount.customer_id == customer_id))


def post(session: Session, *, store_id: int, customer_id: int, currency: str,
         amount_minor: int, kind: str, key: str, return_id: int | None = None,
         note: str | None = None) -> bool:
    """Add an entry and move the balance by it; False when `key` was posted before.
    A spend the balance cannot cover is refused and nothing changes."""
    held = account(session, store_id=store_id, customer_id=customer_id, currency=currency)
    if held.currency != currency:
        raise ReturnError("currency_mismatch", f"store credit is kept in {held.currency}")
    if session.scalar(select(CreditEntry.id).where(CreditEntry.store_id == store_id,
                                                   CreditEntry.idempotency_key == key)):
        return False
    moved = session.execute(update(CreditAccount).where(
        CreditAccount.id == held.id, CreditAccount.balance_minor + amount_minor >= 0)
        .values(balance_minor=CreditAccount.balance_minor + amount_minor, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if not getattr(moved, "rowcount", 0):
        raise ReturnError("insufficient_credit", "the store credit balance is too low")
    # The same key posted meanwhile would break the unique key: Database.run runs again.
    session.add(CreditEntry(store_id=store_id, account_id=held.id, amount_minor=amount_minor,
                            kind=kind, return_id=return_id, idempotency_key=key, note=note))
    session.flush()
    session.expire(held)
    return True


def balance(session: Session, *, store_id: int, customer_id: int,
            currency: str) -> Balance:
    """The balance and every entry, newest first (no account yet: zero, none)."""
    found = _account(session, store_id, customer_id)
    if found is None:
        return Balance(0, currency, [])
    entries = list(session.scalars(select(CreditEntry).where(
        CreditEntry.account_id == found.id).order_by(CreditEntry.id.desc())))
    return Balance(found.balance_minor, found.currency, entries)
