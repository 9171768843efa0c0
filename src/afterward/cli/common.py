"""Helpers every command shares: settings, the database, failing with one line."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from afterward.commerce import stores
from afterward.commerce.models import Store
from afterward.config import Settings
from afterward.storage.db import Database

console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:
        fail(str(exc))


def database(config: Settings | None = None) -> Database:
    config = config or settings()
    try:
        return Database(config.database_url)
    except Exception as exc:  # bad URL, missing driver
        fail(f"cannot open database {config.database_url!r}: {exc}")


def migrated_database(config: Settings | None = None) -> Database:
    from afterward.storage.migrate import upgrade_if_behind

    config = config or settings()
    try:
        upgrade_if_behind(config.database_url)
    except Exception as exc:
        fail(f"cannot migrate {config.database_url!r}: {exc}")
    return database(config)


def store_named(session: Session, slug: str) -> Store:
    """The store with this slug, or fail with `no store 'slug'`."""
    found = stores.get_by_slug(session, slug)
    if found is None:
        fail(f"no store {slug!r}")
    return found


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, default=str) + "\n")
