"""A small in-process memo with a time limit, for answers that are costly to
compute and fine to serve a few minutes old (what goes with a set of products).
Each server process keeps its own; nothing here needs to be shared."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Memo(Generic[V]):
    def __init__(self, *, seconds: float, max_entries: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.max_entries, self.clock = seconds, max_entries, clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        now = self.clock()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] > now:
                self._entries.move_to_end(key)
                return hit[1]
        value = compute()  # outside the lock: two misses may both compute, that is fine
        self.put(key, value, now)
        return value

    def peek(self, key: Hashable) -> tuple[V] | None:
        """(value,) when a fresh one is kept, else None (a kept value may be None)."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is None or hit[0] <= self.clock():
                return None
            self._entries.move_to_end(key)
            return (hit[1],)

    def put(self, key: Hashable, value: V, now: float | None = None) -> None:
        with self._lock:
            self._entries[key] = ((self.clock() if now is None else now) + self.seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
