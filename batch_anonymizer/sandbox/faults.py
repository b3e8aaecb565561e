"""How the sandbox misbehaves: the fault spec and the state it runs with.

A ``Faults`` is parsed from JSON (see ``docs/sandbox.md``) and validated
here; a bad spec raises ``UsageError`` naming the field. ``FaultState`` holds
what changes while the sandbox runs: the random generator (seeded, so a run is
reproducible given the same order of requests), the per-key script cursors and
the rate-limit window. The sandbox asks it two questions per anonymize request,
``rate_limited(now)`` and ``decide(key)``; ``wire.perform`` turns the answer
into bytes on the wire (or into no answer at all).

Every request draws exactly one number from the generator for the fault choice
(and a second one only when it lands on a 503), so the same seed and the same
arrival order give the same faults.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any, Literal

from ..core.errors import UsageError
from ..core.identity import email_identity, phone_identity

RetryAfterStyle = Literal["seconds", "date", "none"]

# Named script items and what they do (documented in docs/sandbox.md).
NAMED_STEPS = frozenset(
    {
        "html502",  # 502 with an HTML proxy page
        "empty500",  # 500 with an empty body
        "error200",  # 200 with an Error body, nothing processed
        "truncated",  # processed, then 200 with a cut JSON body (Content-Length matches)
        "cut",  # processed, then Content-Length promises more than is sent, then close
        "timeout",  # processed, then the answer is held for `hang` seconds
        "timeout_before",  # held for `hang` seconds, nothing processed
        "reset",  # TCP reset before processing
        "reset_after",  # processed, then TCP reset
        "disconnect",  # orderly close (FIN) before processing, no answer
    }
)
_STATUS_ITEM = re.compile(r"^(\d{3})(?::(date:)?(\d+(?:\.\d+)?))?$")


@dataclass(frozen=True, slots=True)
class Step:
    """One decision: ``kind`` is ``normal``, ``status`` or a name from ``NAMED_STEPS``.

    For ``status``: answer ``status`` with a plausible body, with a
    ``Retry-After`` of ``retry_after`` seconds (``None``: no header), written
    as an HTTP-date when ``retry_date``.
    """

    kind: str
    status: int = 0
    retry_after: float | None = None
    retry_date: bool = False


NORMAL = Step("normal")


def parse_step(item: object) -> Step:
    """One script item (``200``, ``503``, ``"429:5"``, ``"503:date:2"``, ``"reset"``...)."""
    if isinstance(item, bool):
        raise UsageError(f"sandbox faults: script item {item!r} is not a status or a name")
    if isinstance(item, int):
        item = str(item)
    if not isinstance(item, str):
        raise UsageError(f"sandbox faults: script item {item!r} is not a status or a name")
    if item in NAMED_STEPS:
        return Step(item)
    m = _STATUS_ITEM.match(item)
    if not m or not 100 <= int(m.group(1)) <= 599:
        names = ", ".join(sorted(NAMED_STEPS))
        raise UsageError(
            f"sandbox faults: unknown script item {item!r}; use an HTTP status (503), "
            f"'429:SECONDS', '503:date:SECONDS' or one of {names}"
        )
    status = int(m.group(1))
    if status == 200 and m.group(3) is None:
        return NORMAL
    delay = float(m.group(3)) if m.group(3) is not None else None
    return Step("status", status, delay, bool(m.group(2)))


def script_key(key: str) -> str:
    """How script keys and sent keys are compared: as the store compares them.

    By ``core.identity``, so a script fires for every spelling of a key the
    store would match. A telephone without digits has no identity; it is kept
    as written (trimmed) so its script still applies to that same text.
    """
    key = key.strip()
    if "@" in key:
        return email_identity(key)
    return phone_identity(key) or key


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``rps`` requests in any sliding 1-second window; the rest get 429."""

    rps: int
    retry_after: RetryAfterStyle = "seconds"


