"""Fixtures: a migrated database per test (a copied SQLite file by default, a
truncated PostgreSQL database when AFTERWARD_TEST_DATABASE_URL is set), the app,
an HTTP client and store factories."""

from __future__ import annotations

import inspect
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from afterward.app import create_app
from afterward.commerce import stores
from afterward.config import Settings
from afterward.process import freeze_start_up_heap
from afterward.storage.db import LOCK_NOT_AVAILABLE, Database, forget_contents, normalize_url
from afterward.storage.migrate import upgrade
from afterward.worker import load_handlers
from tests.servers import new_postgres_database

PG_URL = os.environ.get("AFTERWARD_TEST_DATABASE_URL", "")
# A test that makes SQLite files of its own (an `afterward bench` suite on SQLite) and
# never reads the test database: once, in the SQLite pass of .ci/run.
ON_SQLITE_PASS = pytest.mark.skipif(bool(PG_URL), reason="uses SQLite files of its own, "
                                    "whatever the test database: runs in the SQLite pass")
# .ci/run's SQLite pass, which a PostgreSQL pass follows: what needs running only once
# against a real server runs in the PostgreSQL pass (a plain `make test` runs it here).
ONCE_ON_POSTGRESQL = pytest.mark.skipif(
    not PG_URL and os.environ.get("AFTERWARD_TEST_POSTGRESQL_PASS_FOLLOWS") == "1",
    reason="runs in the PostgreSQL pass that follows (.ci/run)")
# What only PostgreSQL has (its lock_timeout, the reset between tests): the PostgreSQL
# pass of .ci/run runs it.
ON_POSTGRESQL_PASS = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: runs in the "
                                        "PostgreSQL pass (AFTERWARD_TEST_DATABASE_URL set)")
DATA = Path(__file__).parent / "data"


# What shows a test can reach the PostgreSQL test database: the database fixtures, or a
# source (its module or a fixture's) that reads the URL or starts servers on it.
_REACHES_POSTGRES = re.compile(r"PG_URL|AFTERWARD_TEST_DATABASE_URL|new_postgres_database|"
                               r"tests\.servers|from tests import servers")
_SOURCES: dict[str, bool] = {}


def _mentions_postgres(path: str | None) -> bool:
    if not path:
        return False
    if path not in _SOURCES:
        try:
            _SOURCES[path] = bool(_REACHES_POSTGRES.search(Path(path).read_text("utf-8")))
        except OSError:
            _SOURCES[path] = True  # unreadable: keep the test
    return _SOURCES[path]


def reaches_database(item: pytest.Item) -> bool:
    """Whether the test can touch the test database (and so can differ between the
    SQLite and the PostgreSQL pass)."""
    if "template_url" in getattr(item, "fixturenames", ()):
        return True
    if _mentions_postgres(str(item.path)):
        return True
    info = getattr(item, "_fixtureinfo", None)
    for definitions in (info.name2fixturedefs.values() if info else ()):
        for definition in definitions:
            try:
                source = inspect.getsourcefile(definition.func)
            except TypeError:
                continue
            if source and "/tests/" in source and _mentions_postgres(source):
                return True
    return False


# Module-scoped fixtures that start real servers (their database, one or two `afterward
# serve` processes): each test process running a test of theirs starts its own, so their
# tests are kept together, one group per parameter (one process, two processes).
SHARED_SERVERS = {"tests/api/test_concurrent_writes.py": "served",
                  "tests/web/test_concurrent_forms.py": "site"}


def _in_groups(items: list[pytest.Item]) -> None:
    """Give the tests of SHARED_SERVERS their xdist group (`--dist loadgroup` runs a
    group on one test process), then put every grouped test first: a group is long (a
    schemathesis run, the bigger demo build, a module's servers), and one started last
    would keep one test process busy while the others wait at the end of the run."""
    for item in items:
        fixture = SHARED_SERVERS.get(item.nodeid.split("::")[0])
        callspec = getattr(item, "callspec", None)
        if fixture and callspec is not None and fixture in callspec.params:
            item.add_marker(pytest.mark.xdist_group(
                f"{fixture}-{callspec.params[fixture]}"))
    items.sort(key=lambda item: item.get_closest_marker("xdist_group") is None)


