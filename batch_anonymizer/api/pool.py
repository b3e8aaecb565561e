"""The asyncio worker pool: one rate-limited request per key, retries, breakers.

Each job goes: wait for the shared rate limit -> journal the send durably ->
send -> classify -> retry if transient -> journal the outcome. A circuit
breaker (credentials refused, too many failures, a Retry-After longer than
``max_wait``) or an interrupt stops new sends; requests already in flight
finish and are recorded; everything not finished is ``pending``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from tqdm import tqdm

from ..core.records import KeyType, Line, Outcome, Status
from ..state.journal import OUTCOME_UNKNOWN, JournalWriter
from .classify import Kind, Verdict, classify, classify_precheck
from .ratelimit import Clock, RateLimiter, backoff_delay, parse_retry_after
from .sender import Sender

log = logging.getLogger(__name__)

#: Message prefix of a failure that was transient every time (``retry --only-transient``).
GAVE_UP = "gave up after"


def utc_now_iso() -> str:
    """The current UTC time to the second, ISO 8601 (formatted once per second)."""
    return _iso_second(int(time.time()))


@lru_cache(maxsize=2)
def _iso_second(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))


@dataclass(frozen=True, slots=True)
class Settings:
    """How to send. Defaults are the CLI's defaults."""

    concurrency: int = 4
    rate: float | None = 5.0  # requests per second; None = unlimited
    max_retries: int = 5
    timeout: float = 30.0
    max_consecutive_failures: int = 10
    max_failure_rate: float = 0.5
    min_finished_for_rate: int = 20
    max_wait: float = 300.0
    precheck: bool = False
    backoff_base: float = 0.5
    backoff_cap: float = 30.0


@dataclass(frozen=True, slots=True)
class Job:
    """A line to send, with what earlier runs already tried."""

    line: Line
    prior_attempts: int = 0
    prior_unknown: int = 0  # earlier attempts whose answer was lost
    prior_message: str = ""


@dataclass
class RunResult:
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    halted: str = ""  # reason, "" when the run went to the end
    interrupted: bool = False