@dataclass(frozen=True, slots=True)
class Faults:
    """The misbehaviour spec. All rates are probabilities per anonymize POST.

    The mappings are read-only by convention (the dataclass is frozen, the
    dicts are not copied), so a ``Faults`` is not hashable.
    """

    seed: int | None = None
    rate_limit: RateLimit | None = None
    errors: Mapping[int, float] = field(default_factory=dict)  # status -> probability
    latency: tuple[float, float] = (0.0, 0.0)  # seconds, uniform between the two
    timeout_rate: float = 0.0
    hang: float = 60.0
    reset_rate: float = 0.0
    error200_rate: float = 0.0
    truncated_rate: float = 0.0
    script: Mapping[str, tuple[Step, ...]] = field(default_factory=dict)
    no_match: Literal["error", "success"] = "error"
    token_ttl: float = 3600.0

    @classmethod
    def from_spec(cls, spec: str) -> Faults:
        """Parse inline JSON, or ``@path`` to a JSON file."""
        if spec.startswith("@"):
            path = Path(spec[1:])
            try:
                spec = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"sandbox faults: cannot read {path}: {exc.strerror}") from None
        return cls.from_json(spec)

    @classmethod
    def from_json(cls, text: str) -> Faults:
        """Parse the JSON spec; unknown fields and bad values raise ``UsageError``."""
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise UsageError(f"sandbox faults: not valid JSON ({exc})") from None
        if not isinstance(doc, dict):
            raise UsageError("sandbox faults: the spec must be a JSON object")
        return cls.from_dict(doc)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Faults:
        """Build from an already parsed spec."""
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(doc) - known)
        if unknown:
            raise UsageError(
                f"sandbox faults: unknown field(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(known))}"
            )
        seed = doc.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise UsageError("sandbox faults: seed must be an integer")
        no_match = doc.get("no_match", "error")
        if no_match not in ("error", "success"):
            raise UsageError("sandbox faults: no_match must be 'error' or 'success'")
        faults = cls(
            seed=seed,
            rate_limit=_rate_limit(doc.get("rate_limit")),
            errors=_errors(doc.get("errors", {})),
            latency=_latency(doc.get("latency", 0.0)),
            timeout_rate=_number(doc, "timeout_rate", 0.0, 1.0),
            hang=_number(doc, "hang", 0.0, None, default=60.0),
            reset_rate=_number(doc, "reset_rate", 0.0, 1.0),
            error200_rate=_number(doc, "error200_rate", 0.0, 1.0),
            truncated_rate=_number(doc, "truncated_rate", 0.0, 1.0),
            script=_script(doc.get("script", {})),
            no_match=no_match,
            token_ttl=_number(doc, "token_ttl", 0.0, None, default=3600.0),
        )
        FaultState(faults)  # checks that the rates add up to at most 1
        return faults


def _number(
    doc: Mapping[str, Any], name: str, lo: float, hi: float | None, *, default: float = 0.0
) -> float:
    return _check(doc.get(name, default), name, lo, hi)


def _check(value: object, name: str, lo: float, hi: float | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"sandbox faults: {name} must be a number")
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise UsageError(f"sandbox faults: {name} must be {bound}, got {value}")
    return float(value)


def _rate_limit(value: object) -> RateLimit | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise UsageError('sandbox faults: rate_limit must look like {"rps": 10}')
    rps = value.get("rps")
    if isinstance(rps, bool) or not isinstance(rps, int) or rps < 1:
        raise UsageError("sandbox faults: rate_limit.rps must be an integer >= 1")
    style = value.get("retry_after", "seconds")
    if style not in ("seconds", "date", "none"):
        raise UsageError("sandbox faults: rate_limit.retry_after must be seconds, date or none")
    return RateLimit(rps, style)


def _errors(value: object) -> dict[int, float]:
    if not isinstance(value, dict):
        raise UsageError('sandbox faults: errors must look like {"503": 0.02}')
    out: dict[int, float] = {}
    for status, p in value.items():
        if not str(status).isdigit() or not 400 <= int(status) <= 599:
            raise UsageError(f"sandbox faults: errors key {status!r} is not a 4xx/5xx status")
        out[int(status)] = _check(p, f"errors[{status}]", 0.0, 1.0)
    return out


def _latency(value: object) -> tuple[float, float]:
    if isinstance(value, list) and len(value) == 2:
        lo = _check(value[0], "latency[0]", 0.0, None)
        hi = _check(value[1], "latency[1]", lo, None)
        return (lo, hi)
    v = _check(value, "latency", 0.0, None)
    return (v, v)


def _script(value: object) -> dict[str, tuple[Step, ...]]:
    if not isinstance(value, dict):
        raise UsageError('sandbox faults: script must look like {"a@example.com": [503, 200]}')
    out: dict[str, tuple[Step, ...]] = {}
    for key, items in value.items():
        if not isinstance(items, list):
            raise UsageError(f"sandbox faults: script for {key!r} must be a list")
        out[script_key(str(key))] = tuple(parse_step(i) for i in items)
    return out


class FaultState:
    """The running side of a ``Faults``: random generator, script cursors, rate window."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.rng = random.Random(faults.seed)
        self._cursor: dict[str, int] = {}
        self._window: deque[float] = deque()
        # Cumulative bands for the one uniform draw per request.
        bands: list[tuple[float, Step]] = []
        total = 0.0
        for p, step in (
            (faults.reset_rate, Step("reset")),
            (faults.timeout_rate, Step("timeout")),
            (faults.error200_rate, Step("error200")),
            (faults.truncated_rate, Step("truncated")),
            *((p, Step("status", s)) for s, p in sorted(faults.errors.items())),
        ):
            if p > 0:
                total += p
                bands.append((total, step))
        if total > 1.0 + 1e-9:
            raise UsageError(f"sandbox faults: the fault rates add up to {total:.3f}, above 1")
        self._bands = bands

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
        if key is not None and self.faults.script:
            k = script_key(key)
            steps = self.faults.script.get(k)
            if steps is not None:
                i = self._cursor.get(k, 0)
                if i < len(steps):
                    self._cursor[k] = i + 1
                    return steps[i]
        if not self._bands:
            return NORMAL
        u = self.rng.random()
        for upper, step in self._bands:
            if u < upper:
                if step.kind == "status" and step.status == 503 and self.rng.random() < 0.5:
                    return Step("status", 503, 1.0)
                return step
        return NORMAL
