"""One key's requests: wait for the rate limit, record, send, classify, retry.

``KeyAttempts`` gives the erasure flow (``erasure``) its two moves: ``post``
(the anonymize call, with write-ahead records and retries) and ``look`` (the
read-only lookup, with retries). Both share the run's rate limit, retry
policy and stop switch, and neither raises for anything an API or a network
can do: each returns what happened, and a ``Tally`` carries one key's counts
across its requests.

Write-ahead: the ``send`` record of a POST is on disk (``durable``) before the
request leaves, so a crash at any moment leaves a journal that knows every
request that may have reached the vendor.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.codes import Reason
from ..core.errors import JournalError
from ..core.identity import key_form
from ..core.job import Job
from ..core.records import KeyType, Line, Outcome, Phase, Status
from . import messages
from .classify import Answer, Kind, Verdict, classify, classify_lookup
from .control import RunControl
from .pool import Recorder
from .ratelimit import Clock, RateLimiter
from .retry import NextStep, RetryPolicy
from .sender import Sender
from .settings import Settings
from .v6 import V6Call
from .verdict import Posted


@dataclass
class Tally:
    """One key's counts across its requests in this run (and those before it)."""

    attempts: int = 0  # anonymize requests sent, in every run
    unknown: int = 0  # of those, how many got no answer: the vendor may have acted
    retries: int = 0  # retries spent in this run (POST and lookup alike)
    last: str = ""  # the last answer that did not settle the key, for people
    last_http: int | None = None
    last_vendor_code: str = ""

    @classmethod
    def of(cls, job: Job) -> Tally:
        """What earlier runs left of the key."""
        return cls(job.prior_attempts, job.prior_unknown, last=job.prior_message)

    def note(self, answer: Answer, verdict: Verdict) -> None:
        """Remember an answer that did not settle the key."""
        self.last, self.last_http, self.last_vendor_code = (
            verdict.message,
            answer.status,
            verdict.vendor_code,
        )


@dataclass(frozen=True, slots=True)
class Post:
    """The end of an anonymize phase: how it ended, the last answer, and its verdict."""

    how: Posted
    answer: Answer
    verdict: Verdict
    delay: float = 0.0  # after LOST: the backoff before the next anonymize request
    shared: bool = False  # ... and whether it is a Retry-After for every worker


@dataclass(frozen=True, slots=True)
class Looked:
    """What a lookup found: ``records`` None when it could not be done (``verdict`` says why)."""

    records: int | None
    answer: Answer
    verdict: Verdict


