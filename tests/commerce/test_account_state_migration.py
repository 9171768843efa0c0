"""Migration 0033: a customer's account state on the store platform, a nullable
column that goes away on the way down and comes back empty."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect, text

from afterward.commerce import customers, stores
from afterward.commerce.schemas import CustomerIn
from afterward.storage.db import Database
from afterward.storage.migrate import alembic_config, upgrade
from afterward.storage.types import utcnow
from tests.migrations import fresh_at_head


def customer_columns(url: str) -> dict[str, bool]:
    engine = create_engine(url)
    try:
        return {c["name"]: c["nullable"] for c in inspect(engine).get_columns("customers")}
    finally:
        engine.dispose()


def test_the_account_state_column_goes_down_and_comes_back_empty(tmp_path):
    url = fresh_at_head(tmp_path)
    db = Database(url)
    with db.transaction() as session:
        store_id = stores.create_store(session, slug="acme", name="Acme", currency="EUR").id
        customer_id, _ = customers.save_customer(session, store_id=store_id,
                                                 data=CustomerIn(email="ada@example.com"))
        customers.account_seen(session, store_id=store_id, customer_id=customer_id,
                               state="enabled", opened_at=utcnow(),
                               created_on_platform=True, source="shopify")
    db.dispose()

    command.downgrade(alembic_config(url), "0032")
    after_down = customer_columns(url)
    upgrade(url)

    assert "account_state" not in after_down
    assert customer_columns(url)["account_state"] is True
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT email, account_state FROM customers")).all() == [
            ("ada@example.com", None)]
    engine.dispose()
