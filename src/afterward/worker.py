"""The worker: a loop of small steps. Each step claims one due job, runs its
handler in a transaction fenced on the lease, and says whether it found work.
SIGTERM/SIGINT finish the current job and stop."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import traceback
from collections.abc import Callable

from afterward import jobs
from afterward.storage.db import Database

log = logging.getLogger("afterward.worker")


class Worker:
    def __init__(
        self,
        db: Database,
        *,
        lease_seconds: int = 60,
        idle_sleep: float = 0.5,
        name: str | None = None,
    ) -> None:
        self.db = db
        self.lease_seconds = lease_seconds
        self.idle_sleep = idle_sleep
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self.stopping = threading.Event()

    def step(self) -> bool:
        """Claim and run one job. Returns True when a job was found."""
        with self.db.transaction() as session:
            claim = jobs.claim_one(session, worker_id=self.name, lease_seconds=self.lease_seconds)
        if claim is None:
            return False
        run = jobs.handler_for(claim.kind)
        context = jobs.JobContext(claim.job_id, claim.store_id, claim.attempt, claim.payload)
        try:
            if run is None:
                raise jobs.PermanentError(f"no handler for job kind {claim.kind!r}")
            with self.db.transaction() as session:
                run(session, context)
                if not jobs.mark_done(session, claim):
                    # Lease lost to another worker: roll our effects back.
                    raise _LeaseLost
        except _LeaseLost:
            log.warning("job %s: lease lost, effects rolled back", claim.job_id)
        except Exception as exc:
            permanent = isinstance(exc, jobs.PermanentError)
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            with self.db.transaction() as session:
                status = jobs.mark_failed(session, claim, detail, permanent=permanent)
            log.warning("job %s (%s) failed, now %s: %s", claim.job_id, claim.kind, status, detail)
        return True

    def run(self, *, until_idle: bool = False, max_jobs: int | None = None) -> int:
        if not until_idle:
            start_periodic(self.db)
        done = 0
        while not self.stopping.is_set():
            found = self.step()
            if found:
                done += 1
                if max_jobs is not None and done >= max_jobs:
                    break
                continue
            if until_idle:
                break
            self.stopping.wait(self.idle_sleep)
        return done

    def stop(self) -> None:
        self.stopping.set()


class _LeaseLost(Exception):
    pass


def run_workers(
    db: Database, *, concurrency: int, lease_seconds: int,
    install_signals: bool = True, on_start: Callable[[], None] | None = None,
) -> None:
    """Run N worker threads until SIGTERM or SIGINT."""
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
    while any(t.is_alive() for t in threads):
        for t in threads:
            t.join(timeout=0.5)


def start_periodic(db: Database) -> None:
    """Enqueue the first run of the periodic jobs that keep themselves going (one per
    time slot, deduplicated: a second worker or a restart adds nothing). Called when a
    long-running worker starts, i.e. by `afterward serve` and `afterward worker`."""
    from afterward.tracking import overdue

    try:
        with db.transaction() as session:
            overdue.ensure_scheduled(session)
    except Exception:  # a twin worker won the race for the slot's key; it is there
        log.info("periodic jobs: already scheduled", exc_info=True)


def load_handlers(plugins: tuple[str, ...] = ()) -> None:
    """Import every module that registers job handlers, plus configured plugins."""
    import importlib

    for module in ("afterward.commerce.jobs", "afterward.messaging.jobs",
                   "afterward.tracking.polling", "afterward.tracking.replay",
                   "afterward.tracking.overdue",
                   "afterward.journeys.jobs", *plugins):
        importlib.import_module(module)
