"""Test doubles for time: a fake clock, and an event loop whose clock jumps instead of waiting.

``VirtualTimeLoop`` runs asyncio code with ``loop.time()`` on a virtual
clock: when every task waits for a timer, the clock jumps to that timer at
once. ``asyncio.sleep``, ``call_later`` and ``wait_for`` all follow it, so a
test of the worker pool sees exact times (a 20 s Retry-After takes no real
time, and a worker that did not wait shows up at the wrong moment). Real I/O
and threads are still served, but their completion time is real: tests that
need exact times use no threads (an in-memory recorder, a scripted sender).
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from batch_anonymizer.api.ratelimit import Clock

T = TypeVar("T")


def max_in_window(times: list[float], width: float = 1.0) -> int:
    """The most of ``times`` (sorted) in any window ``(t - width, t]``: starts per second."""
    best = j = 0
    for i, t in enumerate(times):
        while times[j] <= t - width:
            j += 1
        best = max(best, i - j + 1)
    return best


@dataclass(slots=True)
class FakeClock:
    """A clock for the rate limiter's unit tests: ``sleep`` advances time at once."""

    t: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)  # let other tasks run, as a real sleep would

    def clock(self) -> Clock:
        return Clock(now=self.now, sleep=self.sleep)


class _VirtualSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    """Polls real I/O without waiting; a wait for a timer moves the virtual clock instead."""

    loop: VirtualTimeLoop

    def select(self, timeout: float | None = None) -> list[Any]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready  # type: ignore[no-any-return]
        if timeout is None:  # no timer at all: only real I/O (a thread) can wake the loop
            return super().select(None)  # type: ignore[no-any-return]
        self.loop.advance(timeout)
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop on a virtual clock that starts at ``start``."""

    def __init__(self, start: float = 1000.0) -> None:
        selector = _VirtualSelector()
        super().__init__(selector)
        selector.loop = self
        self._now = start

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


def run_virtual(coro: Coroutine[Any, Any, T], start: float = 1000.0) -> T:
    """Run ``coro`` to completion on a fresh ``VirtualTimeLoop``."""
    loop = VirtualTimeLoop(start)
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()
