"""commerce's job handlers: customers.refresh_stats for one customer or many."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from afterward.commerce import service
from afterward.commerce.ingest.csv_import import import_orders
from afterward.commerce.jobs import refresh_stats
from afterward.commerce.models import Customer, Order
from afterward.commerce.schemas import CustomerIn
from afterward.jobs import JobContext, PermanentError
from tests.commerce.test_csv_format import row, text


def stats(db) -> dict[str, tuple]:
    with db.reading() as session:
        return {c.email: (c.orders_count, c.total_spent_minor, c.first_order_at,
                          c.last_order_at)
                for c in session.scalars(select(Customer).order_by(Customer.id))}


def test_one_job_recomputes_the_stats_of_many_customers_from_their_orders(db, store):
    import_orders(db, store_id=store.id, parallel=False, source=text(
        row("1001"), row("1002", placed_at="2026-03-02T08:30:00Z"),
        row("1003", email="grace@example.com"), row("1004", email="grace@example.com"),
    ).encode())
    with db.transaction() as session:
        lonely = service.upsert_customer(session, store_id=store.id,
                                         data=CustomerIn(email="lonely@example.com"))[0]
        session.execute(update(Order).where(Order.number == "1004").values(status="cancelled"))
        ids = list(session.scalars(select(Customer.id)))

    with db.transaction() as session:
        refresh_stats(session, JobContext(1, store.id, 1, {"customer_ids": ids}))

    first = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert stats(db) == {
        "ada@example.com": (2, 2 * 1395, first, datetime(2026, 3, 2, 8, 30, tzinfo=UTC)),
        "grace@example.com": (1, 1395, first, first),
        "lonely@example.com": (0, 0, None, None),
    }
    assert lonely.email == "lonely@example.com"


@pytest.mark.parametrize("payload", [{}, {"customer_ids": "7"}, {"customer_ids": [True]},
                                     {"customer_ids": [1.5]}, {"customer_id": "x"}])
def test_a_refresh_job_without_customer_ids_fails_for_good_and_changes_nothing(
        db, store, payload):
    import_orders(db, store_id=store.id, parallel=False, source=text(row("1001")).encode())
    before = stats(db)

    with db.transaction() as session, pytest.raises(PermanentError, match="customer_id"):
        refresh_stats(session, JobContext(1, store.id, 1, payload))

    assert stats(db) == before
