"""What a process remembers of a database's rows is dropped when the database is
replaced under it (storage/db.forget_contents): the tests give every test a fresh copy
under one engine, as a restore from a backup would."""

from __future__ import annotations

from afterward import jobs
from afterward.feedback import publishing
from afterward.messaging import context
from afterward.storage.db import forget_contents
from afterward.worker import EventNudge


def test_every_memory_of_the_rows_is_forgotten(db, store):
    assert jobs._sweep_due(db.engine) is True
    with db.reading() as session:
        assert context.recommended(session, store_id=store.id, product_ids=[1]) == []
        assert publishing.cached(session, (1, None), ("page",), lambda: "made") == "made"
    EventNudge._seen[db.url] = 7
    assert (jobs._sweep_due(db.engine), len(context._RECOMMENDED[db.read_engine]),
            len(publishing._CACHES[db.read_engine].entries)) == (False, 1, 1)

    forget_contents()

    assert (len(jobs._last_sweep), len(context._RECOMMENDED), len(publishing._CACHES),
            EventNudge._seen) == (0, 0, 0, {})
    assert jobs._sweep_due(db.engine) is True


def test_a_test_s_database_starts_with_nothing_remembered_of_the_last_one(db):
    assert (len(jobs._last_sweep), len(context._RECOMMENDED), len(publishing._CACHES),
            EventNudge._seen) == (0, 0, 0, {})
