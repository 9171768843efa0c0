"""How `afterward serve` stops, in one process: uvicorn and the job worker thread
beside it, on SIGTERM (or SIGINT).

The worker stops taking jobs at once, while uvicorn stops accepting connections and
gives the requests in flight the grace period; both count the grace from the
signal. A request still running then is cancelled (it answers 503, see
api/stopping.py); the worker's job, if still running, is left to its lease: its
transaction never committed, so another worker runs it again. Then the process ends
with status 0. A thread still blocked by then (a request cut off while it waited for
a database lock: the thread pool's threads are no daemons, and the interpreter would
wait for each at exit, up to the database's own timeout or for ever) is left behind:
the process exits without waiting for it."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
import threading
import time
from types import FrameType

import uvicorn

from afterward.worker import Worker

log = logging.getLogger("afterward.serve")

# Requests cancelled at the end of the grace get this long to send their 503, and
# the thread pool's idle threads to wind down, before the process goes.
CUT_OFF_ANSWER_SECONDS = 1.0


class Stopping:
    """The grace period, from the first stop signal on, and the worker told to stop."""

    def __init__(self, worker: Worker | None, grace: float) -> None:
        self.worker, self.grace = worker, grace
        self.deadline: float | None = None

    def stop(self) -> None:
        if self.deadline is None:
            self.deadline = time.monotonic() + self.grace
        if self.worker is not None:
            self.worker.stop()

    def remaining(self) -> float:
        if self.deadline is None:
            return self.grace
        return max(0.0, self.deadline - time.monotonic())

    def finish(self, worker_thread: threading.Thread | None) -> None:
        """Give the worker the rest of the grace; then, stopped by a signal, leave,
        stuck threads or not (stopped by an error, the error has its say)."""
        signalled = self.deadline is not None
        self.stop()
        if worker_thread is not None:
            worker_thread.join(timeout=self.remaining())
        if signalled:
            exit_past_stuck_threads(CUT_OFF_ANSWER_SECONDS)


class ServerWithWorker(uvicorn.Server):
    """uvicorn's server, telling the worker to stop when it is told to, and waiting a
    moment for the requests it cancelled to answer."""

    def __init__(self, config: uvicorn.Config, stopping: Stopping) -> None:
        super().__init__(config)
        self.stopping = stopping

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.stopping.stop()
        super().handle_exit(sig, frame)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        cut_off = set(self.server_state.tasks)
        if cut_off:
            await asyncio.wait(cut_off, timeout=CUT_OFF_ANSWER_SECONDS)


def exit_past_stuck_threads(wait: float) -> None:
    """Exit now (status 0) if threads that would hold the interpreter at exit are
    still busy after `wait` seconds; otherwise return and let the process end."""
    deadline = time.monotonic() + wait
    for thread in _holding_the_exit():
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    stuck = _holding_the_exit()
    if not stuck:
        return
    log.warning("leaving %d thread(s) still busy after the grace period (requests cut "
                "off); whatever they had not committed is rolled back", len(stuck))
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _holding_the_exit() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate()
            if thread is not threading.current_thread() and not thread.daemon
            and thread.is_alive()]
