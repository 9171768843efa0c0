"""Sign-in throttling: after LIMIT failures for one email from one address within
WINDOW seconds, further attempts are refused until the oldest failure ages out.
Kept in process memory: with several server processes each counts on its own."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from fastapi import FastAPI

LIMIT = 10
WINDOW_SECONDS = 15 * 60
MAX_KEYS = 50_000


class LoginThrottle:
    def __init__(self, *, limit: int = LIMIT, window: float = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, key: tuple[str, str]) -> bool:
        with self._lock:
            return len(self._recent(key)) >= self.limit

    def failed(self, key: tuple[str, str]) -> None:
        with self._lock:
            if len(self._failures) >= MAX_KEYS:
                self._prune()
            self._failures[key] = self._recent(key)
            self._failures[key].append(self.clock())

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        times = self._failures.get(key) or deque()
        horizon = self.clock() - self.window
        while times and times[0] <= horizon:
            times.popleft()
        return times

    def _prune(self) -> None:
        for key in list(self._failures):
            if not self._recent(key):
                del self._failures[key]
        # Still full (a flood of distinct keys): forget the oldest half rather than grow.
        if len(self._failures) >= MAX_KEYS:
            for key in list(self._failures)[: MAX_KEYS // 2]:
                del self._failures[key]


_create_lock = threading.Lock()


def throttle_for(app: FastAPI) -> LoginThrottle:
    with _create_lock:
        existing: LoginThrottle | None = getattr(app.state, "admin_login_throttle", None)
        if existing is None:
            existing = LoginThrottle()
            app.state.admin_login_throttle = existing
        return existing
