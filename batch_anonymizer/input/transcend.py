"""Transcend's cron hand-off file (``transcend request cron pull-identifiers``), as an input shape.

The pull writes one line per identifier of each open request for a system:
``identifier, type, coreIdentifier, dataSiloId, requestId, nonce,
requestCreatedAt, daysUntilOverdue, action`` (plus attribute columns). A file
is read in this shape when its headers hold ``identifier``, ``type``,
``nonce`` and ``requestId`` (compared ignoring case, spaces, ``-`` and ``_``);
no column option is needed, and the key-column options turn the shape off.

- ``identifier`` is an email or a telephone as the line's ``type`` says
  (``IDENTIFIER_TYPES``); a line of another type (a user id, an advertising
  id...) is ``skipped`` with code ``identifier_type``: nothing of it is sent.
- ``requestId`` is the request, ``requestCreatedAt`` the date received,
  ``action`` the request type.
- ``coreIdentifier`` and ``nonce`` stay in the report as input cells and are
  never sent: the platform chose which identifiers this system gets.
- ``daysUntilOverdue`` is the platform's own count of days left
  (``platform_due``); the requests stage compares it with the tool's due date.

Pure string work on headers and cells: nothing here reads a file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.records import KeyType
from .cells import header_key, trim

#: The columns a pull file is recognised by (compared as ``header_key`` gives them).
REQUIRED = ("identifier", "type", "nonce", "requestid")
#: ``type`` values (casefolded, trimmed) whose identifier is sent, and as which key.
IDENTIFIER_TYPES: dict[str, KeyType] = {
    "email": KeyType.EMAIL,
    "phone": KeyType.TELEPHONE,
    "phonenumber": KeyType.TELEPHONE,
    "telephone": KeyType.TELEPHONE,
}
#: A whole number of days, as the platform writes it (``13``, ``-2``, ``13.0``).
_DAYS = re.compile(r"^([+-]?\d{1,6})(?:\.0*)?$", re.ASCII)
MAX_DAYS = 3660
#: The hand-back's header: what ``transcend request cron mark-identifiers-completed`` reads.
COMPLETED_HEADER = ("nonce", "identifier")


@dataclass(frozen=True, slots=True)
class PullShape:
    """The columns of a Transcend pull file, by name as written in its header."""

    identifier: str
    type: str
    nonce: str
    request_id: str
    created_at: str | None
    days_until_overdue: str | None
    action: str | None
    core_identifier: str | None

    def key_type(self, type_cell: str) -> KeyType | None:
        """The key type a line's ``type`` cell names; None for a type the tool does not send."""
        return IDENTIFIER_TYPES.get(header_key(trim(type_cell)))


def pull_shape(columns: Sequence[str]) -> PullShape | None:
    """The pull file's columns when ``columns`` are a Transcend pull file's header, else None."""
    by_key: dict[str, str] = {}
    for c in columns:
        by_key.setdefault(header_key(c), c)
    if not all(k in by_key for k in REQUIRED):
        return None
    return PullShape(
        identifier=by_key["identifier"],
        type=by_key["type"],
        nonce=by_key["nonce"],
        request_id=by_key["requestid"],
        created_at=by_key.get("requestcreatedat"),
        days_until_overdue=by_key.get("daysuntiloverdue"),
        action=by_key.get("action"),
        core_identifier=by_key.get("coreidentifier"),
    )


def platform_due(days_cell: str, today: dt.date) -> dt.date | None:
    """The due date the platform's ``daysUntilOverdue`` cell says, counted from ``today``
    (the day the pull is worked on); None when the cell is not a whole number."""
    m = _DAYS.match(trim(days_cell))
    if m is None:
        return None
    days = int(m[1])
    if abs(days) > MAX_DAYS:  # not a deadline: a number the platform did not mean as one
        return None
    return today + dt.timedelta(days=days)
