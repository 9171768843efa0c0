from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from afterward.accounts import service as accounts
from afterward.demo.build import DemoSummary, build_demo
from afterward.storage.db import Database
from tests.conftest import PG_URL
from tests.servers import fresh_database
from tests.web.helpers import CHEAP_HASHER

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
SECRET = "test-secret-key-0123456789"
# Two years of a small store, the last 100 days of them replayed through every module
# (31 s of CPU on SQLite; 150 days took 38 s and checked nothing more, 60 days
# leave a journey without holdout customers): every built-in journey with a holdout
# gets treated and holdout customers, and some parcels are late.
CUSTOMERS, ORDERS, DAYS, REPLAY_DAYS = 150, 170, 730, 100
SIZES = {"customers": CUSTOMERS, "orders": ORDERS, "days": DAYS, "replay_days": REPLAY_DAYS,
         "seed": 7}
SWITCHED_ON = datetime(2026, 1, 15, tzinfo=UTC) - timedelta(days=REPLAY_DAYS)  # midnight

# The tests of the one bigger build (SIZES): on one test process, so it is built once;
# and on SQLite, the demo's own database (`make demo`). The PostgreSQL pass builds small
# demos end to end instead (test_rerun.py: the history, the replay through journeys,
# loyalty and returns, a fresh process running every job it queued): the bigger build
# takes over two minutes there, which the suite's time budget cannot hold, and what
# these tests check of it (the history's shape, what the replay did) is the same on
# either database.
BIG_BUILD = [pytest.mark.xdist_group("demo_build"),
             pytest.mark.skipif(bool(PG_URL), reason="the bigger demo build is checked on "
                                "SQLite; the PostgreSQL pass builds small demos end to end "
                                "(test_rerun.py)")]


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", lambda: CHEAP_HASHER)


@pytest.fixture(scope="session")
def built(template_url: str,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, DemoSummary]]:
    """One small demo build shared by the read-only tests (a test that writes rolls
    back), in a database of its own: the other tests of the process empty theirs."""
    url = fresh_database(template_url, tmp_path_factory.mktemp("demo"), "demo")
    database = Database(url)
    patch = pytest.MonkeyPatch()
    patch.setattr(accounts, "hasher", lambda: CHEAP_HASHER)
    summary = build_demo(database, secret_key=SECRET, now=NOW, **SIZES)
    patch.undo()
    yield database, summary
    database.dispose()
