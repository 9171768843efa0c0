"""Engine, sessions and the transaction boundary. Nothing is created at import time."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool

from afterward.storage.turns import Turns

T = TypeVar("T")

# Enough connections for every thread that may hold one at once (the server's thread
# pool is 40), so a request waits for the database, never for a connection; the
# checkout timeout is short, and running out is a 503, not a hang.
POOL_SIZE, POOL_OVERFLOW, POOL_TIMEOUT = 5, 45, 10
PG_CONNECT_TIMEOUT = 5
# PostgreSQL's SQLSTATEs for "try the transaction again": serialization failure, deadlock.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
UNIQUE_VIOLATION = "23505"
# SQLite: the longest a writer waits for its turn in this process (SQLite's own busy
# timeout, for writers in other processes, is the same).
WRITE_WAIT_SECONDS = 30.0



# PostgreSQL SQLSTATE classes and codes that mean "the server is not there right now",
# or (55P03) that a lock did not come within LOCK_WAIT_SECONDS.
LOCK_NOT_AVAILABLE = "55P03"
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300", LOCK_NOT_AVAILABLE)
# PostgreSQL: the longest a statement waits for a row, table or advisory lock (its
# lock_timeout), as long as a writer waits on SQLite: a transaction stuck holding a
# lock makes the requests behind it a 503 with Retry-After, never a hang.
LOCK_WAIT_SECONDS = WRITE_WAIT_SECONDS


# What a process remembers of a database's rows between transactions (when it last
# swept expired job leases, co-purchase counts, the newest event it handled): each such
# memory registers here how to drop it. forget_contents() drops them all, for a
# database whose contents were replaced under the running process (restored from a
# backup; in the tests, a fresh copy for each test under one engine).
_MEMORIES: list[Callable[[], None]] = []


def remembers_contents(forget: Callable[[], None]) -> None:
    """Register how to drop one memory of the database's rows (forget_contents)."""
    _MEMORIES.append(forget)


def forget_contents() -> None:
    """Drop everything this process remembers of its databases' rows."""
    for forget in _MEMORIES:
        forget()


def engine_of(session: Session) -> Engine:
    """The engine a session's statements run on (its bind, or the bind's engine)."""
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def unavailable(exc: DBAPIError) -> bool:
    """Is this the database being down, restarting or busy, rather than a bug?"""
    state = str(getattr(exc.orig, "sqlstate", "") or "")
    if exc.connection_invalidated or state.startswith(_UNAVAILABLE_STATES):
        return True
    text = str(exc.orig).lower()
    return any(sign in text for sign in ("database is locked", "connection refused",
                                         "server closed the connection", "connection failed",
                                         "terminating connection", "the database system is"))


class DatabaseBusy(Exception):
    """No turn to write came in time: the caller should try again later (a 503)."""


class Base(DeclarativeBase):
    pass


def backend_name(url: str) -> str:
    return "postgresql" if make_url(url).get_backend_name().startswith("postgres") else "sqlite"


def normalize_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and pin the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(
    url: str, *, pool: bool = True, echo: bool = False, immediate: bool = True
) -> Engine:
    url = normalize_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if pool:
        kwargs.update(pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_timeout=POOL_TIMEOUT)
    else:
        kwargs["poolclass"] = NullPool
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if ":memory:" in url or url in {"sqlite://", "sqlite:///"}:
            raise ValueError("in-memory SQLite is not supported: use a file path")
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin_immediate if immediate else _sqlite_begin)
        return engine
    # The URL's own `options`, if any, come after ours, so a lock_timeout given there wins.
    options = f"-c lock_timeout={int(LOCK_WAIT_SECONDS * 1000)} " + str(
        make_url(url).query.get("options", ""))
    kwargs["connect_args"] = {"connect_timeout": PG_CONNECT_TIMEOUT, "options": options.strip()}
    if pool:
        kwargs["pool_pre_ping"] = True  # a restarted server's dead connections are replaced
    return create_engine(url, **kwargs)


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (so BEGIN IMMEDIATE works).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    _use_wal(cur)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    # A bigger page cache and rarer checkpoints: each checkpoint writes back and fsyncs,
    # and with more commits between them the same hot index pages are written once.
    cur.execute("PRAGMA cache_size=-65536")
    cur.execute("PRAGMA wal_autocheckpoint=8000")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def _use_wal(cur: Any, patience: float = 30.0) -> None:
    """WAL mode is kept in the file, so usually there is nothing to change. Changing
    it needs the database to itself, and SQLite answers "database is locked" at once,
    without its busy timeout, while another connection writes: try again a while."""
    if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + patience
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_begin_immediate(conn: Any) -> None:
    # Writers take the lock at BEGIN, so two writers never deadlock upgrading a read lock.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")


