"""Cursors over a store's events (`event_consumers`): how far a consumer (the
journeys', loyalty's, returns' inbound parcels') has read the append-only events table,
moved in the same transaction as the work it did for those events, so nothing is lost
or done twice.

On PostgreSQL, ids are handed out before commit, so a later id can become visible
before an earlier one. Each event records the id of the transaction that wrote it
(events.txid); a consumer reads only events of transactions older than every
transaction still running, in (txid, id) order, and keeps its place as that pair. A
transaction that commits later has a txid at or above that bound, so it can never
land behind the cursor, and nothing waits for a time margin. SQLite has one writer at
a time, so commit order is id order. Spine code: any module's consumer uses it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    String,
    Text,
    exists,
    func,
    select,
    text,
    tuple_,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from afterward.events import Event
from afterward.storage.db import Base
from afterward.storage.types import UTCDateTime, utcnow


class EventConsumer(Base):
    """How far a consumer has read the events table. Advanced in the same transaction
    as the work it did for those events, so nothing is lost or done twice."""

    __tablename__ = "event_consumers"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    # PostgreSQL: the cursor is (last_txid, last_event_id); see this module's docstring.
    last_txid: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    processed: Mapped[int] = mapped_column(BigInteger, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def latest_event_id(session: Session, store_id: int) -> int:
    return int(session.scalar(select(func.max(Event.id)).where(Event.store_id == store_id)) or 0)


def latest_txid(session: Session, store_id: int) -> int:
    return int(session.scalar(select(func.max(Event.txid)).where(Event.store_id == store_id))
               or 0)


# The snapshot's xmax is one past the newest transaction to have *ended*, not the next
# id to be handed out: a running transaction (this one among them) may hold it or a
# larger one. This transaction's own id (if it has one) is read too.
_RUNNING = text(
    "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint, "
    "pg_current_xact_id_if_assigned()::text::bigint, "
    "(SELECT array_agg(backend_xid::text::bigint) FROM pg_stat_activity "
    " WHERE datname = current_database() AND backend_xid IS NOT NULL "
    " AND pid <> pg_backend_pid())")
# A backend keeps what pg_stat_activity showed it until its transaction ends.
_FRESH_ACTIVITY = text("SELECT pg_stat_clear_snapshot()")


def oldest_running_txid(session: Session) -> int | None:
    """PostgreSQL: every transaction of this database with a smaller id has ended, or
    is this one (whose events it sees), so its events are final. Other databases of
    the cluster do not count (unlike the snapshot's own xmin). Read afresh each time:
    a transaction that consumes more than once must not keep its first horizon (it
    would hold back its own events, and those of transactions ended since, for ever)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    session.execute(_FRESH_ACTIVITY)
    xmax, own, running = session.execute(_RUNNING).one()
    upcoming = max(int(xmax), int(own) + 1 if own is not None else 0)
    return min((widen_xid(int(xid), upcoming) for xid in running or []), default=upcoming)


def widen_xid(xid32: int, near: int) -> int:
    """pg_stat_activity shows 32-bit transaction ids; events store 64-bit ones (epoch
    in the high half). A running id is within 2^31 of any id handed out meanwhile:
    the 64-bit id with these low 32 bits nearest to `near`."""
    full = (near & ~0xFFFFFFFF) | xid32
    if full - near > 1 << 31:
        return full - (1 << 32)
    if near - full > 1 << 31:
        return full + (1 << 32)
    return full


def open_cursor(session: Session, name: str, store_id: int) -> EventConsumer:
    """The cursor `name`, locked until the transaction ends; a new one starts after the
    store's latest event (a consumer never replays what happened before it existed)."""
    row = session.get(EventConsumer, name, with_for_update=True)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = EventConsumer(name=name, last_event_id=latest_event_id(session, store_id),
                                last_txid=latest_txid(session, store_id),
                                processed=0, failures=0)
            session.add(row)
            session.flush()
    except IntegrityError:  # made meanwhile by another process
        row = session.get(EventConsumer, name, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


def after(row: EventConsumer, store_id: int, horizon: int | None,
          *where: ColumnElement[bool]) -> Select[Event]:
    """The store's events past the cursor (those `where` also selects), in the order the
    cursor moves; `horizon`: oldest_running_txid on PostgreSQL, else None."""
    stmt = select(Event).where(Event.store_id == store_id, *where)
    if horizon is None:
        return stmt.where(Event.id > row.last_event_id).order_by(Event.id)
    return stmt.where(tuple_(Event.txid, Event.id) > tuple_(row.last_txid, row.last_event_id),
                      Event.txid < horizon).order_by(Event.txid, Event.id)


def behind(session: Session, row: EventConsumer, store_id: int,
           *where: ColumnElement[bool]) -> bool:
    """Whether any event of the store (that `where` selects) lies past the cursor,
    visible or held back."""
    if session.get_bind().dialect.name != "postgresql":
        past = Event.id > row.last_event_id
    else:
        past = tuple_(Event.txid, Event.id) > tuple_(row.last_txid, row.last_event_id)
    return bool(session.scalar(select(exists().where(Event.store_id == store_id, past,
                                                     *where))))
