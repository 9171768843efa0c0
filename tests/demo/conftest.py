from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from afterward.accounts import service as accounts
from afterward.demo.build import DemoSummary, build_demo
from afterward.storage.db import Database
from tests.web.helpers import CHEAP_HASHER

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
SECRET = "test-secret-key-0123456789"
# Two years of a small store, the last 150 days of them replayed through the journeys
# (about 15 s on SQLite): every built-in journey with a holdout gets treated and holdout
# customers, and some parcels are late.
CUSTOMERS, ORDERS, DAYS, REPLAY_DAYS = 150, 170, 730, 150
SIZES = {"customers": CUSTOMERS, "orders": ORDERS, "days": DAYS, "replay_days": REPLAY_DAYS,
         "seed": 7}
SWITCHED_ON = datetime(2025, 8, 18, tzinfo=UTC)  # midnight, REPLAY_DAYS before NOW


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", lambda: CHEAP_HASHER)


def _fresh_url(template_url: str, directory: Path) -> str:
    if template_url.startswith("postgresql"):
        engine = create_engine(template_url)
        with engine.begin() as conn:
            tables = [r[0] for r in conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"))]
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return template_url
    target = directory / "demo.db"
    shutil.copyfile(template_url.removeprefix("sqlite:///"), target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def built(template_url: str,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, DemoSummary]]:
    """One small demo build shared by the read-only tests (a test that writes rolls
    back)."""
    url = _fresh_url(template_url, tmp_path_factory.mktemp("demo"))
    database = Database(url)
    patch = pytest.MonkeyPatch()
    patch.setattr(accounts, "hasher", lambda: CHEAP_HASHER)
    summary = build_demo(database, secret_key=SECRET, now=NOW, **SIZES)
    patch.undo()
    yield database, summary
    database.dispose()
