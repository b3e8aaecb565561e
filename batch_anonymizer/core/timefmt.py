"""Time as the tool writes it: UTC, to the second, in one of two forms.

``iso``: ``2024-03-01T10:01:00Z`` (reports, journal, manifest); ``stamp``:
``20240301T100100Z`` (file names and run ids). Every module formats and
parses time through here.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from functools import lru_cache

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def iso(when: datetime) -> str:
    """``when`` as ``YYYY-MM-DDTHH:MM:SSZ`` (naive datetimes are taken as UTC)."""
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime(ISO_FORMAT)


def stamp(when: datetime) -> str:
    """``when`` as ``YYYYmmddTHHMMSSZ``, for file names and run ids."""
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime(STAMP_FORMAT)


def iso_now() -> str:
    """The current UTC time as ``iso`` text (formatted once per second: it is on the hot path)."""
    return _iso_second(int(time.time()))


@lru_cache(maxsize=2)
def _iso_second(second: int) -> str:
    return time.strftime(ISO_FORMAT, time.gmtime(second))


def parse_iso(text: str) -> datetime | None:
    """A naive UTC datetime for ``YYYY-MM-DDTHH:MM:SSZ``; None for any other text."""
    if not _ISO.match(text):
        return None
    try:
        return datetime.fromisoformat(text[:-1])
    except ValueError:
        return None