class KeyAttempts:
    """The requests of one key: anonymize and look up, with retries and records."""

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
        v6: V6Call | None = None,
    ) -> None:
        self.sender = sender
        self.v6 = v6  # the v6 API's answers are read by its own rules
        self.recorder = recorder
        self.settings = settings
        self.limiter = limiter
        self.control = control
        self.policy = policy
        self.clock = clock
        self.run_id = run_id
        self.sent = 0  # anonymize requests that left, in this run
        # A telephone key's anonymize request was answered for what it said, taken or
        # refused (v6: the account's telephone field name is then known to work, or the
        # run halts); a timeout or a 5xx decides nothing.
        self.telephone_answered = False

    async def post(self, line: Line, value: str, tally: Tally) -> Post | None:
        """Anonymize ``value`` until the vendor answers; None when the run stops first.

        Transient answers are retried; an answer that may have been acted on
        (``LOST``) returns at once so that a lookup can settle it first.
        """
        assert line.key_type is not None
        while True:
            slot = await self.limiter.take()
            if slot is None:
                return None
            tally.attempts += 1
            self.recorder.send(line.index, tally.attempts)
            try:
                await self.recorder.durable()  # write-ahead: on disk before the request leaves
            except JournalError as exc:
                # No record, no request: a request the journal might not know of is never sent.
                tally.attempts -= 1
                self.control.stop(
                    messages.HALT_JOURNAL.format(error=exc.message), code=Reason.HALTED_JOURNAL
                )
                return None
            await self.limiter.started(slot)  # the fsync may have outlasted the slot
            self.sent += 1
            answer = await self.sender.anonymize(line.key_type, value)
            if self.v6 is not None:
                verdict = self.v6.classify(answer, line.key_type, timeout=self.settings.timeout)
            else:
                verdict = classify(answer, timeout=self.settings.timeout)
            if line.key_type is KeyType.TELEPHONE and verdict.kind in (
                Kind.SUCCESS,
                Kind.PERMANENT,
            ):
                self.telephone_answered = True  # the vendor read it: taken, or refused
            if verdict.kind is Kind.SUCCESS:
                self.limiter.succeeded()
                return Post(Posted.ACCEPTED, answer, verdict)
            if verdict.kind is Kind.AUTH:
                self._tried(line, tally.attempts, answer, verdict, uncertain=False)
                self._halt_auth(answer, verdict)
                tally.note(answer, verdict)
                return None
            if verdict.kind is Kind.PERMANENT:
                return Post(Posted.REFUSED, answer, verdict)
            step = self._transient(line, tally, answer, verdict, tally.attempts)
            if step is None:
                return None
            if not step.retry:
                return Post(Posted.EXHAUSTED, answer, verdict)
            if verdict.uncertain:
                return Post(Posted.LOST, answer, verdict, step.delay, step.shared)
            await self.wait(step.delay, step.shared)
            if self.control.stopped:
                return None

    async def look(
        self, line: Line, value: str, tally: Tally, phase: Phase, *, settles: bool = False
    ) -> Looked | None:
        """Look ``value`` up (read-only) until an answer counts; None when the run stops first.

        ``settles``: the lookup after an anonymize request that was sent. A
        stopped run still asks it once (it tells what the request did), but
        does not retry it. A refusal of lookups (403/405, or a 404 that is no
        vendor answer) stops the run: without lookups no erasure can be
        verified; a 401 stops it as refused credentials.
        """
        assert line.key_type is not None
        while True:
            stopped = self.control.stopped
            if stopped and not settles:
                return None
            if not await self.limiter.acquire(even_stopped=settles):
                return None
            answer = await self.sender.lookup(line.key_type, value)
            verdict = classify_lookup(answer, timeout=self.settings.timeout)
            form = key_form(line, value)
            self.recorder.lookup(
                line.index, phase, form, verdict.records, answer.status, verdict.code
            )
            if verdict.kind is Kind.SUCCESS:
                self.limiter.succeeded()
                return Looked(verdict.records, answer, verdict)
            if verdict.kind is Kind.AUTH:
                if verdict.code is Reason.HALTED_AUTH:
                    self._halt_auth(answer, verdict)
                else:
                    reason = messages.HALT_LOOKUP.format(status=answer.status, last=verdict.message)
                    self.control.stop(reason, code=Reason.LOOKUP_REFUSED)
                tally.note(answer, verdict)
                return None
            if verdict.kind is Kind.PERMANENT:
                return Looked(None, answer, verdict)
            if self.control.stopped:
                tally.note(answer, verdict)
                return None  # a stopped run does not retry: resume looks again
            step = self._transient(line, tally, answer, verdict, None)
            if step is None:
                return None
            if not step.retry:
                return Looked(None, answer, verdict)
            await self.wait(step.delay, step.shared)
            if self.control.stopped:
                return None

    async def wait(self, delay: float, shared: bool) -> None:
        """Wait before a retry: a Retry-After pauses every worker, a backoff only this one."""
        if shared:
            self.limiter.pause_until(self.clock.now() + delay)
        else:
            await self.clock.sleep(delay)

    def pending(self, job: Job, tally: Tally, **fields: object) -> Outcome:
        """The outcome of a key the run stopped before it was settled."""
        halted = self.control.reason
        if tally.unknown:
            msg = messages.PENDING_ANSWER_LOST.format(attempts=tally.attempts, halted=halted)
        elif tally.attempts or tally.last:
            last = tally.last or job.prior_message
            msg = messages.PENDING_UNFINISHED.format(last=last, halted=halted)
        else:
            msg = messages.PENDING_NOT_SENT.format(halted=halted)
        return Outcome(
            Status.PENDING,
            self.control.code,
            msg,
            http_status=tally.last_http,
            vendor_code=tally.last_vendor_code,
            attempts=tally.attempts,
            unknown_attempts=tally.unknown,
            run_id=self.run_id,
            **fields,  # type: ignore[arg-type]
        )

    # -- helpers ---------------------------------------------------------------------------

    def _transient(
        self, line: Line, tally: Tally, answer: Answer, verdict: Verdict, attempt: int | None
    ) -> NextStep | None:
        """Count a transient answer and decide the next step; None when the run must halt."""
        if verdict.uncertain and attempt is not None:
            tally.unknown += 1
        if verdict.throttled:
            self.limiter.throttled()
        if attempt is not None:
            self._tried(line, attempt, answer, verdict, uncertain=verdict.uncertain)
        tally.note(answer, verdict)
        step = self.policy.next(verdict, tally.retries)
        if step.halt:
            self.control.stop(step.halt, code=Reason.HALTED_BREAKER)
            return None
        if step.retry:
            tally.retries += 1
        return step

    def _tried(
        self, line: Line, attempt: int, answer: Answer, verdict: Verdict, *, uncertain: bool
    ) -> None:
        self.recorder.attempt(
            line.index, attempt, answer.status, verdict.code, verdict.message, uncertain
        )

    def _halt_auth(self, answer: Answer, verdict: Verdict) -> None:
        self.control.stop(
            messages.HALT_AUTH.format(status=answer.status, last=verdict.message),
            code=Reason.HALTED_AUTH,
        )
