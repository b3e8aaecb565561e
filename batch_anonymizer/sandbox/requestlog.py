"""The sandbox's request log: every request as it saw it, in memory and optionally on disk.

Tests read the list; another process can follow the JSON-lines file, which is
written one flushed line per request. An entry names the kind of credentials
that came, never their value, so neither the list nor the file holds a secret.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..core.identity import guess_type, identity

_VENDOR_FORM = re.compile(r"^\d+$")
_ANON = ("/v4.1/anonymize.", "/v6/system-admin/data-admin/contacts/anonymize")
_STOP = "/v4.1/lists/unsubscribe."
_E164_FORM = re.compile(r"^\+\d+$")


def key_form(key_type: str, key: str) -> str:
    """The form of a key as received, for the log.

    A telephone is ``vendor`` (digits only, nothing around them, no leading
    0: the form the vendor stores), ``e164`` (``+`` and digits only) or ``other`` (spaces,
    dashes, brackets, a ``00`` prefix...); an email is ``email``; anything
    else ``""``.
    """
    if key_type == "telephone":
        if _VENDOR_FORM.match(key) and not key.startswith("0"):
            return "vendor"
        return "e164" if _E164_FORM.match(key) else "other"
    return "email" if key_type == "email" else ""


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One request as the sandbox saw it.

    ``status`` is 0 when no answer was sent (reset, hang). ``key_type`` is
    ``email``, ``telephone``, ``both`` (key holds both, space separated), ``""``
    (none given) or ``client_id`` (token requests). ``records``: how many
    records were anonymized (POST) or found (lookup). ``auth`` names the
    kind of credentials, never their value. ``key_form`` is the form of
    ``key`` as received (see ``key_form``).
    """

    t: float
    method: str
    path: str
    key_type: str
    key: str
    status: int
    outcome: str
    records: int = 0
    auth: str = "none"
    key_form: str = ""

    def to_json(self) -> str:
        """One JSON line for the log file."""
        return json.dumps(
            {
                "t": self.t,
                "method": self.method,
                "path": self.path,
                "key_type": self.key_type,
                "key": self.key,
                "status": self.status,
                "outcome": self.outcome,
                "records": self.records,
                "auth": self.auth,
                "key_form": self.key_form,
            }
        )


class RequestLog:
    """The entries in order of arrival, and a copy in the JSON-lines file at ``path``.

    The file is opened on the first entry after construction or ``close()``,
    in append mode, so closing between runs loses nothing.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.entries: list[LogEntry] = []
        self.path = path
        self._file: IO[str] | None = None

    def record(self, entry: LogEntry) -> None:
        """Keep ``entry``, and write it to the file when there is one."""
        self.entries.append(entry)
        if self.path is not None:
            if self._file is None:
                # Line-buffered: a process outside reads each line as it happens.
                self._file = self.path.open("a", encoding="utf-8", buffering=1)
            self._file.write(entry.to_json() + "\n")

    def posts(self) -> list[LogEntry]:
        """The anonymize POSTs received (v4.1 and v6), in order of arrival."""
        # A copy first: the sandbox thread may append while a test reads.
        return [e for e in list(self.entries) if e.method == "POST" and e.path.startswith(_ANON)]

    def unsubscribes(self) -> list[LogEntry]:
        """The POSTs to the unsubscribe list, in order of arrival."""
        return [e for e in list(self.entries) if e.method == "POST" and e.path.startswith(_STOP)]

    def posts_for(self, key: str) -> list[LogEntry]:
        """The anonymize POSTs for ``key``, its type guessed, compared by ``core.identity``."""
        return _for(self.posts(), key)

    def lookups(self) -> list[LogEntry]:
        """The lookups (``GET /v4.1/anonymize...``) received, in order of arrival."""
        return [e for e in list(self.entries) if e.method == "GET" and e.path.startswith(_ANON)]

    def lookups_for(self, key: str) -> list[LogEntry]:
        """The lookups for ``key``, compared as ``posts_for`` compares."""
        return _for(self.lookups(), key)

    def close(self) -> None:
        """Close the file (it is reopened if more requests come)."""
        if self._file is not None:
            self._file.close()
            self._file = None


def _for(entries: list[LogEntry], key: str) -> list[LogEntry]:
    """The entries for the same key as ``key`` (``core.identity``: "same key", any spelling)."""
    kind = guess_type(key)
    want = identity(kind, key)
    return [e for e in entries if e.key_type == kind and identity(kind, e.key) == want]
