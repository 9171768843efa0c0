"""Migration 0012 (throttle counts, previous secrets) matches the models and goes
down and up again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from afterward.storage.migrate import alembic_config, upgrade
from tests.migrations import differences_from_models

TABLES = {"throttle_hits", "webhook_secrets", "webhook_endpoints"}
PREVIOUS = {"previous_secret", "previous_expires_at"}


def columns(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_the_throttle_and_secret_tables_match_the_models(db_url):
    assert differences_from_models(db_url, TABLES) == []


def test_the_migration_goes_down_to_0011_and_up_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)

    command.downgrade(alembic_config(url), "0011")
    engine = create_engine(url)
    after_down = set(inspect(engine).get_table_names())
    engine.dispose()
    down_columns = columns(url, "webhook_secrets") | columns(url, "webhook_endpoints")
    upgrade(url)

    assert "throttle_hits" not in after_down
    assert PREVIOUS.isdisjoint(down_columns)
    assert columns(url, "webhook_secrets") >= PREVIOUS
    assert columns(url, "webhook_endpoints") >= PREVIOUS
    assert columns(url, "throttle_hits") == {"scope", "key_hash", "hits", "expires_at"}
