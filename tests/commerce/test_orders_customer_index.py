"""Migration 0032: a customer's orders indexed with when they were placed, so whether
an order is its customer's first is answered from the index alone."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from afterward.loyalty import bulk
from afterward.storage.migrate import alembic_config, upgrade
from tests.migrations import fresh_at_head


def customer_index_columns(url: str) -> list[str | None]:
    engine = create_engine(url)
    try:
        [index] = [i for i in inspect(engine).get_indexes("orders")
                   if i["name"] == "ix_orders_store_customer"]
    finally:
        engine.dispose()
    return index["column_names"]


def test_the_index_goes_down_to_the_customer_alone_and_up_with_the_moment_again(tmp_path):
    url = fresh_at_head(tmp_path)
    at_head = customer_index_columns(url)

    command.downgrade(alembic_config(url), "0031")
    after_down = customer_index_columns(url)
    upgrade(url)

    assert at_head == ["store_id", "customer_id", "placed_at"]
    assert after_down == ["store_id", "customer_id"]
    assert customer_index_columns(url) == at_head


def test_bulk_earning_tells_a_first_order_from_the_index_alone_on_sqlite(db):
    compiled = bulk._ORDERS.compile(dialect=db.engine.dialect)
    expanded = compiled.construct_expanded_state({"ids": [1]})
    if db.backend != "sqlite":  # PostgreSQL plans by its statistics: the index is checked
        assert customer_index_columns(db.url) == ["store_id", "customer_id", "placed_at"]
        return
    with db.engine.connect() as conn:
        plan = [row[3] for row in conn.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {expanded.statement}", tuple(expanded.positional_parameters))]

    assert "SEARCH orders_1 USING COVERING INDEX ix_orders_store_customer " \
           "(store_id=? AND customer_id=?)" in plan
