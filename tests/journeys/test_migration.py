"""The hand-written journeys migration matches the models, and goes down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from afterward.storage.db import normalize_url
from afterward.storage.migrate import alembic_config, upgrade
from afterward.storage.registry import metadata

TABLES = {"journeys", "journey_versions", "journey_enrolments", "journey_enrolment_steps",
          "event_consumers"}


def test_the_journey_tables_match_the_models(db_url):
    engine = create_engine(normalize_url(db_url))
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(
                conn, opts={"compare_type": True}), metadata())
    finally:
        engine.dispose()
    ours = [d for d in diff if any(t in repr(d) for t in TABLES)]
    assert ours == []


def test_the_migration_goes_down_and_up(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "0004")
    engine = create_engine(url)
    assert TABLES.isdisjoint(inspect(engine).get_table_names())
    engine.dispose()
    upgrade(url)
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) >= TABLES
    engine.dispose()
