"""Cursors over a store's events (afterward/event_cursors.py), shared by the journeys',
loyalty's and the returns' consumers."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text

from afterward import event_cursors
from afterward.event_cursors import EventConsumer
from afterward.events import Event, record


@pytest.mark.parametrize(("xid32", "upcoming", "full"), [
    (700, 1000, 700),
    (700, (3 << 32) | 1000, (3 << 32) | 700),
    (0xFFFFFF00, (3 << 32) | 5, (2 << 32) | 0xFFFFFF00),  # the epoch turned since it began
    (1005, 1000, 1005),  # running, above the snapshot's xmax (no later one ended yet)
    (5, (2 << 32) | 0xFFFFFF00, (3 << 32) | 5),  # and the epoch turned since xmax's
])
def test_a_32_bit_transaction_id_widens_to_the_one_nearest_the_snapshot(xid32, upcoming, full):
    assert event_cursors.widen_xid(xid32, upcoming) == full


def test_a_new_cursor_starts_after_the_store_s_latest_event_and_reads_what_follows(db, store):
    with db.transaction() as session:
        record(session, store_id=store.id, name="order.created", subject_type="order",
               subject_id=1)
    with db.transaction() as session:
        row = event_cursors.open_cursor(session, "test:1", store.id)
        assert not event_cursors.behind(session, row, store.id)
        record(session, store_id=store.id, name="shipment.delivered", subject_type="shipment",
               subject_id=2)
        record(session, store_id=store.id, name="order.updated", subject_type="order",
               subject_id=1)
        every = [e.name for e in session.scalars(event_cursors.after(row, store.id, None))]
        parcels = [e.name for e in session.scalars(event_cursors.after(
            row, store.id, None, Event.subject_type == "shipment"))]
        assert event_cursors.behind(session, row, store.id, Event.subject_type == "shipment")
        assert not event_cursors.behind(session, row, store.id, Event.subject_type == "return")

    assert every == ["shipment.delivered", "order.updated"]
    assert parcels == ["shipment.delivered"]


def test_opening_a_cursor_again_finds_the_same_row(db, store):
    with db.transaction() as session:
        first = event_cursors.open_cursor(session, "test:2", store.id)
        first.last_event_id = 41
    with db.transaction() as session:
        again = event_cursors.open_cursor(session, "test:2", store.id)
        assert again.last_event_id == 41
        assert session.get(EventConsumer, "test:2") is again


def test_the_horizon_moves_on_within_one_transaction_once_an_older_one_ends(db, db_url):
    """PostgreSQL keeps what pg_stat_activity showed for the rest of a transaction: a
    consumer looping in one transaction would hold back every newer event forever
    (the loyalty bulk test spun so until CI's time ran out)."""
    if db.backend != "postgresql":
        pytest.skip("PostgreSQL only: the horizon is SQLite's None (this runs in the "
                    "PostgreSQL pass of .ci/run)")
    other = create_engine(db_url)
    try:
        with other.connect() as older:
            xid = older.execute(text("SELECT pg_current_xact_id()::text::bigint")).scalar_one()
            with db.transaction() as session:
                while_open = event_cursors.oldest_running_txid(session)
                older.rollback()
                after_it_ended = event_cursors.oldest_running_txid(session)
    finally:
        other.dispose()

    assert while_open == xid
    assert after_it_ended is not None and after_it_ended > xid


def test_the_horizon_lets_a_transaction_read_its_own_events_when_it_is_the_newest(db, store):
    """The snapshot's xmax may be this transaction's own id (nothing newer has ended):
    its own events are still below the horizon."""
    if db.backend != "postgresql":
        pytest.skip("PostgreSQL only: the horizon is SQLite's None (this runs in the "
                    "PostgreSQL pass of .ci/run)")
    with db.transaction() as session:
        record(session, store_id=store.id, name="order.created", subject_type="order",
               subject_id=1)
        session.flush()
        own = session.scalar(text("SELECT pg_current_xact_id()::text::bigint"))
        horizon = event_cursors.oldest_running_txid(session)
        [mine] = session.scalars(select(Event.txid).where(Event.store_id == store.id))

    assert mine == own
    assert horizon is not None and horizon > own
