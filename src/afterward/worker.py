"""The worker: a loop of small steps. Each step claims one due job, runs its
handler in a transaction fenced on the lease, and says whether it found work.
A step that fails (the database away) is tried again after a pause; the loop
never dies of it. SIGTERM/SIGINT finish the current job and stop."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import DBAPIError

from afterward import jobs, modules
from afterward.storage.db import Database, remembers_contents, unavailable

log = logging.getLogger("afterward.worker")


class Worker:
    def __init__(
        self,
        db: Database,
        *,
        lease_seconds: int = 60,
        idle_sleep: float = 0.5,
        name: str | None = None,
        store_id: int | None = None,
    ) -> None:
        self.db = db
        self.store_id = store_id  # when set, only that store's jobs (the demo's replay)
        self.lease_seconds = lease_seconds
        self.idle_sleep = idle_sleep
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self.stopping = threading.Event()
        # Jobs the last step's handlers asked to run next (jobs.run_next): job -> hint.
        self.next: dict[int, Any] = {}

    def step(self) -> bool:
        """Claim and run one job (or a batch of due jobs of its kind, when that kind
        has a batch handler), or the jobs the previous step asked to run next.
        Returns True when a job was found."""
        if self.next:
            hints, self.next = self.next, {}
            if self._run_next(hints):
                return True
        with self.db.transaction() as session:
            claim = jobs.claim_one(session, worker_id=self.name, lease_seconds=self.lease_seconds,
                                   store_id=self.store_id)
            batch = jobs.batch_handler_for(claim.kind) if claim is not None else None
            claims = [claim] if claim is not None else []
            if claim is not None and batch is not None:
                claims += jobs.claim_many(session, kind=claim.kind, worker_id=self.name,
                                          lease_seconds=self.lease_seconds,
                                          limit=batch.size - 1, token=claim.lease_token,
                                          store_id=self.store_id)
        if claim is None:
            return False
        if batch is not None:
            self._run_batch(batch, claims)
        else:
            self._run_one(claim)
        return True

    def _run_one(self, claim: jobs.Claim, hint: Any = None) -> None:
        run = jobs.handler_for(claim.kind)
        follow: dict[int, Any] | None = None
        try:
            if run is None:
                raise jobs.PermanentError(f"no handler for job kind {claim.kind!r}")
            with self.db.transaction() as session:
                run(session, _context(claim, hint))
                if not jobs.mark_done(session, claim):
                    # Lease lost to another worker: roll our effects back.
                    raise _LeaseLost
                follow = session.info.pop(jobs.RUN_NEXT, None)
        except _LeaseLost:
            log.warning("job %s: lease lost, effects rolled back", claim.job_id)
        except Exception as exc:
            self._failed(claim, exc)
        self.next.update(follow or {})

    def _run_batch(self, batch: jobs.BatchHandler, claims: list[jobs.Claim],
                   hints: dict[int, Any] | None = None) -> None:
        """One transaction for the batch, fenced on every lease (a handler with its own
        transactions runs before it, and that transaction only marks the jobs done).
        Jobs the handler reports as failed are retried like any failed job; if the
        handler raises, each job runs alone, so one bad job never holds the others back.
        The jobs the handler asked to run next (jobs.run_next) are the next step's."""
        contexts = [_context(claim, (hints or {}).get(claim.job_id)) for claim in claims]
        follow: dict[int, Any] | None = None
        try:
            if batch.own_transactions:
                failed = self._run_outside_a_transaction(batch, contexts)
            with self.db.transaction() as session:
                if not batch.own_transactions:
                    failed = batch.run(session, contexts)
                if not jobs.mark_done_many(
                        session, [c for c in claims if c.job_id not in failed]):
                    raise _LeaseLost
                follow = session.info.pop(jobs.RUN_NEXT, None)
        except _LeaseLost:
            log.warning("jobs %s: a lease was lost, the batch's effects rolled back",
                        [claim.job_id for claim in claims])
            return
        except Exception:
            log.info("batch of %d %s jobs failed; running them one by one", len(claims),
                     claims[0].kind, exc_info=True)
            for claim in claims:
                self._run_one(claim, (hints or {}).get(claim.job_id))
            return
        for claim in claims:
            if claim.job_id in failed:
                self._failed(claim, failed[claim.job_id])
        self.next.update(follow or {})

    def _run_next(self, hints: dict[int, Any]) -> bool:
        """Claim the jobs a committed transaction asked for and run them, batched by
        kind as usual, each with its hint; False when none was left to claim (those
        gone meanwhile are someone else's)."""
        with self.db.transaction() as session:
            claims = jobs.claim_ids(session, list(hints), worker_id=self.name,
                                    lease_seconds=self.lease_seconds)
        by_kind: dict[str, list[jobs.Claim]] = {}
        for claim in claims:
            by_kind.setdefault(claim.kind, []).append(claim)
        for kind, group in by_kind.items():
            batch = jobs.batch_handler_for(kind)
            if batch is None:
                for claim in group:
                    self._run_one(claim, hints.get(claim.job_id))
                continue
            for start in range(0, len(group), batch.size):
                self._run_batch(batch, group[start:start + batch.size], hints)
        return bool(claims)

    def _run_outside_a_transaction(self, batch: jobs.BatchHandler,
                                   contexts: list[jobs.JobContext]) -> dict[int, Exception]:
        """A handler that commits its own short transactions, with none of ours open
        (on SQLite, not even the process's write lock: the other threads claim and
        send while this one waits for the network)."""
        session = self.db.sessions()
        # Database keeps it private; only this worker and such handlers share it.
        session.info[jobs.WRITE_LOCK] = self.db.write_lock
        try:
            return batch.run(session, contexts)
        finally:
            session.close()

    def _failed(self, claim: jobs.Claim, exc: Exception) -> None:
        permanent = isinstance(exc, jobs.PermanentError)
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        with self.db.transaction() as session:
            status = jobs.mark_failed(session, claim, detail, permanent=permanent)
        log.warning("job %s (%s) failed, now %s: %s", claim.job_id, claim.kind, status, detail)

    def run(self, *, until_idle: bool = False, max_jobs: int | None = None) -> int:
        if not until_idle:
            start_periodic(self.db)
        nudge = EventNudge(self.db) if not until_idle else None
        done = 0
        trouble = _Trouble()
        while not self.stopping.is_set():
            if nudge is not None:
                nudge.maybe_consume()
            try:
                found = self.step()
            except Exception as exc:
                if until_idle:
                    raise
                self.stopping.wait(trouble.pause_after(exc))
                continue
            trouble.over()
            if found:
                done += 1
                if max_jobs is not None and done >= max_jobs:
                    break
                continue
            if until_idle:
                break
            self.stopping.wait(self.idle_sleep if nudge is None
                               else min(self.idle_sleep, EventNudge.EVERY))
        return done

    def stop(self) -> None:
        self.stopping.set()


