"""Stopping a run from outside: a signal handler, another task, or another thread.

The pool and every wait inside it (rate limit, backoff, Retry-After) watch one
``RunControl``. ``stop`` may be called from any thread; the run then sends
nothing new, every waiting worker wakes at once, requests already in flight
finish and are recorded, and the rest of the keys end ``pending``. The first
reason given is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable

from ..core.codes import Reason


class RunControl:
    """The stop switch of one run (make one per run)."""

    def __init__(self) -> None:
        self.reason = ""
        self.code: Reason | None = None
        self.signum: int | None = None
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sleepers: set[asyncio.Future[None]] = set()
        self._emergency: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        return f"RunControl(stopped={self.stopped}, reason={self.reason!r})"

    @property
    def stopped(self) -> bool:
        """Whether the run was told to stop (by the caller or by a circuit breaker)."""
        return bool(self.reason)

    @property
    def interrupted(self) -> bool:
        """Whether the stop came from outside the run (a signal or the caller)."""
        return self.code is Reason.INTERRUPTED

    def stop(
        self,
        reason: str = "stopped by the caller",
        *,
        code: Reason = Reason.INTERRUPTED,
        signum: int | None = None,
    ) -> None:
        """Stop sending; the first reason wins. Safe from any thread and from signal handlers."""
        with self._lock:
            if self.reason:
                return
            self.reason, self.code, self.signum = reason, code, signum
            loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake()
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach to the loop the run goes on in (the run does this when it starts)."""
        self._loop = loop

    def on_emergency(self, flush: Callable[[], None]) -> None:
        """Register what must reach the disk if the process is about to leave at once."""
        self._emergency.append(flush)

    def emergency(self) -> None:
        """Run the registered flushes (before an immediate exit; errors are ignored)."""
        for flush in self._emergency:
            with contextlib.suppress(Exception):
                flush()

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` on the loop's clock, or less if the run is stopped meanwhile."""
        if self.stopped or seconds <= 0:
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        handle = loop.call_later(seconds, _release, waiter)
        self._sleepers.add(waiter)
        try:
            await waiter
        finally:
            handle.cancel()
            self._sleepers.discard(waiter)

    def _wake(self) -> None:
        for waiter in list(self._sleepers):
            _release(waiter)


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
