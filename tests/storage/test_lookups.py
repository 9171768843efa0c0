"""A Lookup reads back what Core's Connection.execute reads, as named rows: on SQLite
through the driver's cursor (with the bind and result processors Core applies), on
PostgreSQL through Core."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, select

from afterward.events import Event
from afterward.storage import bulk
from afterward.storage.lookups import Lookup

BERLIN = timezone(timedelta(hours=1))
AT = datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=BERLIN)
LOOKUP = select(Event.id, Event.payload, Event.occurred_at).where(
    Event.store_id == bindparam("store_id"), Event.subject_id == bindparam("subject"),
).order_by(Event.id).limit(5)


def events(db, store_id: int, subjects: list[int]) -> None:
    with db.transaction() as session:
        bulk.insert(session, Event, [
            {"store_id": store_id, "name": "order.created", "subject_type": "order",
             "subject_id": subject, "payload": {"note": "Grüße", "n": n},
             "occurred_at": AT, "recorded_at": AT} for n, subject in enumerate(subjects)])


def test_a_lookup_returns_what_core_returns_as_named_rows(db, store):
    events(db, store.id, [3, 3, 4])
    with db.reading() as session:
        conn = session.connection()
        core = conn.execute(LOOKUP, {"store_id": store.id, "subject": 3}).all()
        found = Lookup(LOOKUP)(conn, {"store_id": store.id, "subject": 3})

    assert [tuple(r) for r in found] == [tuple(r) for r in core]
    assert len(found) == 2
    assert found[0].payload == {"note": "Grüße", "n": 0}
    assert found[0].occurred_at == datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)


def test_a_lookup_that_finds_nothing_returns_no_rows(db, store):
    with db.reading() as session:
        assert Lookup(LOOKUP)(session, {"store_id": store.id, "subject": 99}) == []


def test_a_parameter_left_out_is_refused(db, store):
    with pytest.raises(Exception, match="subject"), db.reading() as session:
        Lookup(LOOKUP)(session, {"store_id": store.id})


def test_an_expanding_parameter_is_refused_on_sqlite(db):
    stmt = select(Event.id).where(Event.id.in_(bindparam("ids", expanding=True)))
    with db.reading() as session:
        if session.get_bind().dialect.name != "sqlite":
            pytest.skip("only SQLite takes the driver path (PostgreSQL runs Core)")
        with pytest.raises(ValueError, match="expanding"):
            Lookup(stmt)(session, {"ids": [1]})
