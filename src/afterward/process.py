"""Garbage collector settings for processes that live long or work through a lot:
`afterward serve` and `worker`, and the commands that do bulk work in-process
(`demo`, `import orders`, `insights recompute`, `bench`, whose in-process figures are
then those of a worker). A full collection walks every object tracked, at 0.5-0.7 µs
each on this 2-core machine: with the start-up heap in sight, bulk earning spent a
fifth of its time in nine of them (docs/benchmarks.md)."""

from __future__ import annotations

import gc

# A full collection after this many collections of the middle generation (Python's
# default: 10). What a server keeps in memory for a while (the review pages' cache:
# 4,096 aggregates, galleries and pages) lands in the oldest generation, and each full
# pass walks all of it: with the default, `afterward bench feedback` saw a review page's
# p99 at 85 ms against a p95 of 40 ms; with 100, 42 ms (docs/benchmarks.md). Garbage
# in cycles that old waits longer to go; everything else is freed as before.
FULL_COLLECTION_EVERY = 100


def freeze_start_up_heap() -> None:
    """What start-up created (modules, routes, templates: ~135,000 objects) lives as
    long as the process: move it out of the garbage collector's sight, so its full
    passes no longer walk it (70-100 ms each, in the middle of a request or a batch);
    and make those full passes rarer (FULL_COLLECTION_EVERY)."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
