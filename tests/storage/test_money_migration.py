"""Migration 0013: money columns hold 64-bit amounts on both databases, match the
models, and go down and up again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from afterward.storage.migrate import alembic_config, upgrade
from tests.factories import order_body
from tests.migrations import differences_from_models

BIG = 987_654_321_000  # IDR 9,876,543,210.00: over 2^31 minor units, under the API's 10^12


def test_the_money_columns_match_the_models(db_url):
    assert differences_from_models(db_url, {"variants", "orders", "order_lines"}) == []


def test_an_order_worth_more_than_two_to_the_31_minor_units_is_stored_exactly(client, store):
    body = order_body("BIG-1", currency="IDR", lines=[
        {"sku": "GOLD", "title": "Gold bar", "quantity": 1, "unit_price_minor": BIG}])

    created = client.post("/api/v1/orders", json=body, headers=store.auth)
    stored = client.get(f"/api/v1/orders/{created.json()['id']}", headers=store.auth).json()

    assert created.status_code == 201
    assert (stored["subtotal_minor"], stored["lines"][0]["unit_price_minor"]) == (BIG, BIG)
    assert stored["total_minor"] == BIG + 495


def test_the_migration_goes_down_to_0012_and_up_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)

    command.downgrade(alembic_config(url), "0012")
    engine = create_engine(url)
    down = {c["name"]: str(c["type"]) for c in inspect(engine).get_columns("orders")}
    engine.dispose()
    upgrade(url)

    assert down["total_minor"] == "INTEGER"
    assert differences_from_models(url, {"variants", "orders", "order_lines"}) == []
