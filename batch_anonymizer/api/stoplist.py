"""``--stop-list``: each email verified erased goes on the vendor's unsubscribe list.

CustomerGauge documents ``POST /v4.1/lists/unsubscribe.json`` with the form
field ``email`` (error 400402 when it is missing) and ``GET`` to list it; it
does not document the success answer, so a 2xx with a ``Data`` body counts,
as for the anonymize call. The vendor's own survey sending then skips the
address if an import brings it back. It leaves the plaintext address with the
vendor, which is why it is off by default.

Only a verified erasure is added: a ``success`` whose lookup afterwards found
no record, of an email (the list holds emails). The addition shares the run's
rate limit and retry policy; its result is the outcome's ``stop_list``
(``added`` / ``failed``) and a few words in its message, so the journal's
``done`` record and the report hold it. A crash between the addition and that
record adds the address again on resume, which changes nothing on the list.

A verified erasure whose addition did not happen (``failed``: refused, or the
run stopped first) is owed the addition alone: ``retry`` and ``run --resume``
give it back as a job with ``stop_list_only`` set, and only the addition is
made (no anonymize call, the erasure's outcome kept); without ``--stop-list``
such a job keeps its earlier outcome (``earlier_kept``).
"""

from __future__ import annotations

from dataclasses import replace

from ..core.identity import value_in
from ..core.job import Job
from ..core.records import STOP_ADDED, STOP_FAILED, KeyType, Line, Outcome, Status
from . import messages
from .classify import Kind, classify
from .control import RunControl
from .pool import Work
from .ratelimit import Clock, RateLimiter
from .retry import RetryPolicy
from .sender import Sender


def wanted(line: Line, outcome: Outcome) -> bool:
    """Whether this outcome is a verified erasure of an email."""
    return _verified_email(line.key_type, outcome)


def _verified_email(key_type: KeyType | None, outcome: Outcome) -> bool:
    verified = outcome.status is Status.SUCCESS and outcome.records_after == 0
    return key_type is KeyType.EMAIL and verified


# where the words of a failed addition start in an outcome's message (messages.STOP_FAILED)
_NOT_ADDED = messages.STOP_FAILED.partition(" (")[0]


def owed(line: Line, outcome: Outcome) -> bool:
    """Whether an earlier outcome is a verified erasure still owing its stop-list addition."""
    return owes(line.key_type, outcome)


def owes(key_type: KeyType | None, outcome: Outcome) -> bool:
    """``owed`` told from the key's type alone (a resume decides over the plan's columns)."""
    return _verified_email(key_type, outcome) and outcome.stop_list == STOP_FAILED


def earlier_kept(work: Work) -> Work:
    """``work``, but a job owing only its stop-list step (a run without ``--stop-list``)
    keeps its earlier outcome: nothing is sent for it."""

    async def kept_or_work(job: Job) -> Outcome:
        if job.stop_list_only is not None:
            return job.stop_list_only
        return await work(job)

    return kept_or_work


class StopList:
    """Adds the verified erased emails of a run to the vendor's unsubscribe list."""

    def __init__(
        self,
        sender: Sender,
        *,
        limiter: RateLimiter,
        policy: RetryPolicy,
        clock: Clock,
        control: RunControl,
        timeout: float,
    ) -> None:
        self.sender = sender
        self.limiter = limiter
        self.policy = policy
        self.clock = clock
        self.control = control
        self.timeout = timeout
        self.added = 0

    def after(self, work: Work) -> Work:
        """``work``, then the stop list for each verified erasure of an email."""

        async def erase_then_stop(job: Job) -> Outcome:
            if job.stop_list_only is not None:  # erased and verified before: the list only
                outcome = replace(
                    job.stop_list_only,
                    stop_list="",
                    message=job.stop_list_only.message.partition(_NOT_ADDED)[0],
                )
            else:
                outcome = await work(job)
            if not wanted(job.line, outcome):
                return outcome
            email = value_in(job.line, outcome.key_form) if outcome.key_form else ""
            problem = await self.add(email or job.line.key)
            if problem is None:
                self.added += 1
                return replace(
                    outcome, stop_list=STOP_ADDED, message=outcome.message + messages.STOP_ADDED
                )
            message = outcome.message + messages.STOP_FAILED.format(last=problem)
            return replace(outcome, stop_list=STOP_FAILED, message=message)

        return erase_then_stop

    async def add(self, email: str) -> str | None:
        """Put ``email`` on the list; None when the vendor took it, else the last problem."""
        retries = 0
        while True:
            if not await self.limiter.acquire():
                return "the run stopped first"
            answer = await self.sender.unsubscribe(email)
            verdict = classify(answer, timeout=self.timeout)
            if verdict.kind is Kind.SUCCESS:
                self.limiter.succeeded()
                return None
            if verdict.kind is not Kind.TRANSIENT:
                return verdict.message
            if verdict.throttled:
                self.limiter.throttled()
            step = self.policy.next(verdict, retries)
            if not step.retry:
                return verdict.message
            retries += 1
            if step.shared:
                self.limiter.pause_until(self.clock.now() + step.delay)
            else:
                await self.clock.sleep(step.delay)
            if self.control.stopped:
                return "the run stopped first"
