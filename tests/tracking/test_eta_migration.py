"""Migration 0006 (the stored delivery window and verdicts on shipments) matches the
models and goes down and up again, keeping the shipments."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from afterward.commerce import stores
from afterward.storage.db import Database, normalize_url
from afterward.storage.migrate import alembic_config, upgrade
from afterward.storage.registry import metadata

COLUMNS = {"eta_earliest", "eta_likely", "eta_latest", "eta_level", "delayed_at", "stalled_at"}


def test_the_shipments_table_matches_the_model(db_url):
    engine = create_engine(normalize_url(db_url))
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(
                conn, opts={"compare_type": True}), metadata())
    finally:
        engine.dispose()
    assert [d for d in diff if "shipments" in repr(d)] == []


def columns(url: str) -> set[str]:
    engine = create_engine(normalize_url(url))
    try:
        return {c["name"] for c in inspect(engine).get_columns("shipments")}
    finally:
        engine.dispose()


def test_the_eta_migration_goes_down_and_up_keeping_the_shipments(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url, "0005")
    database = Database(url)
    with database.transaction() as session:
        store_id = stores.create_store(session, slug="acme", name="Acme").id
    database.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO shipments (store_id, direction, token, status, created_at, updated_at) "
            "VALUES (:store, 'outbound', 'tok', 'in_transit', '2024-06-03 00:00:00.000000', "
            "'2024-06-03 00:00:00.000000')"), {"store": store_id})
    engine.dispose()

    upgrade(url)
    assert columns(url) >= COLUMNS
    command.downgrade(alembic_config(url), "0005")
    assert COLUMNS.isdisjoint(columns(url))
    upgrade(url)
    assert columns(url) >= COLUMNS

    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text(
            "SELECT token, status, eta_likely, delayed_at FROM shipments")).all() == [
            ("tok", "in_transit", None, None)]
    engine.dispose()
