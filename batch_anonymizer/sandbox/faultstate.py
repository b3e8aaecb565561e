"""The running side of a fault spec: random generators, script cursors, the rate window.

The sandbox asks ``FaultState`` per request: ``latency()``, ``rate_limited(now)``
and then ``decide(key)`` for an anonymize POST or ``decide_lookup(key)`` for a
lookup (GET). ``wire.perform`` turns a ``Step`` into bytes on the wire (or
into no answer at all).

How random numbers are drawn (documented in ``docs/sandbox.md``), so that the
same seed and the same arrival order give the same faults:

- two generators, both from ``seed``: the *anonymize* generator
  (``random.Random(seed)``, as before lookup faults existed) and the *lookup*
  generator (``random.Random(f"lookup:{seed}")``); with no seed both are
  unpredictable;
- every request (POST or GET) whose ``latency`` is a range draws its latency
  from the anonymize generator;
- an anonymize POST that no script step answers draws one number from the
  anonymize generator when any POST fault rate is above 0, and a second one
  only when it lands on a 503 (whether it carries ``Retry-After: 1``);
- a lookup that no ``lookup_script`` step answers draws the same way from the
  lookup generator when any lookup fault rate is above 0.

So lookups never shift the POSTs' faults (but for a latency range, which
predates lookups and is kept as it was), and a spec without lookup faults
draws exactly as it did before.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Mapping
from email.utils import formatdate
from typing import TYPE_CHECKING

from ..core.errors import UsageError
from .steps import NORMAL, STICKY, Step, script_key

if TYPE_CHECKING:
    from .faults import Faults

Bands = list[tuple[float, Step]]


def _bands(what: str, rates: list[tuple[float, Step]]) -> Bands:
    """Cumulative bands for one uniform draw; refuses rates adding up to more than 1."""
    bands: Bands = []
    total = 0.0
    for p, step in rates:
        if p > 0:
            total += p
            bands.append((total, step))
    if total > 1.0 + 1e-9:
        raise UsageError(f"sandbox faults: the {what} rates add up to {total:.3f}, above 1")
    return bands


def post_bands(faults: Faults) -> Bands:
    """The anonymize POST's bands, in a fixed order (sticky last: older specs draw as before)."""
    return _bands(
        "fault",
        [
            (faults.reset_rate, Step("reset")),
            (faults.timeout_rate, Step("timeout")),
            (faults.error200_rate, Step("error200")),
            (faults.truncated_rate, Step("truncated")),
            *((p, Step("status", s)) for s, p in sorted(faults.errors.items())),
            (faults.sticky, STICKY),
        ],
    )


def lookup_bands(faults: Faults) -> Bands:
    """The lookup's bands: its timeouts, then its errors by status."""
    return _bands(
        "lookup fault",
        [
            (faults.lookup_timeout_rate, Step("timeout")),
            *((p, Step("status", s)) for s, p in sorted(faults.lookup_errors.items())),
        ],
    )


class _Script:
    """Per-key steps and how far each key has got."""

    def __init__(self, steps: Mapping[str, tuple[Step, ...]]) -> None:
        self.steps = steps
        self.cursor: dict[str, int] = {}

    def next(self, key: str | None) -> Step | None:
        if key is None or not self.steps:
            return None
        k = script_key(key)
        steps = self.steps.get(k)
        if steps is None:
            return None
        i = self.cursor.get(k, 0)
        if i >= len(steps):
            return None
        self.cursor[k] = i + 1
        return steps[i]


class FaultState:
    """The running side of a ``Faults``: generators, script cursors, rate window."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.rng = random.Random(faults.seed)
        self.lookup_rng = random.Random(None if faults.seed is None else f"lookup:{faults.seed}")
        self._script = _Script(faults.script)
        self._lookup_script = _Script(faults.lookup_script)
        self._window: deque[float] = deque()
        self._bands = post_bands(faults)
        self._lookup_bands = lookup_bands(faults)

    def latency(self) -> float:
        """Seconds to wait before answering (0.0 means do not wait at all)."""
        lo, hi = self.faults.latency
        return lo if lo == hi else self.rng.uniform(lo, hi)

    def rate_limited(self, now: float) -> str | None:
        """``None`` if the request may pass, else the Retry-After value ("" for none)."""
        limit = self.faults.rate_limit
        if limit is None:
            return None
        window = self._window
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) < limit.rps:
            window.append(now)
            return None
        if limit.retry_after == "none":
            return ""
        if limit.retry_after == "date":
            # HTTP-dates have 1 s resolution: the next whole second, plus one.
            return formatdate(math.ceil(now) + 1, usegmt=True)
        return str(max(1, math.ceil(window[0] + 1.0 - now)))

    def decide(self, key: str | None) -> Step:
        """What to do with an anonymize POST for ``key``: its script first, then chance."""
        step = self._script.next(key)
        return step if step is not None else _draw(self.rng, self._bands)

    def decide_lookup(self, key: str | None) -> Step:
        """What to do with a lookup for ``key``: its ``lookup_script`` first, then chance."""
        step = self._lookup_script.next(key)
        return step if step is not None else _draw(self.lookup_rng, self._lookup_bands)


def _draw(rng: random.Random, bands: Bands) -> Step:
    if not bands:
        return NORMAL
    u = rng.random()
    for upper, step in bands:
        if u < upper:
            if step.kind == "status" and step.status == 503 and rng.random() < 0.5:
                return Step("status", 503, 1.0)
            return step
    return NORMAL
