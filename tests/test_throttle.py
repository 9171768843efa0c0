"""Attempt counts in the database: a window from the first attempt, the limit shared
by every connection (so every process), keys kept only as an HMAC, ended windows
purged by the retention job."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from afterward import retention, throttle
from afterward.jobs import JobContext
from afterward.storage.db import Database
from afterward.throttle import Throttle, ThrottleHit

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
KEY = ("ann@example.com", "10.0.0.1")


def a_throttle(clock=lambda: NOW, limit: int = 3, scope: str = "test") -> Throttle:
    return Throttle(scope=scope, limit=limit, window_seconds=900, secret="s" * 32, clock=clock)


def rows(db) -> list[tuple[str, str, int, datetime]]:
    with db.reading() as session:
        return [tuple(r) for r in session.execute(select(
            ThrottleHit.scope, ThrottleHit.key_hash, ThrottleHit.hits, ThrottleHit.expires_at
        ).order_by(ThrottleHit.scope, ThrottleHit.key_hash))]


def test_the_attempt_after_the_limit_is_refused(db):
    gate = a_throttle()

    verdicts = [gate.attempt(db, *KEY) for _ in range(4)]

    assert verdicts == [True, True, True, False]
    assert gate.hits(db, *KEY) == 4


def test_the_window_is_counted_from_the_first_attempt_and_ends_after_it(db):
    now = [NOW]
    gate = a_throttle(clock=lambda: now[0])
    for _ in range(3):
        gate.attempt(db, *KEY)
        now[0] += timedelta(seconds=60)
    assert gate.attempt(db, *KEY) is False

    now[0] = NOW + timedelta(seconds=900)

    assert gate.attempt(db, *KEY) is True
    assert rows(db) == [("test", gate.key_hash(*KEY), 1, NOW + timedelta(seconds=1800))]


def test_clearing_forgets_the_key_and_nothing_else(db):
    gate = a_throttle()
    for _ in range(3):
        gate.attempt(db, *KEY)
    gate.attempt(db, "bob@example.com", "10.0.0.1")

    gate.clear(db, *KEY)

    assert gate.hits(db, *KEY) == 0
    assert gate.hits(db, "bob@example.com", "10.0.0.1") == 1


def test_scopes_count_apart(db):
    login, track = a_throttle(scope="admin_login"), a_throttle(scope="track")
    for _ in range(3):
        login.attempt(db, "10.0.0.1")

    assert track.attempt(db, "10.0.0.1") is True
    assert (login.hits(db, "10.0.0.1"), track.hits(db, "10.0.0.1")) == (3, 1)


def test_the_key_is_stored_as_an_hmac_never_in_the_clear(db):
    gate = a_throttle()

    gate.attempt(db, *KEY)

    [(scope, key_hash, hits, _)] = rows(db)
    assert (scope, hits, len(key_hash)) == ("test", 1, 64)
    assert "ann" not in key_hash and "10.0.0.1" not in key_hash
    assert key_hash == gate.key_hash(*KEY)
    other_secret = Throttle(scope="test", limit=3, window_seconds=900, secret="t" * 32)
    assert other_secret.key_hash(*KEY) != key_hash


def test_attempts_racing_from_several_connections_are_each_counted(db, db_url):
    # given two databases objects, as two server processes have, and four threads each
    others = [Database(db_url), Database(db_url)]
    gate = a_throttle(limit=1000)
    start = threading.Barrier(8)

    def hammer(database: Database) -> None:
        start.wait()
        for _ in range(25):
            gate.attempt(database, *KEY)

    threads = [threading.Thread(target=hammer, args=(others[i % 2],)) for i in range(8)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for other in others:
        other.dispose()

    # then
    assert gate.hits(db, *KEY) == 200


def test_the_retention_run_deletes_ended_windows_only(db):
    ended, open_ = a_throttle(clock=lambda: NOW - timedelta(days=1)), a_throttle()
    ended.attempt(db, "10.0.0.1")
    open_.attempt(db, "10.0.0.2")
    with db.transaction() as session:
        gone = throttle.purge_expired(session, before=NOW, limit=100)

    assert gone == 1
    assert [key for _, key, _, _ in rows(db)] == [open_.key_hash("10.0.0.2")]


def test_the_periodic_purge_job_deletes_ended_windows(db):
    a_throttle(clock=lambda: NOW - timedelta(days=1)).attempt(db, "10.0.0.1")

    with db.transaction() as session:
        retention.run_purge(session, JobContext(job_id=0, store_id=None, attempt=1,
                                                payload={"keep_days": 7}))

    assert rows(db) == []
