"""A lock that threads get in the order they asked for it.

On SQLite one process's writers take turns through a lock before BEGIN IMMEDIATE
(see Database.transaction). A plain lock lets the thread that just released it take
it straight back: a worker running one short transaction after another could keep
an API request waiting through all of them. Here a release hands the lock to the
longest-waiting thread, so a request waits for the transactions queued before it,
never for a whole run of the worker's."""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType


class Turns:
    """First come, first served; re-entrant for the thread that holds it."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._waiting: deque[tuple[int, threading.Event]] = deque()

    def acquire(self, timeout: float | None = None) -> bool:
        """Wait for this thread's turn (at most `timeout` seconds); True when held."""
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me or (self._owner is None and not self._waiting):
                self._owner, self._depth = me, self._depth + 1
                return True
            turn = threading.Event()
            self._waiting.append((me, turn))
        if turn.wait(timeout):
            return True  # release() handed it over
        with self._mutex:
            if turn.is_set():
                return True  # handed over just as the wait gave up
            self._waiting.remove((me, turn))
            return False

    def release(self) -> None:
        with self._mutex:
            if self._owner != threading.get_ident():
                raise RuntimeError("released by a thread that does not hold it")
            self._depth -= 1
            if self._depth:
                return
            self._owner = None
            if self._waiting:
                self._owner, turn = self._waiting.popleft()
                self._depth = 1
                turn.set()

    def __enter__(self) -> Turns:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.release()