@pytest.hookimpl(tryfirst=True)  # before xdist's, which reads the groups into the ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Grouped tests first (_in_groups). The PostgreSQL pass of .ci/run runs only the
    tests that can reach a database: the others (pure logic, models, parsers, files of
    their own) ran the same in the SQLite pass, and running them again proves nothing.
    Nor do the browser tests (`e2e`): what the browser adds (scripts, focus, layout, the
    phone widths) is the same whichever database served the page; each page's server
    side runs on PostgreSQL in the in-process page tests and the real-server
    concurrency tests (CI's 20 minutes hold the two passes only so)."""
    _in_groups(items)
    if not PG_URL:
        return
    kept = [item for item in items
            if reaches_database(item) and item.get_closest_marker("e2e") is None]
    if len(kept) < len(items):
        keep = set(kept)
        dropped = [item for item in items if item not in keep]
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
        config.stash[_DESELECTED] = len(dropped)


_DESELECTED = pytest.StashKey[int]()


def pytest_report_collectionfinish(config: pytest.Config) -> str | None:
    dropped = config.stash.get(_DESELECTED, 0)
    if not dropped:
        return None
    return (f"{dropped} tests that never reach a database, and the browser tests, are "
            "left to the SQLite pass (tests/conftest.py reaches_database)")


def _worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def template_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    load_handlers()
    if PG_URL:
        return new_postgres_database(normalize_url(PG_URL), f"afterward_test_{_worker_suffix()}")
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return f"sqlite:///{path}"


# The tables a test left rows in, or whose id sequence it used: only those are emptied
# (one probe of every table, ~2 ms), with DELETE and their sequences restarted, foreign
# keys' triggers off for it (session_replication_role: every row of every table that has
# any goes, so nothing is left dangling): ~11 ms, where TRUNCATE ... CASCADE took
# 55-200 ms a test (it truncates every table that refers to a dirty one: all of them
# refer to stores). Without the right to set the role, TRUNCATE as before.
_USED = """
FROM pg_class s
JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_sequences q ON q.sequencename = s.relname AND q.schemaname = 'public'
WHERE s.relkind = 'S' AND q.last_value IS NOT NULL"""
_USED_SEQUENCES = "SELECT t.relname " + _USED
_USED_SEQUENCE_NAMES = "SELECT s.relname " + _USED


# Between tests nothing of an earlier test may hold the test database's rows: the reset
# waits at most this long for a lock, then cuts off the connections that held it (a
# process or thread an earlier test left running), says so in LEFTOVERS and in the run's
# summary, and empties the database: the next test starts clean instead of the run
# waiting forever on a lock.
RESET_LOCK_TIMEOUT = "30s"
LEFTOVERS = Path(__file__).resolve().parent.parent / "test-artifacts" / "pg-leftovers.log"


def cut_off_leftovers(engine: Engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT pid, application_name, state, xact_start, left(query, 300) "
            "FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state <> 'idle'")).all()  # idle: holds no lock
        for row in rows:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": row[0]})
        conn.commit()
    LEFTOVERS.parent.mkdir(exist_ok=True)
    with LEFTOVERS.open("a", encoding="utf-8") as log:
        for row in rows:
            log.write(f"{_worker_suffix()} before {os.environ.get('PYTEST_CURRENT_TEST')}: "
                      f"cut off {tuple(row)}\n")


@pytest.fixture(scope="session")
def _pg_reset(template_url: str) -> Iterator[Callable[[], None]]:
    """Empties the PostgreSQL test database as a fresh one would be: rows gone, ids
    starting at 1 again."""
    engine = create_engine(template_url)
    state = {"deletes": True}

    def reset() -> None:
        try:
            empty()
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            cut_off_leftovers(engine)
            empty()

    def empty() -> None:
        with engine.begin() as conn:
            conn.execute(text(f"SET LOCAL lock_timeout = '{RESET_LOCK_TIMEOUT}'"))
            tables = conn.execute(text(  # read each time: a test may add a module's
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version' ORDER BY tablename")).scalars().all()
            probe = " UNION ".join([*(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {t})"
                                      for t in tables), _USED_SEQUENCES])
            dirty = sorted(set(conn.execute(text(probe)).scalars()))
            if not dirty:
                return
            if state["deletes"]:
                try:
                    with conn.begin_nested():
                        conn.execute(text("SET LOCAL session_replication_role = replica"))
                except Exception:  # not a superuser here: TRUNCATE from now on
                    state["deletes"] = False
            if state["deletes"]:
                for table in dirty:
                    conn.execute(text(f'DELETE FROM "{table}"'))
                for sequence in conn.execute(text(_USED_SEQUENCE_NAMES)).scalars().all():
                    conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
            else:
                names = ", ".join('"' + table + '"' for table in dirty)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))

    yield reset
    engine.dispose()


