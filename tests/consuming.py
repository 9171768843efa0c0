"""Running an event consumer in a test until nothing is held back: on PostgreSQL a
consumer holds an event back while an older transaction of the database is still
running (another test's server process ending, say), so one batch may stop short."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

Batch = TypeVar("Batch")


def until_caught_up(batch: Callable[[], Batch], caught_up: Callable[[Batch], bool], *,
                    tries: int = 100, pause: float = 0.05) -> list[Batch]:
    """`batch()` once, then again (after `pause` seconds) while `caught_up` says no,
    at most `tries` times; what each returned."""
    done = []
    for _ in range(tries):
        done.append(batch())
        if caught_up(done[-1]):
            break
        time.sleep(pause)
    return done
