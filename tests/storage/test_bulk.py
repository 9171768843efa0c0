"""storage/bulk.py stores exactly what a plain Core insert stores, byte for byte, on
each of its paths (SQLite: the driver; PostgreSQL: Core for a few rows or with ids,
COPY for many), returns ids in row order and fails the way Connection.execute fails."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Connection, Table, event, func, insert, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from afterward.commerce.code_models import DiscountCode
from afterward.commerce.models import Consent, Customer, Order
from afterward.events import Event
from afterward.jobs import Job
from afterward.storage import bulk
from afterward.storage.bulk import connection_of

BERLIN = timezone(timedelta(hours=1))
AT = datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=BERLIN)
MANY = bulk.ROWS_PER_STATEMENT + 7  # two statements on SQLite, COPY on PostgreSQL


def an_event(store_id: int, n: int) -> dict[str, Any]:
    return {"store_id": store_id, "name": "order.created", "subject_type": "order",
            "subject_id": n, "payload": {"number": f"#{n}", "total_minor": 1250,
                                         "note": "Grüße \"quoted\" \\ \u2028", "none": None},
            "occurred_at": AT, "recorded_at": AT + timedelta(seconds=n)}


def a_job(store_id: int, n: int) -> dict[str, Any]:
    # status, attempts and max_attempts left out: their Python defaults fill them
    return {"store_id": store_id, "kind": "test.bulk", "payload": {"n": n, "list": [1, 2.5]},
            "dedupe_key": f"key-{n}" if n % 2 else None, "run_at": AT, "created_at": AT,
            "locked_until": None}


def a_customer(store_id: int, n: int) -> dict[str, Any]:
    return {"store_id": store_id, "email": f"c{n}@example.com", "phone": None,
            "first_name": "Zoë", "last_name": None, "birthday": date(1990, 2, n % 28 + 1),
            "orders_count": n, "total_spent_minor": 10 * n, "created_at": AT,
            "updated_at": AT.astimezone(UTC)}


def an_order(store_id: int, n: int) -> dict[str, Any]:
    return {"store_id": store_id, "number": f"B{n}", "source": "csv", "customer_id": None,
            "email": "ada@example.com", "currency": "EUR", "subtotal_minor": 900,
            "shipping_minor": 0, "tax_minor": 0, "discount_minor": 0, "total_minor": 900,
            "refunded_minor": 0, "status": "open", "placed_at": AT, "ship_name": "Ada 'A'",
            "created_at": AT, "updated_at": AT}


def consents(db, store_id: int) -> Callable[[int, int], dict[str, Any]]:
    with db.transaction() as session:
        customer_ids = bulk.insert(session, Customer, [
            a_customer(store_id, n) for n in range(MANY)], returning_ids=True)

    def a_consent(_: int, n: int) -> dict[str, Any]:
        return {"store_id": store_id, "customer_id": customer_ids[n // 2], "channel": "email",
                "purpose": ("transactional", "marketing")[n % 2], "granted": n % 3 == 0,
                "source": "bench", "updated_at": AT}

    return a_consent


def stored(conn: Connection, table: Table, ids: list[int]) -> list[tuple[Any, ...]]:
    """The rows as the database holds them: the driver's own values on SQLite (text,
    integer, real or null, as stored), each column's text on PostgreSQL. Left out: the
    id, and the writing transaction's id (events.txid, PostgreSQL's server default)."""
    columns = [c for c in table.c if c.name not in ("id", "txid")]
    quote = conn.dialect.identifier_preparer.quote
    shown = [quote(c.name) if conn.dialect.name == "sqlite" else f"CAST({quote(c.name)} AS TEXT)"
             for c in columns]
    marks = ", ".join(str(int(i)) for i in ids)
    sql = f"SELECT {', '.join(shown)} FROM {quote(table.name)} WHERE id IN ({marks}) ORDER BY id"
    return [tuple(row) for row in conn.exec_driver_sql(sql)]


ROWS = {"events": an_event, "jobs": a_job, "customers": a_customer, "orders": an_order}
MODELS = {"events": Event, "jobs": Job, "customers": Customer, "orders": Order,
          "consents": Consent}
Write = Callable[[Connection, Table, list[dict[str, Any]]], object]


class _Undo(Exception):
    pass


def stored_by(db, store_id: int, kind: str, rows: list[dict[str, Any]],
              write: Write) -> list[tuple[Any, ...]]:
    """The rows `write` stores, read back in its transaction, which is then rolled back."""
    table = cast(Table, MODELS[kind].__table__)
    found: list[tuple[Any, ...]] = []
    with pytest.raises(_Undo), db.transaction() as session:
        conn = session.connection()
        before = conn.scalar(select(func.coalesce(func.max(table.c.id), 0)))
        write(conn, table, rows)
        ids = list(conn.execute(select(table.c.id).where(table.c.id > before)).scalars())
        found += stored(conn, table, ids)
        raise _Undo
    return found


def core(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    conn.execute(insert(table), rows)


@pytest.mark.parametrize("count", [1, MANY])
@pytest.mark.parametrize("returning_ids", [False, True])
@pytest.mark.parametrize("as_tuples", [False, True], ids=["dicts", "tuples"])
@pytest.mark.parametrize("kind", MODELS)
def test_rows_are_stored_byte_for_byte_as_a_core_insert_stores_them(db, store, kind, count,
                                                                    returning_ids, as_tuples):
    def fast(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        if as_tuples:
            names = tuple(rows[0])
            bulk.insert_values(conn, table, names, [tuple(row[n] for n in names) for row in rows],
                               returning_ids=returning_ids)
        else:
            bulk.insert(conn, table, rows, returning_ids=returning_ids)

    make = consents(db, store.id) if kind == "consents" else ROWS[kind]
    rows = [make(store.id, n) for n in range(count)]

    written = stored_by(db, store.id, kind, rows, fast)

    assert len(written) == count
    assert written == stored_by(db, store.id, kind, rows, core)


def test_ids_come_back_in_row_order_across_statements(db, store):
    with db.transaction() as session:
        ids = bulk.insert(session, Event, [an_event(store.id, n) for n in range(MANY)],
                          returning_ids=True)

    with db.reading() as session:
        by_id = dict(session.execute(select(Event.id, Event.subject_id)
                                     .where(Event.id.in_(ids))).tuples().all())
    assert [by_id[i] for i in ids] == list(range(MANY))


def test_rows_go_in_whole_statements_then_the_rest_in_powers_of_two_largest_first():
    assert bulk.chunk_sizes(0, 500) == []
    assert bulk.chunk_sizes(300, 500) == [256, 32, 8, 4]
    assert bulk.chunk_sizes(MANY, 500) == [500, 4, 2, 1]
    assert bulk.chunk_sizes(1000, 500) == [500, 500]
    assert bulk.chunk_sizes(7, 3) == [3, 3, 1]


def test_any_number_of_rows_takes_at_most_ten_statement_texts_of_500_rows_or_fewer():
    used: set[int] = set()
    for count in range(2000):
        sizes = bulk.chunk_sizes(count, 500)
        assert sum(sizes) == count
        assert all(0 < size <= 500 for size in sizes)
        used.update(sizes)
    assert sorted(used) == [1, 2, 4, 8, 16, 32, 64, 128, 256, 500]


def test_no_rows_insert_nothing(db):
    with db.transaction() as session:
        assert bulk.insert(session, Event, [], returning_ids=True) == []


@pytest.mark.parametrize("count", [2, MANY])
def test_a_constraint_violation_is_sqlalchemy_s_integrity_error_and_writes_nothing(db, store,
                                                                                  count):
    rows = [{**a_job(store.id, n), "dedupe_key": f"k{n}"} for n in range(count)]
    with db.transaction() as session:
        bulk.insert(session, Job, [rows[-1]])
    with pytest.raises(IntegrityError), db.transaction() as session:
        bulk.insert(session, Job, rows)

    with db.reading() as session:
        keys = session.scalars(select(Job.dedupe_key).where(Job.kind == "test.bulk")).all()
    assert keys == [f"k{count - 1}"]


def test_a_callable_default_is_filled_in_as_core_fills_it(db, store):
    row = an_event(store.id, 7)
    del row["recorded_at"]  # Event.recorded_at defaults to utcnow() in Python
    del row["payload"]  # and payload to {}
    with db.transaction() as session:
        started = datetime.now(UTC)
        [event_id] = bulk.insert(session, Event, [row], returning_ids=True)

    with db.reading() as session:
        event = session.get(Event, event_id)
        assert event is not None
        assert (event.payload, started <= event.recorded_at <= datetime.now(UTC)) == ({}, True)


def test_an_unknown_column_is_refused_before_anything_is_sent(db, store):
    with pytest.raises(KeyError, match="colour"), db.transaction() as session:
        bulk.insert(session, Event, [{**an_event(store.id, 1), "colour": "red"}])


def test_a_session_used_for_two_transactions_writes_through_each_one_s_connection(db, store):
    session = db.sessions()
    try:
        bulk.insert(session, Event, [an_event(store.id, 11)])
        first = connection_of(session)
        session.commit()
        bulk.insert(session, Event, [an_event(store.id, 12)])
        assert connection_of(session) is session.connection()
        session.rollback()
    finally:
        session.close()

    with db.reading() as reading:
        kept = reading.scalars(select(Event.subject_id).where(Event.store_id == store.id)).all()
    assert kept == [11]
    assert first.closed


def test_tuple_rows_of_the_wrong_length_are_refused_before_anything_is_sent(db, store):
    row = an_event(store.id, 1)
    names = tuple(row)
    with db.transaction() as session:
        before = session.scalar(select(func.count()).select_from(Event))
        with pytest.raises(ValueError):
            bulk.insert_values(session, Event, names,
                               [tuple(row.values()), tuple(row.values())[:-1]])
        assert session.scalar(select(func.count()).select_from(Event)) == before


# ---------------------------------------------------------------- add_row


def a_code(store_id: int) -> dict[str, Any]:
    # status, percent, categories, used_* and cancelled_at left out: defaults or None
    return {"store_id": store_id, "code": "ABCDEFGHJKMNPQRS", "kind": "discount",
            "value_minor": 500, "currency": "EUR", "skus": ["SKU-1", "SKU-2"],
            "source": "loyalty", "source_id": "five-off", "idempotency_key": "k1",
            "expires_at": AT, "created_at": AT, "updated_at": AT}


def test_add_row_stores_the_row_a_flush_of_the_same_instance_stores(db, store):
    def flushed(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        with Session(bind=conn) as session:
            session.add(DiscountCode(**rows[0]))
            session.flush()

    def added(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        with Session(bind=conn) as session:
            bulk.add_row(session, DiscountCode, **rows[0])

    MODELS["discount_codes"] = DiscountCode
    try:
        by_flush = stored_by(db, store.id, "discount_codes", [a_code(store.id)], flushed)
        by_add_row = stored_by(db, store.id, "discount_codes", [a_code(store.id)], added)
    finally:
        del MODELS["discount_codes"]

    assert len(by_flush) == 1
    assert by_add_row == by_flush


def test_add_row_gives_a_persistent_instance_that_reads_without_a_query(db, store):
    statements: list[str] = []
    with db.transaction() as session:
        code = bulk.add_row(session, DiscountCode, **a_code(store.id))
        event.listen(session.connection(), "before_cursor_execute",
                     lambda *args: statements.append(args[2]))
        read = (code.status, code.percent, code.categories, code.skus, code.expires_at,
                code.used_order_id)
        assert inspect(code).persistent
        assert session.get(DiscountCode, code.id) is code
        queried = list(statements)
        code.status = "cancelled"  # and the unit of work updates it like any other row

    assert queried == []
    assert read == ("issued", None, None, ["SKU-1", "SKU-2"], AT, None)
    with db.reading() as session:
        assert session.scalars(select(DiscountCode.status).where(
            DiscountCode.id == code.id)).all() == ["cancelled"]


def test_add_row_refused_by_a_unique_key_raises_integrity_error_and_writes_nothing(db, store):
    with db.transaction() as session:
        bulk.add_row(session, DiscountCode, **a_code(store.id))
    with pytest.raises(IntegrityError), db.transaction() as session:
        bulk.add_row(session, DiscountCode, **{**a_code(store.id), "idempotency_key": "k2"})

    with db.reading() as session:
        assert session.scalars(select(DiscountCode.idempotency_key).where(
            DiscountCode.store_id == store.id)).all() == ["k1"]
