"""What conditions see is read when a condition asks for it: a filter on the parcel
reads the parcel, not the customer and the order with its lines."""

from __future__ import annotations

from sqlalchemy import event

from afterward.journeys import conditions, facts
from afterward.storage.types import utcnow
from tests.messaging.conftest import shop


def statements_while(db, work) -> list[str]:
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        with db.transaction() as session:
            work(session)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return seen


def test_a_condition_on_the_parcel_reads_the_parcel_and_nothing_else(db, store):
    customer_id, order_id, shipment_id, _ = shop(db, store.id)
    refs = facts.Refs(customer_id, order_id, shipment_id)
    node = conditions.parse({"eq": ["shipment.direction", "outbound"]}, "filter", [])
    outcome = []

    def evaluate(session):
        seen = facts.gather(session, store_id=store.id, refs=refs, event=None, now=utcnow())
        outcome.append(conditions.evaluate(node, seen, utcnow()))

    read = statements_while(db, evaluate)

    assert outcome == [True]
    tables = {s.split(" FROM ")[1].split()[0] for s in read if s.startswith("SELECT")}
    # The parcel's columns (its lateness among them, not its lines or scans), and the
    # store's time zone.
    assert tables == {"shipments", "stores"}


def test_facts_read_each_root_once_and_keep_it(db, store):
    customer_id, order_id, shipment_id, _ = shop(db, store.id)
    refs = facts.Refs(customer_id, order_id, shipment_id)
    counted = []

    def twice(session):
        seen = facts.gather(session, store_id=store.id, refs=refs, event=None, now=utcnow())
        counted.append(seen["customer"]["orders_count"])
        counted.append(seen["customer"]["orders_count"])

    read = statements_while(db, twice)

    assert counted == [1, 1]
    assert sum(1 for s in read if s.startswith("SELECT") and " FROM customers " in s + " ") == 1
