"""Shared checks for each migration: its tables match the models, and it goes down and up."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from afterward.storage.db import normalize_url
from afterward.storage.migrate import alembic_config, upgrade
from afterward.storage.registry import metadata


def differences_from_models(db_url: str, tables: set[str]) -> list[object]:
    """What autogenerate would change in these tables (nothing, when they match)."""
    engine = create_engine(normalize_url(db_url))

    def on_this_database(obj: object, *_: object) -> bool:
        # Autogenerate does not read Index.ddl_if: an index made on one database only.
        ddl_if = getattr(obj, "_ddl_if", None)
        return ddl_if is None or ddl_if.dialect in (None, engine.dialect.name)

    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": on_this_database}),
                metadata())
    finally:
        engine.dispose()
    return [d for d in diff if any(t in repr(d) for t in tables)]


def tables_after_down_and_up(tmp_path: Path, down_to: str) -> tuple[set[str], set[str]]:
    """A fresh SQLite file upgraded to head (a copy of one upgraded once per test
    process), downgraded to `down_to`, upgraded again; the table names after the
    downgrade and after the second upgrade."""
    url = fresh_at_head(tmp_path)
    command.downgrade(alembic_config(url), down_to)
    engine = create_engine(url)
    after_down = set(inspect(engine).get_table_names())
    engine.dispose()
    upgrade(url)
    engine = create_engine(url)
    after_up = set(inspect(engine).get_table_names())
    engine.dispose()
    return after_down, after_up


def fresh_at_head(tmp_path: Path) -> str:
    """The URL of a fresh SQLite file at head in `tmp_path` (a copy of one upgraded once
    per test process)."""
    shutil.copyfile(_upgraded_once(), tmp_path / "fresh.db")
    return f"sqlite:///{tmp_path / 'fresh.db'}"


@cache
def _upgraded_once() -> Path:
    folder = tempfile.mkdtemp(prefix="afterward-migrated-")
    atexit.register(shutil.rmtree, folder, True)
    path = Path(folder) / "head.db"
    upgrade(f"sqlite:///{path}")
    return path
