"""How the sandbox misbehaves: the fault spec, parsed and validated.

A ``Faults`` is parsed from JSON (see ``docs/sandbox.md``) and validated
here; a bad spec raises ``UsageError`` naming the field, in one line. What
changes while the sandbox runs (generators, script cursors, the rate window)
is ``faultstate.FaultState``; the script vocabulary is ``steps``. Both are
re-exported here, where callers found them before.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..core.errors import UsageError
from .faultstate import FaultState, lookup_bands, post_bands
from .keys import V6_PHONE_FIELDS
from .steps import NAMED_STEPS, NORMAL, Step, parse_step, script_key

__all__ = [
    "NAMED_STEPS",
    "NORMAL",
    "FaultState",
    "Faults",
    "RateLimit",
    "Step",
    "parse_step",
    "script_key",
]

RetryAfterStyle = Literal["seconds", "date", "none"]
LookupNoMatch = Literal["empty", "error:200", "error:400", "error:404"]
LOOKUP_NO_MATCH = ("empty", "error:200", "error:400", "error:404")


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``rps`` requests in any sliding 1-second window; the rest get 429."""

    rps: int
    retry_after: RetryAfterStyle = "seconds"


@dataclass(frozen=True, slots=True)
class Faults:
    """The misbehaviour spec: rates per anonymize POST, ``lookup_*`` rates per lookup (GET).

    ``blind_success`` is another name for ``no_match="success"``: setting
    either sets both. The mappings are read-only by convention (the dataclass
    is frozen, the dicts are not copied), so a ``Faults`` is not hashable.
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
    blind_success: bool = False
    sticky: float = 0.0
    lookup_no_match: LookupNoMatch = "empty"
    lookup_errors: Mapping[int, float] = field(default_factory=dict)
    lookup_timeout_rate: float = 0.0
    lookup_script: Mapping[str, tuple[Step, ...]] = field(default_factory=dict)
    v6_phone_field: str | None = None  # the v6 telephone field taken (None: the sandbox's)
    # every POST to the unsubscribe (stop) list answered with this status, nothing listed
    unsubscribe_status: int | None = None

    def __post_init__(self) -> None:
        # One switch under two names: keep them in step however the spec was built.
        if self.blind_success or self.no_match == "success":
            object.__setattr__(self, "no_match", "success")
            object.__setattr__(self, "blind_success", True)

    @property
    def lookup_no_match_status(self) -> int | None:
        """The HTTP status of the lookup's "No records found" error (``None``: ``{"Data": []}``)."""
        if self.lookup_no_match == "empty":
            return None
        return int(self.lookup_no_match.partition(":")[2])

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
        blind = doc.get("blind_success", False)
        if not isinstance(blind, bool):
            raise UsageError("sandbox faults: blind_success must be true or false")
        if "blind_success" in doc and "no_match" in doc and blind != (no_match == "success"):
            raise UsageError(
                "sandbox faults: blind_success and no_match disagree; "
                'blind_success: true is no_match: "success", give one of them'
            )
        lookup_no_match = doc.get("lookup_no_match", "empty")
        if lookup_no_match not in LOOKUP_NO_MATCH:
            raise UsageError(
                f"sandbox faults: lookup_no_match must be one of {', '.join(LOOKUP_NO_MATCH)}"
            )
        v6_phone_field = doc.get("v6_phone_field")
        if v6_phone_field is not None and v6_phone_field not in V6_PHONE_FIELDS:
            raise UsageError(
                f"sandbox faults: v6_phone_field must be one of {', '.join(V6_PHONE_FIELDS)}"
            )
        down = doc.get("unsubscribe_status")
        if down is not None and (
            isinstance(down, bool) or not isinstance(down, int) or not 400 <= down <= 599
        ):
            raise UsageError("sandbox faults: unsubscribe_status must be a 4xx/5xx status")
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
            blind_success=blind,
            sticky=_number(doc, "sticky", 0.0, 1.0),
            lookup_no_match=lookup_no_match,
            lookup_errors=_errors(doc.get("lookup_errors", {}), "lookup_errors"),
            lookup_timeout_rate=_number(doc, "lookup_timeout_rate", 0.0, 1.0),
            lookup_script=_script(doc.get("lookup_script", {}), "lookup_script"),
            v6_phone_field=v6_phone_field,
            unsubscribe_status=down,
        )
        post_bands(faults)  # the POST rates add up to at most 1
        lookup_bands(faults)  # and so do the lookup rates
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


def _errors(value: object, name: str = "errors") -> dict[int, float]:
    if not isinstance(value, dict):
        raise UsageError(f'sandbox faults: {name} must look like {{"503": 0.02}}')
    out: dict[int, float] = {}
    for status, p in value.items():
        if not str(status).isdigit() or not 400 <= int(status) <= 599:
            raise UsageError(f"sandbox faults: {name} key {status!r} is not a 4xx/5xx status")
        out[int(status)] = _check(p, f"{name}[{status}]", 0.0, 1.0)
    return out


def _latency(value: object) -> tuple[float, float]:
    if isinstance(value, list) and len(value) == 2:
        lo = _check(value[0], "latency[0]", 0.0, None)
        hi = _check(value[1], "latency[1]", lo, None)
        return (lo, hi)
    v = _check(value, "latency", 0.0, None)
    return (v, v)


def _script(value: object, name: str = "script") -> dict[str, tuple[Step, ...]]:
    if not isinstance(value, dict):
        raise UsageError(f'sandbox faults: {name} must look like {{"a@example.com": [503, 200]}}')
    out: dict[str, tuple[Step, ...]] = {}
    for key, items in value.items():
        if not isinstance(items, list):
            raise UsageError(f"sandbox faults: {name} for {key!r} must be a list")
        out[script_key(str(key))] = tuple(parse_step(i, field=name) for i in items)
    return out
