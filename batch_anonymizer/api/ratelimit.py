"""One rate limit and one pause gate shared by every worker.

The promise to the user is "never more than ``rate`` request starts in any
1-second window". A token bucket sized for a whole second can start 2x the
rate across a window boundary, so the hard bound here is a sliding-window log
of the last starts; a GCRA spacing of ``1/rate`` on top keeps the starts
evenly spread, so the vendor never sees a burst. A late wake-up (up to 50 ms,
or one interval) schedules the next start from the ideal time rather than from now,
which keeps the achieved rate at the requested one; the window log still
bounds every second.

Time comes from an injectable ``Clock`` (by default the event loop's own
clock), so tests move a fake clock instead of sleeping. A stopped run wakes
every waiter at once: ``acquire`` then returns False.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


def loop_time() -> float:
    """The running event loop's clock (monotonic; a test loop may run it virtually)."""
    return asyncio.get_running_loop().time()


@dataclass(frozen=True, slots=True)
class Clock:
    """Monotonic time and a sleep that goes with it."""

    now: Callable[[], float] = loop_time
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


def _never() -> bool:
    return False


class RateLimiter:
    """Rate limit + shared pause, adaptive between a floor and ``max_rate``.

    ``max_rate`` None means unlimited (only the pause gate applies).
    """

    #: successes in a row before the rate grows again after a 429
    RECOVER_AFTER = 20
    RECOVER_FACTOR = 1.1
    #: wake-ups this late still keep their slot (a busy machine must not lose rate);
    #: the window log bounds any catch-up to ``rate`` starts per second
    CATCH_UP = 0.05

    def __init__(
        self,
        max_rate: float | None,
        *,
        clock: Clock | None = None,
        stopped: Callable[[], bool] = _never,
    ) -> None:
        if max_rate is not None and max_rate <= 0:
            raise ValueError("rate must be positive, or None for unlimited")
        self.max_rate = max_rate
        self._rate = max_rate
        self._clock = clock or Clock()
        self._stopped = stopped
        self._starts: deque[float] = deque()
        self._tat = -math.inf  # GCRA theoretical arrival time of the next start
        self._paused_until = -math.inf
        self._lock = asyncio.Lock()
        self._good_run = 0

    @property
    def rate(self) -> float | None:
        """The rate in force now (lower than max_rate after throttling)."""
        return self._rate

    def pause_until(self, t: float) -> None:
        """Hold every worker until clock time ``t`` (from a Retry-After)."""
        self._paused_until = max(self._paused_until, t)

    def throttled(self) -> None:
        """The server said 429: halve the rate (never below 1/10 of max or 0.1/s)."""
        self._good_run = 0
        if self._rate is None or self.max_rate is None:
            return
        floor = max(0.1, min(self.max_rate, 1.0) / 10, self.max_rate / 64)
        self._rate = max(floor, self._rate / 2)

    def succeeded(self) -> None:
        """A success: after a run of them, grow the rate back slowly."""
        if self._rate is None or self.max_rate is None or self._rate >= self.max_rate:
            return
        self._good_run += 1
        if self._good_run >= self.RECOVER_AFTER:
            self._good_run = 0
            self._rate = min(self.max_rate, self._rate * self.RECOVER_FACTOR)

    def _window_cap(self) -> int:
        assert self._rate is not None
        return max(1, math.floor(self._rate + 1e-9))

    def _delay(self, now: float) -> float:
        delay = self._paused_until - now
        if self._rate is None:
            return delay
        delay = max(delay, self._tat - now)  # GCRA spacing
        starts = self._starts
        while starts and starts[0] <= now - 1.0:
            starts.popleft()
        cap = self._window_cap()
        if len(starts) >= cap:
            delay = max(delay, starts[-cap] + 1.0 - now)
        return delay

    async def acquire(self, *, even_stopped: bool = False) -> bool:
        """Wait until a request may start, then count it as started and return True.

        Returns False, without counting a start, as soon as the run is stopped;
        ``even_stopped``: wait for the slot anyway (the lookup that settles a
        request already sent), with a wait a stop does not cut short.
        """
        return await self.take(even_stopped=even_stopped) is not None

    async def take(self, *, even_stopped: bool = False) -> float | None:
        """``acquire``, giving the clock time the start was counted at (None: stopped).

        A request that still awaits something before it leaves (an anonymize
        request, its write-ahead record's fsync) tells ``started`` that time when it
        does leave.
        """
        if self._rate is None and not self._lock.locked():
            # no limit and nobody waiting (``--rate 0``): what the lock's path does, without it
            if self._stopped() and not even_stopped:
                return None
            now = self._clock.now()
            if self._paused_until <= now:
                return now
        sleep = asyncio.sleep if even_stopped else self._clock.sleep
        async with self._lock:  # FIFO: waiters are served in arrival order
            while True:
                if self._stopped() and not even_stopped:
                    return None
                now = self._clock.now()
                delay = self._delay(now)
                if delay <= 0:
                    break
                await sleep(delay)
            if self._rate is not None:
                interval = 1.0 / self._rate
                # Schedule from the ideal time when we woke up late (keeps the rate),
                # from now after an idle spell (no burst to "catch up").
                base = self._tat if now - self._tat < max(interval, self.CATCH_UP) else now
                self._tat = base + interval
                self._starts.append(now)
        return now

    async def started(self, slot: float) -> None:
        """The request counted at ``slot`` (``take``) leaves now: its start moves to now.

        The window log then counts starts as they leave. Without this, requests
        that waited after their slot (a slow fsync of their write-ahead records)
        leave together with the ones counted meanwhile: 68 starts in one second
        at ``--rate 50`` were seen at a server. If the second up to now already
        holds ``rate`` starts, this waits until it does not (at most a second; a
        stop does not cut it short: the request's record is on disk, so it goes).
        """
        if self._rate is None:
            return
        starts = self._starts
        now = self._clock.now()
        if now == slot:
            return  # it leaves in its own slot
        with contextlib.suppress(ValueError):
            starts.remove(slot)  # gone already if it is more than a second old
        while True:
            while starts and starts[0] <= now - 1.0:
                starts.popleft()
            cap = self._window_cap()
            if len(starts) < cap:
                break
            await self._clock.sleep(starts[-cap] + 1.0 - now)
            now = self._clock.now()
        starts.append(now)
