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
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
