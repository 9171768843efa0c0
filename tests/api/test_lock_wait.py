"""On PostgreSQL a statement waits for a lock at most LOCK_WAIT_SECONDS (as a writer
waits for its turn on SQLite): a request stuck behind a transaction that holds its rows
gets a 503 with Retry-After, never a hang, and writes nothing."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from afterward.app import create_app
from afterward.commerce.models import Order
from afterward.storage.db import LOCK_WAIT_SECONDS, Database
from tests.conftest import ON_POSTGRESQL_PASS
from tests.factories import order_body

pytestmark = ON_POSTGRESQL_PASS


def test_every_connection_waits_for_a_lock_as_long_as_a_sqlite_writer_would(db):
    with db.reading() as session:
        shown = session.scalar(text("SHOW lock_timeout"))
    assert (shown, LOCK_WAIT_SECONDS) == ("30s", 30.0)


def test_a_request_behind_a_held_lock_gets_a_503_and_writes_nothing(db_url, store, settings):
    # given a server whose lock wait is cut to a second (the URL's options win), and a
    # transaction elsewhere holding the orders table
    quick_url = db_url + "?options=-c%20lock_timeout%3D1000"
    quick = Database(quick_url)
    app = create_app(replace(settings, database_url=quick_url), quick)
    holder = create_engine(db_url)
    try:
        with holder.connect() as held, TestClient(app) as client:
            held.execute(text("LOCK TABLE orders IN EXCLUSIVE MODE"))
            # when an order is created
            response = client.post("/api/v1/orders", json=order_body("LOCKED-1"),
                                   headers=store.auth)
            held.rollback()
        # then
        assert (response.status_code, response.headers["retry-after"], response.json()) == (
            503, "5", {"error": {"code": "unavailable", "field": None, "message":
                                 "the database is unavailable for a moment: try again shortly"}})
        with quick.reading() as session:
            assert session.scalar(select(func.count()).select_from(Order)) == 0
    finally:
        holder.dispose()
        quick.dispose()
