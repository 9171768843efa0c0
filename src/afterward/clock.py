"""What time it is: the wall clock, unless a simulated clock is set in the current
context. The demo writes two years of history and runs it through the journeys, the
worker and messaging at the times it happened; everything that asks
`storage.types.utcnow()` then sees the simulated time, and nothing else changes.
A context variable, so a simulation in one thread never moves another thread's time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_SIMULATED: ContextVar[datetime | None] = ContextVar("afterward_simulated_now", default=None)


def now() -> datetime:
    simulated = _SIMULATED.get()
    return datetime.now(UTC) if simulated is None else simulated


class SimulatedClock:
    """A clock that shows the time it was last set to; it never goes back."""

    def set(self, at: datetime) -> None:
        if at.utcoffset() is None:
            raise ValueError("naive datetime refused: use an aware datetime")
        current = _SIMULATED.get()
        if current is not None and at < current:
            raise ValueError(f"a simulated clock never goes back ({at} < {current})")
        _SIMULATED.set(at.astimezone(UTC))

    @property
    def now(self) -> datetime:
        return now()


@contextmanager
def simulated(start: datetime) -> Iterator[SimulatedClock]:
    """Within the block, `now()` is `start` until the yielded clock is set later."""
    if start.utcoffset() is None:
        raise ValueError("naive datetime refused: use an aware datetime")
    token = _SIMULATED.set(start.astimezone(UTC))
    try:
        yield SimulatedClock()
    finally:
        _SIMULATED.reset(token)
