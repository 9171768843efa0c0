"""Long-running processes' garbage collector settings (afterward/process.py), checked in
a fresh interpreter: the test process has them already (tests/conftest.py)."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import gc, json
from afterward import process
before = (gc.get_threshold(), gc.get_freeze_count())
process.freeze_start_up_heap()
print(json.dumps([before, (gc.get_threshold(), gc.get_freeze_count())]))
"""


def test_start_up_leaves_full_collections_rarer_and_the_younger_thresholds_as_they_were():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          check=True, timeout=60)

    (threshold, frozen), (threshold_after, frozen_after) = json.loads(done.stdout)
    assert frozen == 0
    assert threshold_after == [threshold[0], threshold[1], 100]
    assert frozen_after > 0