@contextmanager
def side_transaction(session: Session) -> Iterator[Session]:
    """A short transaction of its own next to the caller's, on the same database,
    committed when the block ends. For state that must be durable before the caller's
    transaction ends, such as "sending" before a network call."""
    own = Session(bind=session.get_bind(), expire_on_commit=False)
    try:
        yield own
        own.commit()
    except BaseException:
        own.rollback()
        raise
    finally:
        own.close()


class Database:
    """One per process: owns the engine and the session factory."""

    def __init__(self, url: str, *, pool: bool = True) -> None:
        self.url = normalize_url(url)
        self.backend = backend_name(self.url)
        self.engine = make_engine(self.url, pool=pool)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        # SQLite readers begin deferred so pages never queue behind the writer lock.
        self.read_engine = (
            make_engine(self.url, pool=pool, immediate=False)
            if self.backend == "sqlite"
            else self.engine
        )
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)
        self._write_lock = Turns() if self.backend == "sqlite" else None
        self._checkpointer: _Checkpointer | None = None
        if self.backend == "sqlite":
            event.listen(self.engine, "connect", self._sqlite_connected)

    @property
    def write_lock(self) -> Turns | None:
        """SQLite: the lock this process's writers take turns through (None elsewhere)."""
        return self._write_lock

    def _sqlite_connected(self, dbapi_conn: Any, _record: Any) -> None:
        if self._checkpointer is not None:
            dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")

    def checkpoint_in_background(self, every: float = 1.0) -> None:
        """SQLite, long-running servers and workers: copy the WAL back into the database
        from a thread of its own every `every` seconds, instead of in whichever
        request's or batch's commit crosses the threshold (it would wait 40-150 ms)."""
        if self.backend != "sqlite" or self._checkpointer is not None:
            return
        self._checkpointer = _Checkpointer(self.url.removeprefix("sqlite:///"), every)
        self.engine.dispose()  # pooled connections were opened with automatic checkpoints
        self._checkpointer.start()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """The unit of work: commit on success, roll back on any exception. Enter and
        leave it in one thread, within one call (never across a generator's yield that
        another thread resumes: the lock below belongs to the thread that took it).

        On SQLite, threads of one process take turns through a lock before BEGIN
        IMMEDIATE, in the order they came (storage/turns.py): SQLite's own busy
        handler sleeps in steps of up to 100 ms, which wrecks latency when a
        process's threads queue on it, and serves no one in order."""
        if self._write_lock is None:
            yield from self._transaction()
            return
        if not self._write_lock.acquire(timeout=WRITE_WAIT_SECONDS):
            raise DatabaseBusy(f"no turn to write within {WRITE_WAIT_SECONDS:.0f} s")
        try:
            yield from self._transaction()
        finally:
            self._write_lock.release()

    def run(self, work: Callable[[Session], T], *, attempts: int = 3) -> T:
        """Run `work` as one unit of work: in one transaction, in the calling thread,
        committed before this returns. A transaction that lost a race is run again
        from the start: on PostgreSQL a serialization failure or deadlock, and on
        either database a unique key taken meanwhile by a concurrent writer, which
        the next attempt sees as the existing row (an idempotent answer or a 409)."""
        for attempt in range(1, attempts + 1):
            try:
                with self.transaction() as session:
                    return work(session)
            except DBAPIError as exc:
                if attempt == attempts or not lost_a_race(exc):
                    raise
        raise AssertionError("unreachable")  # the loop returns or raises

    def _transaction(self) -> Iterator[Session]:
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        session = self.read_sessions()
        try:
            yield session
        finally:
            # close() (not rollback()) keeps loaded attributes readable after the block.
            session.close()

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self.engine.dispose()
        self.read_engine.dispose()


def lost_a_race(exc: DBAPIError) -> bool:
    """Would running the same transaction again give a different outcome?"""
    state = getattr(exc.orig, "sqlstate", None)
    if state in RETRYABLE_SQLSTATES:
        return True
    if not isinstance(exc, IntegrityError):
        return False
    return state == UNIQUE_VIOLATION or "UNIQUE constraint failed" in str(exc.orig)


class _Checkpointer(threading.Thread):
    """PASSIVE checkpoints on a connection of its own: they never block writers or
    readers (a busy database just means "next time"); the SQLite call runs without
    the GIL."""

    def __init__(self, path: str, every: float) -> None:
        super().__init__(name="sqlite-checkpoint", daemon=True)
        self.path, self.every = path, every
        self.stopping = threading.Event()

    def run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=0.1, check_same_thread=False,
                               isolation_level=None)
        try:
            while not self.stopping.wait(self.every):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    continue  # busy or locked: the next round
        finally:
            conn.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
