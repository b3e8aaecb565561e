"""Circuit breakers: halt a run whose keys keep failing.

Three of the five breakers live here (the other two, refused credentials and a
Retry-After longer than ``max_wait``, are single answers and stop the run
where they are read): ``max_consecutive_failures`` failed keys in a row, a
share of failed keys above ``max_failure_rate`` once ``min_finished_for_rate``
keys have finished, and a failure whose code says the configuration is wrong
(``HALT_AT_ONCE``: the v6 API refusing the telephone field's name), which
every other key of its kind would repeat, so the first one halts the run.
"""

from __future__ import annotations

from ..core.codes import Reason
from ..core.records import Status
from . import messages
from .settings import Settings

#: Failures that come from the run's configuration, not from the key: the first one halts.
HALT_AT_ONCE = frozenset({Reason.V6_FIELD_REFUSED})


class Breakers:
    """Counts finished keys; ``record`` returns why the run must halt, or ""."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.finished = 0
        self.failed = 0
        self.in_a_row = 0

    def record(self, status: Status, code: Reason | None = None, message: str = "") -> str:
        """Count one finished key; the halt reason when a breaker trips, else ""."""
        s = self.settings
        self.finished += 1
        if status is Status.FAILED:
            self.failed += 1
            self.in_a_row += 1
            if code in HALT_AT_ONCE:
                return messages.HALT_AT_ONCE.format(message=message)
        elif status is Status.SUCCESS:
            self.in_a_row = 0
        if s.max_consecutive_failures and self.in_a_row >= s.max_consecutive_failures:
            return messages.HALT_CONSECUTIVE.format(
                failed=self.in_a_row, limit=s.max_consecutive_failures
            )
        if (
            self.finished >= s.min_finished_for_rate
            and self.failed / self.finished >= s.max_failure_rate > 0
        ):
            return messages.HALT_FAILURE_RATE.format(
                failed=self.failed, finished=self.finished, limit=s.max_failure_rate
            )
        return ""
