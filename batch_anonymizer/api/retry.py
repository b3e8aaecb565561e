"""The retry policy: after a transient answer, what the key does next.

A pure decision from the verdict, the retries so far and the settings, so it
is table-tested without a clock: retry after a capped exponential backoff
with full jitter (``uniform(0, min(cap, base * 2**n))``); or, when the API
asked with Retry-After, retry after that wait for *every* worker; or halt the
run when the API asks for longer than ``max_wait``; or give up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from . import messages
from .classify import Verdict
from .settings import Settings


@dataclass(frozen=True, slots=True)
class NextStep:
    """What to do after a transient answer."""

    retry: bool  # False: give up (retries exhausted) or halt
    delay: float = 0.0  # seconds before the retry
    shared: bool = False  # the delay is a Retry-After: every worker pauses, not only this one
    halt: str = ""  # the run must halt, and why (Retry-After longer than max_wait)


def backoff_delay(
    attempt: int, *, base: float = 0.5, cap: float = 30.0, rng: random.Random | None = None
) -> float:
    """Capped exponential backoff with full jitter: uniform(0, min(cap, base * 2**(attempt-1)))."""
    upper = min(cap, base * (2 ** max(0, attempt - 1)))
    return (rng or random).uniform(0, upper)


class RetryPolicy:
    """Decides each key's next step after a transient answer."""

    def __init__(self, settings: Settings, rng: random.Random | None = None) -> None:
        self.settings = settings
        self.rng = rng or random.Random()

    def next(self, verdict: Verdict, retries: int) -> NextStep:
        """The step after ``verdict``, the ``retries``-th retry having been spent already."""
        s = self.settings
        wait = verdict.retry_after
        if wait is not None and wait > s.max_wait:
            return NextStep(False, halt=messages.HALT_WAIT.format(wait=wait, max_wait=s.max_wait))
        if retries >= s.max_retries:
            return NextStep(False)
        if wait is not None:
            return NextStep(True, wait, shared=True)
        delay = backoff_delay(retries + 1, base=s.backoff_base, cap=s.backoff_cap, rng=self.rng)
        return NextStep(True, delay)
