"""Long-running processes' garbage collector settings (afterward/process.py)."""

from __future__ import annotations

import gc

from afterward import process


def test_start_up_leaves_full_collections_rarer_and_the_younger_thresholds_as_they_were():
    before = gc.get_threshold()
    try:
        process.freeze_start_up_heap()

        assert gc.get_threshold() == (before[0], before[1], 100)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
