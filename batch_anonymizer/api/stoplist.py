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
"""

from __future__ import annotations

from dataclasses import replace

from ..core.records import STOP_ADDED, STOP_FAILED, KeyType, Line, Outcome, Status
from . import messages
from .attempts import value_in
from .classify import Kind, classify
from .control import RunControl
from .pool import Job, Work
from .ratelimit import Clock, RateLimiter
from .retry import RetryPolicy
from .sender import Sender


def wanted(line: Line, outcome: Outcome) -> bool:
    """Whether this outcome is a verified erasure of an email."""
    return (
        line.key_type is KeyType.EMAIL
        and outcome.status is Status.SUCCESS
        and outcome.records_after == 0
    )


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
