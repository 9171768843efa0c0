"""one_of selects what IN selects, on the database under test; on PostgreSQL its text
does not depend on how many values there are. held keeps what it read for the session."""

from __future__ import annotations

import gc

from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import Session

from afterward import jobs
from afterward.commerce.models import Customer, Store
from afterward.jobs import Job
from afterward.storage.queries import held, one_of


def test_one_of_selects_exactly_the_rows_whose_value_is_listed(db, store):
    with db.transaction() as session:
        ids = [jobs.enqueue(session, "test.record_effect", {}, store_id=store.id)
               for _ in range(5)]
    with db.reading() as session:
        some = sorted(session.scalars(select(Job.id).where(
            one_of(session, Job.id, [ids[3], ids[1], ids[1], -1]))))
        none = list(session.scalars(select(Job.id).where(one_of(session, Job.id, []))))
        kinds = list(session.scalars(select(Job.kind).where(
            one_of(session, Job.kind, {"test.record_effect"}))))

    assert (some, none, kinds) == ([ids[1], ids[3]], [], ["test.record_effect"] * 5)


def test_on_postgresql_the_statement_reads_the_same_for_two_values_or_two_hundred():
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    session = Session(engine)

    def sql(count: int) -> str:
        stmt = select(Customer.id).where(one_of(session, Customer.id, list(range(count))))
        return str(stmt.compile(engine))

    assert sql(2) == sql(200) == (
        "SELECT customers.id \nFROM customers \n"
        "WHERE customers.id = ANY (%(param_1)s::BIGINT[])")


def test_held_reads_a_row_once_per_session_though_nothing_else_keeps_it(db, store):
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        with db.transaction() as session:
            names = [held(session, Store, store.id).slug for _ in range(3)]
            gc.collect()  # the identity map alone would have let the store go
            names.append(held(session, Store, store.id).slug)
            missing = held(session, Store, -1)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)

    assert (names, missing) == ([store.slug] * 4, None)
    assert sum(1 for s in statements if "FROM stores" in s) == 2  # the store, then -1