class Runner:
    """Runs jobs through a ``Sender`` with a shared ``RateLimiter`` and a journal."""

    def __init__(
        self,
        sender: Sender,
        journal: JournalWriter,
        settings: Settings,
        *,
        run_id: str,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        now_iso: Callable[[], str] = utc_now_iso,
        progress: bool = True,
    ) -> None:
        self.sender = sender
        self.journal = journal
        self.settings = settings
        self.run_id = run_id
        self.clock = clock or Clock()
        self.rng = rng or random.Random()
        self.now_iso = now_iso
        self.limiter = RateLimiter(settings.rate, clock=self.clock)
        self.result = RunResult()
        self._show_progress = progress
        self._bar: tqdm[Any] | None = None
        self._finished = 0
        self._failed = 0
        self._consecutive_failed = 0

    # -- control ---------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return bool(self.result.halted)

    def halt(self, reason: str, *, interrupted: bool = False) -> None:
        """Stop sending new requests; the first reason given is kept."""
        if not self.result.halted:
            self.result.halted = reason
            self.result.interrupted = interrupted

    # -- the pool --------------------------------------------------------

    async def run(self, jobs: Sequence[Job]) -> RunResult:
        """Send every job (unless halted); return an outcome for each one."""
        queue: asyncio.Queue[Job] = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)
        bar: tqdm[Any] = tqdm(
            total=len(jobs),
            unit="key",
            disable=None if self._show_progress else True,
            dynamic_ncols=True,
            smoothing=0.1,
        )
        self._bar = bar
        workers = max(1, min(self.settings.concurrency, len(jobs) or 1))
        try:
            await asyncio.gather(*(self._worker(queue) for _ in range(workers)))
        finally:
            bar.close()
        return self.result

    async def _worker(self, queue: asyncio.Queue[Job]) -> None:
        while not queue.empty():
            job = queue.get_nowait()
            if self.stopping:
                self._finish(job.line, self._pending(job, job.prior_attempts, job.prior_unknown))
                continue
            outcome = await self._process(job)
            self._finish(job.line, outcome)

    def _finish(self, line: Line, outcome: Outcome) -> None:
        self.result.outcomes[line.index] = outcome
        # Row and status only: keys are personal data, and no secret is ever known here.
        log.info(
            "row %s %s: %s (HTTP %s, %d attempt(s)) %s",
            line.source_row,
            line.key_type.value if line.key_type else "-",
            outcome.status.value,
            outcome.http_status,
            outcome.attempts,
            outcome.message,
        )
        if outcome.status is not Status.PENDING:
            self.journal.done(line.index, outcome)
        self._finished += 1
        if outcome.status is Status.FAILED:
            self._failed += 1
            self._consecutive_failed += 1
        elif outcome.status is Status.SUCCESS:
            self._consecutive_failed = 0
        self._check_breakers()
        if self._bar is not None:
            self._bar.update(1)
            rate = self.limiter.rate
            if rate is not None and self.limiter.max_rate is not None:
                self._bar.set_postfix_str(f"rate {rate:g}/s", refresh=False)

    def _check_breakers(self) -> None:
        s = self.settings
        if s.max_consecutive_failures and self._consecutive_failed >= s.max_consecutive_failures:
            self.halt(
                f"{self._consecutive_failed} keys failed in a row "
                f"(--max-consecutive-failures {s.max_consecutive_failures})"
            )
        sent = self._finished
        if sent >= s.min_finished_for_rate and self._failed / sent >= s.max_failure_rate > 0:
            self.halt(
                f"{self._failed} of {sent} finished keys failed "
                f"(--max-failure-rate {s.max_failure_rate:.0%})"
            )

    # -- one key ---------------------------------------------------------

    def _pending(self, job: Job, attempts: int, unknown: int, last: str = "") -> Outcome:
        if unknown:
            msg = (
                f"sent {attempts} time(s), answer lost ({OUTCOME_UNKNOWN}); "
                f"run halted: {self.result.halted}"
            )
        elif attempts:
            msg = f"not finished: {last or job.prior_message}; run halted: {self.result.halted}"
        else:
            msg = f"not sent: run halted: {self.result.halted}"
        return Outcome(
            Status.PENDING,
            message=msg,
            attempts=attempts,
            run_id=self.run_id,
            unknown_attempts=unknown,
        )

    async def _process(self, job: Job) -> Outcome:
        line = job.line
        assert line.key_type is not None
        key_type: KeyType = line.key_type
        s = self.settings
        attempts, unknown = job.prior_attempts, job.prior_unknown
        retries = 0
        records: int | None = None
        if s.precheck:
            check = await self._precheck(key_type, line.key)
            records = check.records
        while True:
            await self.limiter.acquire()
            if self.stopping:
                return self._pending(job, attempts, unknown)
            attempts += 1
            self.journal.send(line.index, attempts)
            await self.journal.durable()  # write-ahead: on disk before the request leaves
            answer = await self.sender.anonymize(key_type, line.key)
            verdict = classify(answer, timeout=s.timeout)
            if verdict.kind is Kind.SUCCESS:
                self.limiter.succeeded()
                msg = verdict.message
                if unknown:
                    msg += f" (after {unknown} earlier attempt(s) whose answer was lost)"
                return self._outcome(Status.SUCCESS, answer.status, msg, "", attempts, records)
            if verdict.kind is Kind.AUTH:
                # The refusal is a known answer: this attempt did nothing.
                self.journal.attempt(line.index, attempts, answer.status, verdict.message, False)
                self.halt(
                    f"the API refused the credentials (HTTP {answer.status} {verdict.message})"
                )
                return Outcome(
                    Status.PENDING,
                    http_status=answer.status,
                    message=f"not anonymized: credentials refused ({verdict.message}); run halted",
                    error_code=verdict.error_code,
                    attempts=attempts,
                    run_id=self.run_id,
                    unknown_attempts=unknown,
                )
            if verdict.kind is Kind.PERMANENT:
                return await self._refused(
                    line, key_type, answer.status, verdict, attempts, unknown
                )
            # transient
            if verdict.uncertain:
                unknown += 1
            if answer.status == 429:
                self.limiter.throttled()
            wait = None
            if answer.status in (429, 503):
                wait = parse_retry_after(answer.retry_after)
            self.journal.attempt(
                line.index, attempts, answer.status, verdict.message, verdict.uncertain
            )
            if wait is not None and wait > s.max_wait:
                self.halt(
                    f"the API asked to wait {wait:.0f} s (Retry-After), longer than "
                    f"--max-wait {s.max_wait:g} s"
                )
                return self._pending(job, attempts, unknown, verdict.message)
            if retries >= s.max_retries:
                msg = f"{GAVE_UP} {attempts} attempts: {verdict.message}"
                if unknown:
                    msg += (
                        f" ({unknown} attempt(s) with no known answer: the vendor may have acted)"
                    )
                return self._outcome(
                    Status.FAILED,
                    answer.status,
                    msg,
                    verdict.error_code,
                    attempts,
                    records,
                    unknown,
                )
            retries += 1
            if wait is not None:
                # One Retry-After pauses every worker, not just this one.
                self.limiter.pause_until(self.clock.now() + wait)
            else:
                await self.clock.sleep(
                    backoff_delay(retries, base=s.backoff_base, cap=s.backoff_cap, rng=self.rng)
                )
            if self.stopping:
                return self._pending(job, attempts, unknown, verdict.message)

    async def _refused(
        self,
        line: Line,
        key_type: KeyType,
        http_status: int | None,
        verdict: Verdict,
        attempts: int,
        unknown: int,
    ) -> Outcome:
        """A permanent refusal; after a lost answer, say so (and settle it if we can)."""
        if not unknown:
            return self._outcome(
                Status.FAILED, http_status, verdict.message, verdict.error_code, attempts
            )
        if self.settings.precheck:
            check = await self._precheck(key_type, line.key)
            if check.kind is Kind.SUCCESS and check.records == 0:
                return self._outcome(
                    Status.SUCCESS,
                    http_status,
                    f"verified by pre-check: no records remain for this key; an earlier attempt "
                    f"whose answer was lost anonymized them (last answer: {verdict.message})",
                    verdict.error_code,
                    attempts,
                    0,
                )
        msg = (
            f"outcome uncertain: {unknown} earlier attempt(s) got no answer and may have "
            f"anonymized this key; the last attempt answered: {verdict.message}. "
            "Check with `batch-anonymizer check` before sending again"
        )
        return self._outcome(
            Status.FAILED, http_status, msg, verdict.error_code, attempts, None, unknown
        )

    async def _precheck(self, key_type: KeyType, key: str) -> Verdict:
        await self.limiter.acquire()
        answer = await self.sender.precheck(key_type, key)
        return classify_precheck(answer, timeout=self.settings.timeout)

    def _outcome(
        self,
        status: Status,
        http_status: int | None,
        message: str,
        error_code: str,
        attempts: int,
        records: int | None = None,
        unknown: int = 0,
    ) -> Outcome:
        return Outcome(
            status,
            http_status=http_status,
            message=message,
            error_code=error_code,
            attempts=attempts,
            finished_at=self.now_iso(),
            run_id=self.run_id,
            records_found=records,
            unknown_attempts=unknown,
        )


