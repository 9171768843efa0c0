"""The PostgreSQL reset between tests (tests/conftest.py): a connection an earlier test
left holding the database's rows is cut off and named, never waited for forever."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError

import tests.conftest as suite
from afterward.commerce.models import Store
from tests.conftest import ON_POSTGRESQL_PASS

pytestmark = ON_POSTGRESQL_PASS


def test_a_leftover_connection_holding_a_row_is_cut_off_and_named(
        db, db_url, store, _pg_reset, tmp_path, monkeypatch):
    # given a connection left open in a transaction that holds the store's row
    monkeypatch.setattr(suite, "RESET_LOCK_TIMEOUT", "1s")
    monkeypatch.setattr(suite, "LEFTOVERS", tmp_path / "leftovers.log")
    leftover = create_engine(db_url).connect()
    leftover.execute(text("SELECT id FROM stores WHERE id = :id FOR UPDATE"), {"id": store.id})
    try:
        # when the next test's reset runs
        _pg_reset()

        # then the database is empty, the leftover is gone, and the log names it
        with db.reading() as session:
            assert session.scalar(select(func.count()).select_from(Store)) == 0
        with pytest.raises(OperationalError):
            leftover.execute(text("SELECT 1"))
    finally:
        leftover.invalidate()
        leftover.engine.dispose()
    [line] = (tmp_path / "leftovers.log").read_text().splitlines()
    assert "cut off" in line and "FOR UPDATE" in line and "idle in transaction" in line
