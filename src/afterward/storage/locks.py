"""Named locks for check-then-insert: two transactions that would create the same
thing (a customer by email, say) take the same key and run one after the other."""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.orm import Session

_ADVISORY = text("SELECT pg_advisory_xact_lock(:key)")


def hold(session: Session, *parts: object) -> None:
    """Hold the lock named by `parts` until the transaction ends. PostgreSQL: a
    transaction-scoped advisory lock on a 64-bit hash of the name. SQLite needs none:
    its writers run one at a time (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    name = "\x1f".join(str(part) for part in parts).encode()
    key = int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big", signed=True)
    session.execute(_ADVISORY, {"key": key})


def hold_all(session: Session, names: list[tuple[object, ...]]) -> None:
    """Several locks, always taken in the same (sorted) order, so two transactions
    wanting an overlapping set never wait for each other in a circle."""
    if session.get_bind().dialect.name != "postgresql":
        return  # as `hold`: none needed (asked once, not per name: a batch holds hundreds)
    for parts in sorted(names, key=lambda p: tuple(str(x) for x in p)):
        hold(session, *parts)
