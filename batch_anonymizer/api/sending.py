"""One run's sending, wired: the rate limit, the retry policy, each key's attempts, the pool.

``Sending`` is what the library's ``execute`` uses, and what tests drive with
a scripted ``Sender`` and an in-memory ``Recorder``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from ..core.records import KeyType
from ..core.timefmt import iso_now
from .attempts import KeyAttempts
from .control import RunControl
from .erasure import Erasure
from .pool import Job, Pool, PoolResult, Progress, Recorder, Work, by_row
from .ratelimit import Clock, RateLimiter, loop_time
from .retry import RetryPolicy
from .sender import Sender
from .settings import Settings
from .stoplist import StopList, earlier_kept
from .v6 import V6Call


class Sending:
    """Sends the jobs of one run through ``sender``, recording everything in ``recorder``."""

    def __init__(
        self,
        sender: Sender,
        recorder: Recorder,
        settings: Settings,
        control: RunControl,
        *,
        run_id: str,
        progress: Progress | None = None,
        rng: random.Random | None = None,
        now_iso: Callable[[], str] = iso_now,
        v6: V6Call | None = None,
    ) -> None:
        self.settings = settings
        self.control = control
        self.recorder = recorder
        self.run_id = run_id
        self.progress = progress
        self.v6 = v6
        # Every wait of the run (rate limit, backoff) ends at once when the run stops.
        self.clock = Clock(now=loop_time, sleep=control.sleep)
        self.limiter = RateLimiter(settings.rate, clock=self.clock, stopped=lambda: control.stopped)
        self.keys = KeyAttempts(
            sender,
            recorder,
            settings,
            limiter=self.limiter,
            control=control,
            policy=RetryPolicy(settings, rng),
            clock=self.clock,
            run_id=run_id,
            v6=v6,
        )
        self.erasure = Erasure(
            self.keys, recheck_delay=settings.recheck_delay, run_id=run_id, now_iso=now_iso
        )
        self.stop_list = StopList(
            sender,
            limiter=self.limiter,
            policy=self.keys.policy,
            clock=self.clock,
            control=control,
            timeout=settings.timeout,
        )

    async def anonymize(self, jobs: Sequence[Job]) -> PoolResult:
        """Anonymize every job's key (``run``, ``retry``): verified unless ``verify`` is off.

        When verifying, the first key goes alone: an account that refuses
        lookups halts the run before any anonymize request is sent. With the
        v6 API, the first input row holding a telephone goes first, alone: an
        account that takes the other telephone field name refuses that one key
        and the run halts (``breakers.HALT_AT_ONCE``) before any other is sent.
        """
        if self.v6 is not None:
            jobs = telephone_first(jobs)
        alone = self.settings.verify or self.v6 is not None
        if self.settings.verify:
            # the stop list takes verified erasures only: never with --no-verify
            stop = self.stop_list.after if self.settings.stop_list else earlier_kept
            work: Work = stop(self.erasure.verified)
            result = await self._pool(work).run(jobs, first_alone=alone)
        else:
            work = earlier_kept(self.erasure.unverified)
            result = await self._pool(work).run(jobs, first_alone=alone)
        result.sent = self.keys.sent
        return result

    async def lookup(self, jobs: Sequence[Job]) -> PoolResult:
        """Look every job's key up, changing nothing (``check``)."""
        return await self._pool(self.erasure.check).run(jobs, first_alone=True)

    def _pool(self, work: Work) -> Pool:
        return Pool(
            work,
            self.recorder,
            self.settings,
            self.control,
            run_id=self.run_id,
            rate=self._lowered_rate,
            progress=self.progress,
        )

    def _lowered_rate(self) -> float | None:
        rate = self.limiter.rate
        return rate if rate != self.limiter.max_rate else None


def telephone_first(jobs: Sequence[Job]) -> list[Job]:
    """``jobs`` with the first input row that holds a telephone key moved to the front.

    Only the order of sending changes: outcomes are kept by line index, so the
    report and the journal's lines keep the input's order.
    """
    rows = by_row(jobs)
    for i, row in enumerate(rows):
        if any(job.line.key_type is KeyType.TELEPHONE for job in row):
            return [job for r in (row, *rows[:i], *rows[i + 1 :]) for job in r]
    return list(jobs)