@pytest.fixture(scope="session")
def _test_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("test-db") / "afterward.db"


@pytest.fixture
def db_url(template_url: str, _test_file: Path, request: pytest.FixtureRequest) -> str:
    """The test's database: the template copied to the one path of this test process
    (SQLite), or the emptied PostgreSQL test database. On SQLite the earlier test's
    files are unlinked first, never written over: a connection someone left open keeps
    the old file, not a half-copied new one."""
    if template_url.startswith("postgresql"):
        request.getfixturevalue("_pg_reset")()
        return template_url
    for path in (_test_file, *(_test_file.with_name(_test_file.name + end)
                               for end in ("-wal", "-shm", "-journal"))):
        path.unlink(missing_ok=True)
    shutil.copyfile(template_url.removeprefix("sqlite:///"), _test_file)
    return f"sqlite:///{_test_file}"


# One Database per test process and URL (so one engine), its connections closed after
# each test: SQLAlchemy compiles a statement once per engine, and a new engine for each
# test compiled every statement again, ~15 % of an in-process test's CPU. What the
# process remembers of the earlier test's rows is forgotten (storage/db.forget_contents).
_DATABASES: dict[str, Database] = {}


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = _DATABASES.get(db_url)
    if database is None:
        database = _DATABASES[db_url] = Database(db_url)
    forget_contents()
    yield database
    database.dispose()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, secret_key="test-secret-key-0123456789",
                    public_url="http://testserver")


@pytest.fixture
def app(settings: Settings, db: Database):
    """An app of the test's own (~3 ms once the modules are imported: the routes are
    the ones their routers built, api/route_index.py)."""
    return create_app(settings, db)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


class StoreHandle:
    def __init__(self, store_id: int, slug: str, api_key: str) -> None:
        self.id, self.slug, self.api_key = store_id, slug, api_key

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


@pytest.fixture
def make_store(db: Database):
    def make(slug: str = "acme", *, currency: str = "USD", timezone: str = "UTC",
             shopify_secret: str | None = None) -> StoreHandle:
        with db.transaction() as session:
            store = stores.create_store(session, slug=slug, name=slug.title(), currency=currency,
                                        timezone=timezone)
            key = stores.issue_api_key(session, store=store)
            if shopify_secret:
                stores.set_webhook_secret(session, store=store, provider="shopify",
                                          secret=shopify_secret)
            return StoreHandle(store.id, store.slug, key)

    return make


@pytest.fixture
def store(make_store) -> StoreHandle:
    return make_store("acme", shopify_secret="shpss_test_secret")


@pytest.fixture
def cli_on_test_database(monkeypatch: pytest.MonkeyPatch, db_url: str,
                         tmp_path: Path) -> None:
    """`afterward` commands run in the test (typer's CliRunner) on the test's database,
    from an empty working directory; a module takes it with
    `pytestmark = pytest.mark.usefixtures("cli_on_test_database")`."""
    monkeypatch.setenv("AFTERWARD_DATABASE_URL", db_url)
    monkeypatch.setenv("AFTERWARD_SECRET_KEY", "cli-test-secret-0123456789")
    monkeypatch.chdir(tmp_path)


def pytest_collection_finish(session: pytest.Session) -> None:
    """A test process lives as long as a server and walks as big a heap: the collected
    tests, modules and fixtures are moved out of the garbage collector's sight, as a
    server's start-up is (afterward/process.py). tests/loyalty, journeys and returns
    ran in 77-81 s with it against 89 s without."""
    freeze_start_up_heap()


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the controlling process, once
        LEFTOVERS.unlink(missing_ok=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Connections the PostgreSQL reset had to cut off (cut_off_leftovers): each names
    the test before which it was found, so the one that leaked it can be mended."""
    if hasattr(terminalreporter.config, "workerinput") or not LEFTOVERS.exists():
        return
    terminalreporter.section("connections left by earlier tests, cut off by the reset")
    terminalreporter.write(LEFTOVERS.read_text(encoding="utf-8"))