class EventNudge:
    """Event consumers (journeys) also run as periodic jobs every few seconds. A new
    event should not wait for that: every EVERY seconds one thread of the process
    runs each installed module's consumer (Module.consumers), right here. A consumer
    moves its cursor under a row lock in the same transaction as its work, so racing
    the periodic job or another worker does nothing twice.

    On SQLite, commit order is id order: one primary-key look-up of the newest event
    id says whether anything arrived since the last check, and when every consumer
    caught up, nothing runs until a newer event exists. On PostgreSQL ids commit out
    of order, so the consumers always look (each checks its cursors cheaply)."""

    EVERY = 0.2
    _lock = threading.Lock()
    _next_at = 0.0  # per process: one thread checks per period
    _seen: dict[str, int] = {}  # SQLite database URL -> newest event id already handled

    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def forget(cls) -> None:
        """Drop what was seen (a database replaced or emptied and its ids restarted)."""
        cls._seen.clear()
        cls._next_at = 0.0

    def maybe_consume(self) -> int:
        """Run the consumers when it is this thread's turn; returns events consumed."""
        now = time.monotonic()
        with EventNudge._lock:
            if now < EventNudge._next_at:
                return 0
            EventNudge._next_at = now + self.EVERY
        try:
            return self.consume_if_behind()
        except Exception as exc:  # the periodic jobs are still there; never stop the worker
            if isinstance(exc, DBAPIError) and unavailable(exc):
                # The database restarting or down: the next nudge tries again.
                log.warning("event nudge: the database is unavailable (%s)",
                            type(exc.orig).__name__)
            else:
                log.warning("event nudge failed", exc_info=True)
            return 0

    def consume_if_behind(self) -> int:
        from sqlalchemy import func, select

        from afterward.events import Event

        key, ordered = self.db.url, self.db.backend == "sqlite"
        with self.db.reading() as session:
            newest = int(session.scalar(select(func.max(Event.id))) or 0)
        if ordered and newest == EventNudge._seen.get(key):
            return 0
        consumed, caught_up = 0, True
        for consume in modules.resolved("consumers"):
            events, done = consume(self.db)
            consumed, caught_up = consumed + events, caught_up and done
        if ordered and caught_up:
            EventNudge._seen[key] = newest
        return consumed


