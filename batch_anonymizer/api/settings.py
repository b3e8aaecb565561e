"""How to send: the settings of a run, and their defaults (the one place they are set)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Settings:
    """How to send. The defaults here are the command line's defaults.

    ``rate`` None means unlimited; ``concurrency`` None means "auto": enough
    workers to keep the rate at up to ~0.5 s latency (see ``workers``).
    """

    rate: float | None = 5.0  # requests per second, never more in any 1-second window
    concurrency: int | None = None
    max_retries: int = 5
    timeout: float = 30.0  # seconds per request
    max_consecutive_failures: int = 10  # 0: never
    max_failure_rate: float = 0.5  # of the finished keys, once min_finished_for_rate finished
    min_finished_for_rate: int = 20
    max_wait: float = 300.0  # the longest Retry-After honoured, in seconds
    verify: bool = True  # look every key up before and after anonymizing it
    recheck_delay: float = 3.0  # seconds before looking again when records remain
    stop_list: bool = False  # add each verified erased email to the vendor's unsubscribe list
    backoff_base: float = 0.5
    backoff_cap: float = 30.0

    @property
    def workers(self) -> int:
        """The number of parallel requests: ``concurrency``, or the automatic choice."""
        if self.concurrency is not None:
            return self.concurrency
        if self.rate is None:
            return 32
        return max(4, min(64, math.ceil(self.rate / 2) + 2))


#: The defaults, for whoever shows or compares them (the CLI's options and help).
DEFAULTS = Settings()
