"""The simulated clock: what utcnow() says inside the block, only there, only forward,
and only in the context that set it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from afterward import clock
from afterward.storage.types import utcnow

THEN = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def test_utcnow_tells_the_simulated_time_inside_the_block_and_the_wall_clock_after():
    with clock.simulated(THEN) as simulated:
        first = utcnow()
        simulated.set(THEN + timedelta(hours=5))
        later = utcnow()
    after = utcnow()

    assert (first, later) == (THEN, THEN + timedelta(hours=5))
    assert after > datetime(2025, 1, 1, tzinfo=UTC)


def test_a_simulated_clock_never_goes_back():
    with clock.simulated(THEN) as simulated, pytest.raises(ValueError, match="never goes back"):
        simulated.set(THEN - timedelta(seconds=1))


def test_a_simulated_clock_refuses_a_time_without_a_zone():
    with pytest.raises(ValueError, match="naive"), clock.simulated(datetime(2024, 3, 1)):
        pass


def test_another_thread_keeps_the_wall_clock_while_one_simulates():
    seen: list[datetime] = []
    with clock.simulated(THEN):
        worker = threading.Thread(target=lambda: seen.append(utcnow()))
        worker.start()
        worker.join()

    assert seen[0] > datetime(2025, 1, 1, tzinfo=UTC)


def test_a_simulated_time_is_kept_in_utc():
    berlin = datetime(2024, 3, 1, 10, 30, tzinfo=UTC).astimezone(ZoneInfo("Europe/Berlin"))

    with clock.simulated(berlin):
        assert utcnow().tzinfo is UTC and utcnow() == berlin