remembers_contents(EventNudge.forget)


class _LeaseLost(Exception):
    pass


class _Trouble:
    """A long-running worker outlives a step that failed (the database down or
    restarting, no connection to be had): it says so, waits, and tries again, longer
    each time in a row, up to MAX_PAUSE. The job it held, if any, comes back when its
    lease runs out; its uncommitted effects were rolled back."""

    FIRST_PAUSE, MAX_PAUSE = 0.5, 5.0

    def __init__(self) -> None:
        self.pause = 0.0

    def pause_after(self, exc: Exception) -> float:
        self.pause = min(self.MAX_PAUSE, self.pause * 2 or self.FIRST_PAUSE)
        first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
        log.warning("worker step failed, trying again in %.1f s: %s: %s", self.pause,
                    type(exc).__name__, first_line, exc_info=log.isEnabledFor(logging.DEBUG))
        return self.pause

    def over(self) -> None:
        self.pause = 0.0


def _context(claim: jobs.Claim, hint: Any = None) -> jobs.JobContext:
    return jobs.JobContext(claim.job_id, claim.store_id, claim.attempt, claim.payload, hint)


def run_workers(
    db: Database, *, concurrency: int, lease_seconds: int, grace_seconds: float = 10.0,
    install_signals: bool = True, on_start: Callable[[], None] | None = None,
) -> None:
    """Run N worker threads until SIGTERM or SIGINT; then each finishes its job within
    `grace_seconds`, or is left behind (a daemon thread: its uncommitted job is run
    again by another worker when the lease ends)."""
    workers = [Worker(db, lease_seconds=lease_seconds) for _ in range(concurrency)]
    if install_signals:
        def _stop(_signum: int, _frame: object) -> None:
            for w in workers:
                w.stop()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    threads = [threading.Thread(target=w.run, name=f"worker-{i}", daemon=True)
               for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    log.info("%d worker(s) started", concurrency)
    if on_start:
        on_start()
    while any(t.is_alive() for t in threads) and not workers[0].stopping.is_set():
        for t in threads:
            t.join(timeout=0.5)
    deadline = time.monotonic() + grace_seconds
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() for t in threads):
        log.warning("stopping with jobs still running; their leases bring them back")


def start_periodic(db: Database) -> None:
    """Enqueue the first run of the periodic jobs that keep themselves going (one per
    time slot, deduplicated: a second worker or a restart adds nothing). Called when a
    long-running worker starts, i.e. by `afterward serve` and `afterward worker`."""
    from afterward import retention

    try:
        with db.transaction() as session:
            retention.ensure_scheduled(session)
            for schedule in modules.resolved("periodic"):
                schedule(session)
    except Exception:  # a twin worker won the race for the slot's key; it is there
        log.info("periodic jobs: already scheduled", exc_info=True)


def load_handlers(plugins: tuple[str, ...] = ()) -> None:
    """Import what registers job handlers: the spine's, each installed module's
    (Module.jobs), then the configured plugins."""
    import importlib

    importlib.import_module("afterward.retention")
    modules.import_all("jobs")
    for plugin in plugins:
        importlib.import_module(plugin)
