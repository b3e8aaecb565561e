"""Pause Python's cyclic garbage collector while millions of records are built."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block, then restore it as it was.

    Loading and planning make no reference cycles, but each burst of
    allocations triggers a collection, and the older generations are walked
    again and again as they grow: with the collector on, reading and planning
    1M rows spent about half their time in it (measured, bench/NOTES.md).
    Reference counting still frees everything at once.

    After a big batch the new objects are moved to the permanent generation
    (``gc.freeze``) before the collector is turned back on: otherwise the next
    allocation anywhere starts a full collection that walks all of them (~3 s
    after a 1M-row plan). Frozen objects are still freed by reference counting;
    only a reference cycle among them would never be collected, and records
    make none.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_count()[0] > BIG_BATCH:
            gc.freeze()
        if was_enabled:
            gc.enable()


# New container objects (counted by the collector while it is off) above which
# a batch is frozen: a 1M-row plan makes ~10M, a test file a few thousand.
BIG_BATCH = 200_000
