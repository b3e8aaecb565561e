"""One run's sending, wired: the rate limit, the retry policy, each key's attempts, the pool.

``Sending`` is what the library's ``execute`` uses, and what tests drive with
a scripted ``Sender`` and an in-memory ``Recorder``.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence

from ..core.codes import Reason
from ..core.errors import HaltError
from ..core.job import Job
from ..core.records import KeyType
from ..core.timefmt import iso_now
from .attempts import KeyAttempts
from .classify import Answer, Transport
from .control import RunControl
from .erasure import Erasure
from .pool import Pool, PoolResult, Progress, Recorder, Work, by_row
from .ratelimit import Clock, RateLimiter, loop_time
from .retry import RetryPolicy
from .sender import HttpSender, Sender
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
        if isinstance(sender, HttpSender):  # a token request is a request like any other
            sender.pace_tokens(lambda: self.limiter.acquire(even_stopped=True))
        sender = Halting(sender, control)
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
        v6 API, the input rows holding a telephone go first, one at a time
        until a telephone key was actually sent and answered: an account that
        takes the other telephone field name refuses that one key and the run
        halts (``breakers.HALT_AT_ONCE``) before any other is sent. A first
        telephone the vendor does not hold (nothing sent) decides nothing.
        """
        alone_while = None
        if self.v6 is not None:
            jobs = telephone_first(jobs)
            alone_while = self._telephone_undecided
        alone = self.settings.verify or self.v6 is not None
        if self.settings.verify:
            # the stop list takes verified erasures only: never with --no-verify
            stop = self.stop_list.after if self.settings.stop_list else earlier_kept
            work: Work = stop(self.erasure.verified)
        else:
            work = earlier_kept(self.erasure.unverified)
        result = await self._pool(work).run(jobs, first_alone=alone, alone_while=alone_while)
        result.sent = self.keys.sent
        return result

    async def lookup(self, jobs: Sequence[Job]) -> PoolResult:
        """Look every job's key up, changing nothing (``check``)."""
        return await self._pool(self.erasure.check).run(jobs, first_alone=True)

    def _telephone_undecided(self, row: list[Job]) -> bool:
        """Whether ``row`` must go alone: it holds a telephone, and none was sent and answered."""
        return not self.keys.telephone_answered and _has_telephone(row)

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


class Halting:
    """``sender``, with a ``HaltError`` of the OAuth2 token endpoint turned into a stop.

    The token is fetched before the request leaves: when that fails, the
    request was not sent. The run stops with the endpoint's message
    (``halted_auth``) and the call answers "no connection", which the
    attempts record as not sent, so every key ends in the report, not in a traceback.
    """

    def __init__(self, sender: Sender, control: RunControl) -> None:
        self._sender = sender
        self._control = control

    async def anonymize(self, key_type: KeyType, key: str) -> Answer:
        return await self._guard(self._sender.anonymize(key_type, key))

    async def lookup(self, key_type: KeyType, key: str) -> Answer:
        return await self._guard(self._sender.lookup(key_type, key))

    async def unsubscribe(self, email: str) -> Answer:
        return await self._guard(self._sender.unsubscribe(email))

    async def _guard(self, call: Awaitable[Answer]) -> Answer:
        try:
            return await call
        except HaltError as exc:
            self._control.stop(exc.message, code=Reason.HALTED_AUTH)
            return Answer(None, transport=Transport.REFUSED, detail="not sent: " + exc.message)


def telephone_first(jobs: Sequence[Job]) -> list[Job]:
    """``jobs`` with the input rows that hold a telephone key moved to the front, in order.

    Only the order of sending changes: outcomes are kept by line index, so the
    report and the journal's lines keep the input's order.
    """
    rows = by_row(jobs)
    first = [row for row in rows if _has_telephone(row)]
    rest = [row for row in rows if not _has_telephone(row)]
    return [job for row in (*first, *rest) for job in row]


def _has_telephone(row: Sequence[Job]) -> bool:
    return any(job.line.key_type is KeyType.TELEPHONE for job in row)