async def check_keys(
    sender: Sender,
    lines: Sequence[Line],
    *,
    rate: float | None,
    concurrency: int,
    run_id: str,
    timeout: float,
    now_iso: Callable[[], str] = utc_now_iso,
    progress: bool = True,
) -> dict[int, Outcome]:
    """Read-only pre-check of every line: how many records each key would change."""
    limiter = RateLimiter(rate)
    queue: asyncio.Queue[Line] = asyncio.Queue()
    for line in lines:
        queue.put_nowait(line)
    out: dict[int, Outcome] = {}
    bar = tqdm(total=len(lines), unit="key", disable=None if progress else True)

    async def worker() -> None:
        while not queue.empty():
            line = queue.get_nowait()
            assert line.key_type is not None
            await limiter.acquire()
            answer = await sender.precheck(line.key_type, line.key)
            v = classify_precheck(answer, timeout=timeout)
            status = Status.READY if v.kind is Kind.SUCCESS else Status.FAILED
            out[line.index] = Outcome(
                status,
                http_status=answer.status,
                message=v.message,
                error_code=v.error_code,
                attempts=1,
                finished_at=now_iso(),
                run_id=run_id,
                records_found=v.records,
            )
            bar.update(1)

    try:
        await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(lines))))))
    finally:
        bar.close()
    return out
