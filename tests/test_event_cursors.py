"""Cursors over a store's events (afterward/event_cursors.py), shared by the journeys',
loyalty's and the returns' consumers."""

from __future__ import annotations

import pytest

from afterward import event_cursors
from afterward.event_cursors import EventConsumer
from afterward.events import Event, record


@pytest.mark.parametrize(("xid32", "upcoming", "full"), [
    (700, 1000, 700),
    (700, (3 << 32) | 1000, (3 << 32) | 700),
    (0xFFFFFF00, (3 << 32) | 5, (2 << 32) | 0xFFFFFF00),  # the epoch turned since it began
])
def test_a_32_bit_transaction_id_widens_below_the_next_one(xid32, upcoming, full):
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
