"""One key's attempts: wait for the rate limit, record the send, send, classify, retry.

``KeyAttempts.anonymize`` is the work the pool does for each key of a run;
``KeyAttempts.lookup`` the work of a read-only ``check``. Both end in an
``Outcome`` with a ``Reason`` code; neither raises for anything an API or a
network can do.

Write-ahead: the ``send`` record of an attempt is on disk (``durable``)
before its request leaves, so a crash at any moment leaves a journal that
knows every request that may have reached the vendor.
"""

from __future__ import annotations

from collections.abc import Callable

from ..core.codes import Reason
from ..core.records import Line, Outcome, Status
from ..core.timefmt import iso_now
from . import messages
from .classify import Answer, Kind, Verdict, classify, classify_precheck
from .control import RunControl
from .pool import Job, Recorder
from .ratelimit import Clock, RateLimiter
from .retry import RetryPolicy
from .sender import Sender
from .settings import Settings


class KeyAttempts:
    """Sends one key until it is settled, the retries run out, or the run stops."""

    def __init__(
        self,
        sender: Sender,
        recorder: Recorder,
        settings: Settings,
        *,
        limiter: RateLimiter,
        control: RunControl,
        policy: RetryPolicy,
        clock: Clock,
        run_id: str,
        now_iso: Callable[[], str] = iso_now,
    ) -> None:
        self.sender = sender
        self.recorder = recorder
        self.settings = settings
        self.limiter = limiter
        self.control = control
        self.policy = policy
        self.clock = clock
        self.run_id = run_id
        self.now_iso = now_iso

    async def anonymize(self, job: Job) -> Outcome:
        """Anonymize ``job``'s key: the whole life of one key in a run."""
        line = job.line
        assert line.key_type is not None
        attempts, unknown = job.prior_attempts, job.prior_unknown
        last, last_http = job.prior_message, None
        retries = 0
        records: int | None = None
        if self.settings.precheck:
            check = await self._precheck(line)
            records = check.records if check is not None else None
        while True:
            if not await self.limiter.acquire():
                return self.pending(job, attempts, unknown, last, last_http)
            attempts += 1
            self.recorder.send(line.index, attempts)
            await self.recorder.durable()  # write-ahead: on disk before the request leaves
            answer = await self.sender.anonymize(line.key_type, line.key)
            verdict = classify(answer, timeout=self.settings.timeout)
            if verdict.kind is Kind.SUCCESS:
                self.limiter.succeeded()
                msg = verdict.message
                if unknown:
                    msg += messages.AFTER_LOST.format(unknown=unknown)
                return self._outcome(
                    Status.SUCCESS, None, answer, verdict, msg, attempts, records, unknown
                )
            if verdict.kind is Kind.AUTH:
                # The refusal is a known answer: this attempt did nothing.
                self._tried(line, attempts, answer, verdict, uncertain=False)
                self.control.stop(
                    messages.HALT_AUTH.format(status=answer.status, last=verdict.message),
                    code=Reason.HALTED_AUTH,
                )
                return Outcome(
                    Status.PENDING,
                    Reason.HALTED_AUTH,
                    messages.CREDENTIALS_REFUSED.format(last=verdict.message),
                    http_status=answer.status,
                    vendor_code=verdict.vendor_code,
                    attempts=attempts,
                    unknown_attempts=unknown,
                    run_id=self.run_id,
                )
            if verdict.kind is Kind.PERMANENT:
                return await self._refused(line, answer, verdict, attempts, unknown, records)
            # transient
            if verdict.uncertain:
                unknown += 1
            if verdict.throttled:
                self.limiter.throttled()
            self._tried(line, attempts, answer, verdict, uncertain=verdict.uncertain)
            last, last_http = verdict.message, answer.status
            step = self.policy.next(verdict, retries)
            if step.halt:
                self.control.stop(step.halt, code=Reason.HALTED_BREAKER)
                return self.pending(job, attempts, unknown, last, last_http)
            if not step.retry:
                msg = messages.GAVE_UP.format(attempts=attempts, last=verdict.message)
                if unknown:
                    msg += messages.MAY_HAVE_ACTED.format(unknown=unknown)
                return self._outcome(
                    Status.FAILED,
                    Reason.RETRIES_EXHAUSTED,
                    answer,
                    verdict,
                    msg,
                    attempts,
                    records,
                    unknown,
                )
            retries += 1
            if step.shared:
                # One Retry-After pauses every worker, not just this one.
                self.limiter.pause_until(self.clock.now() + step.delay)
            else:
                await self.clock.sleep(step.delay)
            if self.control.stopped:
                return self.pending(job, attempts, unknown, last, last_http)

    async def lookup(self, job: Job) -> Outcome:
        """``check``: how many records the key would change (one read-only request)."""
        line = job.line
        assert line.key_type is not None
        if not await self.limiter.acquire():
            return self.pending(job, 0, 0)
        answer = await self.sender.precheck(line.key_type, line.key)
        verdict = classify_precheck(answer, timeout=self.settings.timeout)
        if verdict.kind is Kind.AUTH:
            self.control.stop(
                messages.HALT_AUTH.format(status=answer.status, last=verdict.message),
                code=Reason.HALTED_AUTH,
            )
        status = Status.READY if verdict.kind is Kind.SUCCESS else Status.FAILED
        return self._outcome(
            status, verdict.code, answer, verdict, verdict.message, 1, verdict.records
        )

    def pending(
        self,
        job: Job,
        attempts: int,
        unknown: int,
        last: str = "",
        http_status: int | None = None,
    ) -> Outcome:
        """The outcome of a key the run stopped before it was settled."""
        halted = self.control.reason
        if unknown:
            msg = messages.PENDING_ANSWER_LOST.format(attempts=attempts, halted=halted)
        elif attempts:
            msg = messages.PENDING_UNFINISHED.format(last=last or job.prior_message, halted=halted)
        else:
            msg = messages.PENDING_NOT_SENT.format(halted=halted)
        return Outcome(
            Status.PENDING,
            self.control.code,
            msg,
            http_status=http_status,
            attempts=attempts,
            unknown_attempts=unknown,
            run_id=self.run_id,
        )

    # -- helpers -----------------------------------------------------------------------

    def _tried(
        self, line: Line, attempts: int, answer: Answer, verdict: Verdict, *, uncertain: bool
    ) -> None:
        self.recorder.attempt(
            line.index, attempts, answer.status, verdict.code, verdict.message, uncertain
        )

    async def _refused(
        self,
        line: Line,
        answer: Answer,
        verdict: Verdict,
        attempts: int,
        unknown: int,
        records: int | None,
    ) -> Outcome:
        """A permanent refusal; after a lost answer, say so (and settle it if we can)."""
        if not unknown:
            return self._outcome(
                Status.FAILED, verdict.code, answer, verdict, verdict.message, attempts, records
            )
        if self.settings.precheck:
            check = await self._precheck(line)
            if check is not None and check.kind is Kind.SUCCESS and check.records == 0:
                msg = messages.PRECHECK_SETTLED.format(last=verdict.message)
                return self._outcome(Status.SUCCESS, None, answer, verdict, msg, attempts, 0)
        msg = messages.UNCERTAIN.format(unknown=unknown, last=verdict.message)
        return self._outcome(
            Status.FAILED, Reason.OUTCOME_UNKNOWN, answer, verdict, msg, attempts, None, unknown
        )

    async def _precheck(self, line: Line) -> Verdict | None:
        assert line.key_type is not None
        if not await self.limiter.acquire():
            return None
        answer = await self.sender.precheck(line.key_type, line.key)
        return classify_precheck(answer, timeout=self.settings.timeout)

    def _outcome(
        self,
        status: Status,
        code: Reason | None,
        answer: Answer,
        verdict: Verdict,
        message: str,
        attempts: int,
        records: int | None = None,
        unknown: int = 0,
    ) -> Outcome:
        return Outcome(
            status,
            code,
            message,
            http_status=answer.status,
            vendor_code=verdict.vendor_code,
            attempts=attempts,
            unknown_attempts=unknown,
            finished_at=self.now_iso(),
            run_id=self.run_id,
            records_found=records,
        )
