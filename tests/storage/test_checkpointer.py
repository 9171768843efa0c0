"""A serving process checkpoints SQLite's WAL from a thread of its own, never in a
request's commit."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import text

from afterward.events import record
from afterward.storage.db import Database


@pytest.fixture
def sqlite_db(db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("the WAL and its checkpoints are SQLite's (PostgreSQL has its own)")
    database = Database(db_url)
    yield database
    database.dispose()


def test_requests_no_longer_checkpoint_and_the_thread_does(sqlite_db, store):
    path = sqlite_db.url.removeprefix("sqlite:///")
    sqlite_db.checkpoint_in_background(every=0.05)
    size_before = os.path.getsize(path)
    with sqlite_db.transaction() as session:
        setting = session.execute(text("PRAGMA wal_autocheckpoint")).scalar()
        for n in range(2000):
            record(session, store_id=store.id, name="order.created", subject_type="order",
                   subject_id=n, payload={"padding": "x" * 200})

    # New pages reach the database file only through a checkpoint, and only the
    # thread runs one now. The deadline is a bound, not a speed (it runs every 0.05 s).
    deadline = time.monotonic() + 30
    checkpointer = sqlite_db._checkpointer
    assert checkpointer is not None and checkpointer.is_alive()
    while os.path.getsize(path) == size_before and time.monotonic() < deadline:
        time.sleep(0.05)

    assert setting == 0
    assert os.path.getsize(path) > size_before
    sqlite_db.dispose()
    assert not checkpointer.is_alive()


def test_a_second_call_starts_no_second_thread(sqlite_db):
    sqlite_db.checkpoint_in_background(every=0.05)
    first = sqlite_db._checkpointer
    sqlite_db.checkpoint_in_background(every=0.05)

    assert sqlite_db._checkpointer is first
