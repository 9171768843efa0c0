"""FastInsert stores exactly what a Core insert stores, returns ids in row order and
fails the way Connection.execute fails; FastSelect reads back what Core reads; on SQLite
(the driver path) and on PostgreSQL (Core). FastWrite changes rows as Core's UPDATE
does, on the driver of both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import cast

import pytest
from sqlalchemy import Table, bindparam, case, insert, select, update
from sqlalchemy.exc import IntegrityError

from afterward.events import Event
from afterward.jobs import Job
from afterward.storage.fast_sql import (
    MAX_PARAMETERS,
    FastInsert,
    FastSelect,
    FastWrite,
    connection_of,
)

EVENTS = cast(Table, Event.__table__)
JOBS = cast(Table, Job.__table__)
BERLIN = timezone(timedelta(hours=1))


def an_event(store_id: int, subject_id: int) -> dict[str, object]:
    at = datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=BERLIN)
    return {"store_id": store_id, "name": "order.created", "subject_type": "order",
            "subject_id": subject_id, "payload": {"number": "#1", "total_minor": 1250,
                                                 "note": "Grüße"},
            "occurred_at": at, "recorded_at": at}


def stored(session, ids):
    rows = session.execute(select(Event.subject_id, Event.payload, Event.occurred_at,
                                  Event.recorded_at).where(Event.id.in_(ids))
                           .order_by(Event.id)).all()
    return [tuple(r) for r in rows]


def test_a_row_reads_back_as_the_same_row_a_core_insert_wrote(db, store):
    with db.transaction() as session:
        conn = session.connection()
        [core_id] = conn.execute(insert(EVENTS).returning(EVENTS.c.id),
                                 [an_event(store.id, 1)]).scalars().all()
        [fast_id] = FastInsert(EVENTS, returning_ids=True)(conn, [an_event(store.id, 1)])

    with db.reading() as session:
        core, fast = stored(session, [core_id]), stored(session, [fast_id])
    assert fast == core
    assert fast[0][2] == datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)
    assert fast[0][1] == {"number": "#1", "total_minor": 1250, "note": "Grüße"}


def test_many_rows_get_their_ids_in_row_order_across_chunks(db, store):
    count = MAX_PARAMETERS // 7 * 2 + 5  # three statements on SQLite
    with db.transaction() as session:
        ids = FastInsert(EVENTS, returning_ids=True)(
            session.connection(), [an_event(store.id, n) for n in range(count)])

    with db.reading() as session:
        by_id = dict(session.execute(select(Event.id, Event.subject_id)
                                     .where(Event.id.in_(ids))).tuples().all())
    assert len(ids) == count
    assert [by_id[i] for i in ids] == list(range(count))


def test_no_rows_insert_nothing(db):
    with db.transaction() as session:
        assert FastInsert(EVENTS, returning_ids=True)(session.connection(), []) == []


def test_a_constraint_violation_is_sqlalchemy_s_integrity_error_and_writes_nothing(db, store):
    job = {"kind": "k", "payload": {}, "store_id": store.id, "run_at": datetime.now(UTC),
           "dedupe_key": "same", "max_attempts": 3, "status": "queued", "attempts": 0,
           "created_at": datetime.now(UTC)}
    with db.transaction() as session:
        FastInsert(JOBS)(session.connection(), [job])
    with pytest.raises(IntegrityError), db.transaction() as session:
        FastInsert(JOBS)(session.connection(), [{**job, "dedupe_key": "other"},
                                                {**job, "dedupe_key": "same"}])

    with db.reading() as session:
        keys = session.scalars(select(Job.dedupe_key).where(Job.kind == "k")).all()
    assert keys == ["same"]


def test_a_row_without_a_defaulted_column_gets_sqlalchemy_s_default(db, store):
    row = an_event(store.id, 7)
    del row["payload"]  # Event.payload defaults to {} in Python, not in the database
    with db.transaction() as session:
        [event_id] = FastInsert(EVENTS, returning_ids=True)(session.connection(), [row])

    with db.reading() as session:
        assert session.scalar(select(Event.payload).where(Event.id == event_id)) == {}


def test_an_unknown_column_is_refused_before_anything_is_sent(db, store):
    with pytest.raises(KeyError), db.transaction() as session:
        FastInsert(EVENTS)(session.connection(), [{**an_event(store.id, 1), "colour": "red"}])


LOOKUP = select(Event.id, Event.payload, Event.occurred_at).where(
    Event.store_id == bindparam("store_id"), Event.subject_id == bindparam("subject"),
).order_by(Event.id).limit(5)


def test_a_select_returns_what_core_returns_as_named_rows(db, store):
    with db.transaction() as session:
        FastInsert(EVENTS)(session.connection(), [an_event(store.id, 3), an_event(store.id, 3),
                                                  an_event(store.id, 4)])
    with db.reading() as session:
        conn = session.connection()
        core = conn.execute(LOOKUP, {"store_id": store.id, "subject": 3}).all()
        fast = FastSelect(LOOKUP)(conn, {"store_id": store.id, "subject": 3})

    assert [tuple(r) for r in fast] == [tuple(r) for r in core]
    assert len(fast) == 2
    assert fast[0].payload == {"number": "#1", "total_minor": 1250, "note": "Grüße"}
    assert fast[0].occurred_at == datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)


def test_a_select_that_finds_nothing_returns_no_rows(db, store):
    with db.reading() as session:
        assert FastSelect(LOOKUP)(session.connection(), {"store_id": store.id,
                                                         "subject": 99}) == []


def test_an_expanding_parameter_is_refused_on_sqlite(db):
    stmt = select(Event.id).where(Event.id.in_(bindparam("ids", expanding=True)))
    with db.reading() as session:
        if session.get_bind().dialect.name != "sqlite":
            pytest.skip("only SQLite takes the driver path (PostgreSQL runs Core)")
        with pytest.raises(ValueError, match="expanding"):
            FastSelect(stmt)(session.connection(), {"ids": [1]})


def test_a_session_used_for_two_transactions_writes_through_each_one_s_connection(db, store):
    session = db.sessions()
    try:
        FastInsert(EVENTS)(session, [an_event(store.id, 11)])
        first = connection_of(session)
        session.commit()
        FastInsert(EVENTS)(session, [an_event(store.id, 12)])
        assert connection_of(session) is session.connection()
        session.rollback()
    finally:
        session.close()

    with db.reading() as reading:
        kept = reading.scalars(select(Event.subject_id).where(Event.store_id == store.id)).all()
    assert kept == [11]
    assert first.closed


# A conditional UPDATE with a CASE, a literal, a repeated parameter, an aware datetime
# and RETURNING: what messaging's sending marks look like.
_LEASE = (update(JOBS)
          .where((JOBS.c.id == bindparam("first")) | (JOBS.c.id == bindparam("second")),
                 JOBS.c.status == "queued")
          .values(status=case((JOBS.c.id == bindparam("first"), "running"), else_="dead"),
                  locked_until=bindparam("until"), attempts=JOBS.c.attempts + 1)
          .returning(JOBS.c.id))


def two_jobs(db, store_id: int) -> list[int]:
    with db.transaction() as session:
        return list(session.connection().execute(insert(JOBS).returning(JOBS.c.id), [
            {"store_id": store_id, "kind": "test.fast", "payload": {}, "status": "queued",
             "run_at": datetime(2026, 3, 1, tzinfo=UTC), "attempts": 0, "max_attempts": 8,
             "created_at": datetime(2026, 3, 1, tzinfo=UTC)}] * 2).scalars())


def jobs_state(db, ids):
    with db.reading() as session:
        return [tuple(r) for r in session.execute(
            select(Job.status, Job.locked_until, Job.attempts).where(Job.id.in_(ids))
            .order_by(Job.id))]


def test_a_fast_write_changes_the_rows_a_core_update_changes(db, store):
    until = datetime(2026, 3, 1, 11, 0, tzinfo=BERLIN)
    core_ids, fast_ids = two_jobs(db, store.id), two_jobs(db, store.id)

    with db.transaction() as session:
        conn = session.connection()
        core = conn.execute(_LEASE, {"first": core_ids[0], "second": core_ids[1],
                                     "until": until})
        core_rows = sorted(tuple(r) for r in core)  # (pysqlite counts no RETURNING rows)
        fast_rows, fast_count = FastWrite(_LEASE)(conn, {
            "first": fast_ids[0], "second": fast_ids[1], "until": until})

    assert jobs_state(db, fast_ids) == jobs_state(db, core_ids) == [
        ("running", datetime(2026, 3, 1, 10, 0, tzinfo=UTC), 1),
        ("dead", datetime(2026, 3, 1, 10, 0, tzinfo=UTC), 1)]
    assert (sorted(fast_rows), fast_count) == ([(fast_ids[0],), (fast_ids[1],)], 2)
    assert core_rows == [(core_ids[0],), (core_ids[1],)]


def test_a_fast_write_that_matches_nothing_changes_nothing(db, store):
    ids = two_jobs(db, store.id)
    before = jobs_state(db, ids)

    with db.transaction() as session:
        rows, count = FastWrite(_LEASE)(session.connection(), {
            "first": -1, "second": -2, "until": datetime(2026, 3, 1, tzinfo=UTC)})

    assert (rows, count) == ([], 0)
    assert jobs_state(db, ids) == before


def test_a_fast_write_the_database_refuses_fails_as_core_would(db, store):
    ids = two_jobs(db, store.id)
    before = jobs_state(db, ids)
    not_null = update(JOBS).where(JOBS.c.id == bindparam("job")).values(kind=None)

    with pytest.raises(IntegrityError), db.transaction() as session:
        FastWrite(not_null)(session.connection(), {"job": ids[0]})

    assert jobs_state(db, ids) == before
