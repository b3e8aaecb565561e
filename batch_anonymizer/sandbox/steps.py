"""One fault decision (``Step``), the script items that name one, and how script keys compare.

The vocabulary is shared by ``script`` (anonymize POSTs) and ``lookup_script``
(lookups); ``parse_step`` reads one item, ``script_key`` says which sent keys
a script applies to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.errors import UsageError
from ..core.identity import email_identity, phone_identity

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
        "sticky",  # anonymize POSTs only: the success answer, records left untouched
    }
)
#: Steps that make sense for an anonymize POST only (refused in ``lookup_script``).
POST_ONLY_STEPS = frozenset({"sticky"})
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
STICKY = Step("sticky")


def parse_step(item: object, *, field: str = "script") -> Step:
    """One script item (``200``, ``503``, ``"429:5"``, ``"503:date:2"``, ``"reset"``...).

    ``field`` names the script in messages; ``lookup_script`` refuses the
    POST-only steps.
    """
    if isinstance(item, bool):
        raise UsageError(f"sandbox faults: {field} item {item!r} is not a status or a name")
    if isinstance(item, int):
        item = str(item)
    if not isinstance(item, str):
        raise UsageError(f"sandbox faults: {field} item {item!r} is not a status or a name")
    if item in NAMED_STEPS:
        if field == "lookup_script" and item in POST_ONLY_STEPS:
            raise UsageError(
                f"sandbox faults: lookup_script item {item!r} applies to anonymize POSTs only"
            )
        return Step(item)
    m = _STATUS_ITEM.match(item)
    if not m or not 100 <= int(m.group(1)) <= 599:
        names = ", ".join(sorted(NAMED_STEPS))
        raise UsageError(
            f"sandbox faults: unknown {field} item {item!r}; use an HTTP status (503), "
            f"'429:SECONDS', '503:date:SECONDS' or one of {names}"
        )
    status = int(m.group(1))
    if status == 200 and m.group(3) is None:
        return NORMAL
    delay = float(m.group(3)) if m.group(3) is not None else None
    return Step("status", status, delay, bool(m.group(2)))


def script_key(key: str) -> str:
    """How script keys and sent keys are compared: by ``core.identity``, "the same key".

    So a script fires for every spelling of a key (``+44 7700 900123`` and
    ``447700900123`` alike), whatever the store would match: scripts are about
    which key a request is for, not about what the vendor finds. A telephone
    without digits has no identity; it is kept as written (trimmed) so its
    script still applies to that same text.
    """
    key = key.strip()
    if "@" in key:
        return email_identity(key)
    return phone_identity(key) or key
