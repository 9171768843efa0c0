"""Counting attempts in the database, so that every server process behind a load
balancer counts against the same limit.

One row per (scope, key): the key (an email and an address, say) is kept only as an
HMAC keyed with the install's secret key, never in the clear. A key's first attempt
opens a window of `window_seconds`; attempts within it add one each, and the one that
passes `limit` is refused, until the window ends and the next attempt opens a new one.
The count and the window move together in one atomic upsert (SQLite and PostgreSQL
both take `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`), so attempts racing in
from several processes never count less than they are. Rows whose window has ended
are deleted by the retention job (retention.py)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    CheckConstraint,
    CursorResult,
    Index,
    Integer,
    String,
    Table,
    bindparam,
    case,
    delete,
    select,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from afterward.storage.db import Base, Database
from afterward.storage.types import UTCDateTime, utcnow


class ThrottleHit(Base):
    __tablename__ = "throttle_hits"
    __table_args__ = (
        Index("ix_throttle_hits_expires", "expires_at"),
        CheckConstraint("hits > 0", name="ck_throttle_hits_positive"),
    )

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


_HITS = cast(Table, ThrottleHit.__table__)


def _count_one_statement(dialect: Any) -> Any:
    """Insert the key's first hit, or add one to its open window, or open a new window
    over an ended one; the count after this hit comes back."""
    insert = dialect.insert(_HITS).values(
        scope=bindparam("the_scope"), key_hash=bindparam("the_key"), hits=1,
        expires_at=bindparam("window_end", type_=UTCDateTime()))
    ended = _HITS.c.expires_at <= bindparam("now", type_=UTCDateTime())
    return (insert.on_conflict_do_update(index_elements=["scope", "key_hash"], set_={
        "hits": case((ended, 1), else_=_HITS.c.hits + 1),
        "expires_at": case((ended, insert.excluded.expires_at), else_=_HITS.c.expires_at)})
        .returning(_HITS.c.hits))


_COUNT_ONE = {"sqlite": _count_one_statement(sqlite),
              "postgresql": _count_one_statement(postgresql)}


class Throttle:
    """`limit` attempts per key within `window_seconds` of the key's first one."""

    def __init__(self, *, scope: str, limit: int, window_seconds: int, secret: str,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.scope, self.limit, self.window = scope, limit, timedelta(seconds=window_seconds)
        self.secret, self.clock = secret.encode(), clock

    def key_hash(self, *parts: str) -> str:
        message = "\n".join((self.scope, *parts)).encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def attempt(self, db: Database, *parts: str) -> bool:
        """Count one attempt, in a transaction of its own; False when it is over the limit."""
        now = self.clock()
        with db.transaction() as session:
            hits = count_hit(session, scope=self.scope, key_hash=self.key_hash(*parts),
                             now=now, expires_at=now + self.window)
        return hits <= self.limit

    def clear(self, db: Database, *parts: str) -> None:
        with db.transaction() as session:
            session.execute(delete(ThrottleHit).where(
                ThrottleHit.scope == self.scope, ThrottleHit.key_hash == self.key_hash(*parts)))

    def hits(self, db: Database, *parts: str) -> int:
        """Attempts counted in the key's open window (0 when none is open)."""
        with db.reading() as session:
            hits = session.scalar(select(ThrottleHit.hits).where(
                ThrottleHit.scope == self.scope, ThrottleHit.key_hash == self.key_hash(*parts),
                ThrottleHit.expires_at > self.clock()))
        return hits or 0


def count_hit(session: Session, *, scope: str, key_hash: str, now: datetime,
              expires_at: datetime) -> int:
    """Count one hit of the key; the hits in its window, this one included."""
    conn = session.connection()
    row = conn.execute(_COUNT_ONE[conn.dialect.name], {
        "the_scope": scope, "the_key": key_hash, "window_end": expires_at, "now": now}).one()
    return int(row[0])


def purge_expired(session: Session, *, before: datetime, limit: int) -> int:
    """Delete up to `limit` rows whose window ended before `before`; how many went."""
    doomed = (select(ThrottleHit.scope, ThrottleHit.key_hash)
              .where(ThrottleHit.expires_at < before).limit(limit))
    result = session.execute(delete(ThrottleHit).where(
        tuple_(ThrottleHit.scope, ThrottleHit.key_hash).in_(doomed)))
    return cast(CursorResult[Any], result).rowcount
