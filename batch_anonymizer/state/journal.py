"""The durable journal: an append-only JSON-lines file beside the report.

Write-ahead: before a request is sent, a ``send`` record is made durable
(fsync); when the answer arrives, a ``done`` record is written and flushed to
disk within a second. So after a crash at any moment:

- a key with a ``done`` record has a known outcome;
- a key with a ``send`` record and no ``done`` was maybe acted on by the
  vendor: it is sent again once, and the report says the earlier outcome was
  unknown;
- a half-written last line (power cut) is detected and ignored.

fsyncs are grouped: every worker waiting for durability shares the next fsync,
so the journal never becomes the bottleneck.

Record types (``t``): ``run`` (run facts, first line), ``line`` (one planned
report line, with the row's cells and, on resume, the outcome carried over),
``send``, ``try`` (a transient answer before a retry), ``done``, ``end``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import ReportError
from ..core.records import KeyType, Line, Outcome, Status

FORMAT_VERSION = 1

#: Words in the message of every pending line that was sent without a known answer;
#: resume reads them back from a report, which has no column for it.
OUTCOME_UNKNOWN = "outcome unknown"


def line_record(line: Line, prior: Outcome | None = None) -> dict[str, Any]:
    """The ``line`` record of a planned line (and of its carried-over outcome)."""
    rec: dict[str, Any] = {
        "t": "line",
        "i": line.index,
        "sheet": line.sheet,
        "row": line.source_row,
        "kt": line.key_type.value if line.key_type else None,
        "key": line.key,
        "norm": line.norm,
        "status": line.status.value,
        "code": line.code,
        "msg": line.message,
        "cells": list(line.cells),
    }
    if prior is not None:
        rec["prior"] = outcome_to_dict(prior)
    return rec


_SEP = "\x1f"


def lines_digest(lines: Sequence[Line]) -> str:
    """SHA-256 of everything the ``line`` records of ``lines`` hold (without priors).

    Written in the run record, so a resume whose fresh plan has the same digest
    can take its lines from the plan instead of decoding every ``line`` record.
    Computed column by column (fast); a column whose text holds the separator
    is encoded as JSON instead, so the encoding stays unambiguous.

    A resume needs it twice for the same plan (to read the old journal, then in
    the new run record): the last tuple's digest is kept (a tuple of frozen
    records cannot change).
    """
    global _last_digest
    if _last_digest is not None and _last_digest[0] is lines:
        return _last_digest[1]
    digest = _digest(lines)
    if isinstance(lines, tuple):
        _last_digest = (lines, digest)
    return digest


_last_digest: tuple[Sequence[Line], str] | None = None


def _digest(lines: Sequence[Line]) -> str:
    numbers = [
        array("q", [ln.index for ln in lines]),
        array("q", [ln.source_row for ln in lines]),
        array("q", [len(ln.cells) for ln in lines]),
    ]
    columns: list[list[str]] = [
        [ln.sheet or "" for ln in lines],
        [ln.key_type or "" for ln in lines],
        [ln.key for ln in lines],
        [ln.norm for ln in lines],
        [ln.status for ln in lines],
        [ln.code for ln in lines],
        [ln.message for ln in lines],
        [c for ln in lines for c in ln.cells],
    ]
    h = hashlib.sha256()
    for ints in numbers:
        h.update(ints.tobytes())
    for col in columns:
        text = _SEP.join(col)
        if text.count(_SEP) != max(len(col) - 1, 0):
            text = json.dumps(col, ensure_ascii=False)
        h.update(f"{len(col)}:{len(text)}:".encode())
        h.update(text.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def outcome_to_dict(o: Outcome) -> dict[str, Any]:
    """An outcome as a journal record field (a literal: ``asdict`` costs ~10x more)."""
    d: dict[str, Any] = {
        "status": o.status.value,
        "http_status": o.http_status,
        "message": o.message,
        "attempts": o.attempts,
        "finished_at": o.finished_at,
        "run_id": o.run_id,
    }
    if o.error_code:
        d["error_code"] = o.error_code
    if o.records_found is not None:
        d["records_found"] = o.records_found
    if o.unknown_attempts:
        d["unknown_attempts"] = o.unknown_attempts
    if o.extra:
        d["extra"] = o.extra
    return d


_STATUS = {s.value: s for s in Status}  # a dict lookup; ``Status(v)`` costs ~10x more


def outcome_from_dict(d: dict[str, Any]) -> Outcome:
    get = d.get
    return Outcome(
        _STATUS[d["status"]],
        get("http_status"),
        get("message", ""),
        get("error_code", ""),
        int(get("attempts", 0)),
        get("finished_at", ""),
        get("run_id", ""),
        get("records_found"),
        int(get("unknown_attempts", 0)),
        dict(get("extra") or {}),
    )


def line_from_record(rec: dict[str, Any]) -> Line:
    kt = rec.get("kt")
    return Line(
        index=int(rec["i"]),
        sheet=rec.get("sheet"),
        source_row=int(rec["row"]),
        key_type=KeyType(kt) if kt else None,
        key=rec.get("key", ""),
        norm=rec.get("norm", ""),
        status=Status(rec["status"]),
        code=rec.get("code", ""),
        message=rec.get("msg", ""),
        cells=tuple(rec.get("cells", ())),
    )


def _dumps(rec: dict[str, Any]) -> bytes:
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode()


class JournalWriter:
    """Appends records; ``durable()`` returns once everything written so far is on disk."""

    def __init__(self, path: Path, *, flush_interval: float = 0.5) -> None:
        self.path = path
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        except OSError as exc:
            raise ReportError(
                f"cannot create the journal {path}: {exc.strerror}; "
                "choose a writable folder with --report"
            ) from None
        self._buf: list[bytes] = []
        self._seq = 0  # records appended
        self._synced = 0  # records known to be on disk
        self._sync_task: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._flush_interval = flush_interval
        self._encoded: dict[tuple[Any, ...], bytes] = {}  # outcome fields -> JSON
        self.lines_written = 0

    def write(self, rec: dict[str, Any]) -> None:
        """Queue one record; on disk within ``flush_interval`` (or at the next durable())."""
        self._buf.append(_dumps(rec) + b"\n")
        self._seq += 1

    def send(self, index: int, attempt: int) -> None:
        """The write-ahead ``send`` record of one attempt (built as text: the commonest)."""
        self._buf.append(b'{"t":"send","i":%d,"a":%d}\n' % (index, attempt))
        self._seq += 1

    def attempt(
        self, index: int, attempt: int, http: int | None, message: str, uncertain: bool
    ) -> None:
        """The ``try`` record of an answer that did not finish the key (retry or halt).

        ``uncertain``: the vendor may have acted although the answer says otherwise.
        """
        self.write(
            {"t": "try", "i": index, "a": attempt, "http": http, "msg": message, "unc": uncertain}
        )

    def done(self, index: int, outcome: Outcome) -> None:
        """The ``done`` record of a key; equal outcomes are encoded once."""
        if outcome.extra:
            self.write({"t": "done", "i": index, "o": outcome_to_dict(outcome)})
            return
        o = outcome
        memo = (o.status, o.http_status, o.message, o.error_code, o.attempts, o.finished_at,
                o.run_id, o.records_found, o.unknown_attempts)  # fmt: skip
        text = self._encoded.get(memo)
        if text is None:
            if len(self._encoded) >= 4096:
                self._encoded.clear()
            text = self._encoded[memo] = _dumps(outcome_to_dict(o))
        self._buf.append(b'{"t":"done","i":%d,"o":%s}\n' % (index, text))
        self._seq += 1

    def flush_now(self) -> None:
        """Write and fsync everything queued, synchronously (start, end, emergency exit)."""
        self._write_out()
        os.fsync(self._fd)
        self._synced = self._seq

    def _write_out(self) -> int:
        seq = self._seq
        if self._buf:
            data = b"".join(self._buf)
            self._buf.clear()
            view = memoryview(data)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
            self.lines_written = seq
        return seq

    async def durable(self) -> None:
        """Wait until every record written so far is fsynced (shared, grouped fsync)."""
        target = self._seq
        while self._synced < target:
            if self._sync_task is None:
                self._sync_task = asyncio.get_running_loop().create_task(self._sync())
            await asyncio.shield(self._sync_task)

    async def _sync(self) -> None:
        try:
            seq = self._write_out()
            await asyncio.get_running_loop().run_in_executor(None, os.fsync, self._fd)
            self._synced = max(self._synced, seq)
        finally:
            self._sync_task = None

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self._flush_interval)
            if self._seq > self._synced:
                await self.durable()

    def start(self) -> None:
        """Start the background flusher (call inside the running loop)."""
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def aclose(self) -> None:
        """Stop the flusher and make everything durable."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self._sync_task is not None:
            with contextlib.suppress(Exception):
                await self._sync_task
        self.close()

    def close(self) -> None:
        if self._fd >= 0:
            self.flush_now()
            os.close(self._fd)
            self._fd = -1


@dataclass
class JournalState:
    """What a journal says, rebuilt line by line."""

    run: dict[str, Any]
    lines: list[Line] = field(default_factory=list)
    priors: dict[int, Outcome] = field(default_factory=dict)  # carried over from earlier runs
    outcomes: dict[int, Outcome] = field(default_factory=dict)  # finished in this run
    sent: dict[int, int] = field(default_factory=dict)  # attempts started in this run
    unknown: dict[int, int] = field(default_factory=dict)  # attempts with no known answer
    last_try: dict[int, str] = field(default_factory=dict)  # message of the last transient answer
    ended: dict[str, Any] | None = None
    torn: bool = False  # the last line was half-written and ignored
    lines_from_plan: bool = False  # lines are the caller's plan (same digest), not decoded

    def outcome(self, index: int) -> Outcome | None:
        return self.outcomes.get(index) or self.priors.get(index)

    def add_send(self, i: int, attempt: int) -> None:
        self.sent[i] = max(self.sent.get(i, 0), attempt)
        self.unknown[i] = self.unknown.get(i, 0) + 1  # until a try or done says otherwise

    def add(self, rec: dict[str, Any]) -> None:
        """Apply one decoded record (not the run record); unknown kinds are ignored."""
        kind, i = rec.get("t"), rec.get("i", -1)
        if kind == "line":
            self.lines.append(line_from_record(rec))
            if "prior" in rec:
                self.priors[i] = outcome_from_dict(rec["prior"])
        elif kind == "send":
            self.add_send(i, int(rec["a"]))
        elif kind == "try":
            if not rec.get("unc"):
                self.unknown[i] = max(0, self.unknown.get(i, 0) - 1)
            self.last_try[i] = rec.get("msg", "")
        elif kind == "done":
            self.outcomes[i] = outcome_from_dict(rec["o"])
        elif kind == "end":
            self.ended = rec

    def unfinished(self, index: int) -> Outcome | None:
        """A ``pending`` outcome for a line sent in this run without a final answer."""
        attempts = self.sent.get(index, 0)
        if not attempts or self.outcome(index) is not None:
            return None
        unknown = self.unknown.get(index, 0)
        if unknown:
            msg = f"sent {attempts} time(s), answer lost ({OUTCOME_UNKNOWN})"
        else:
            msg = self.last_try.get(index) or "sent, not finished"
        return Outcome(
            Status.PENDING,
            message=msg,
            attempts=attempts,
            run_id=str(self.run.get("run_id", "")),
            unknown_attempts=unknown,
        )


# A large run's journal is ~1M records. The common shapes (json.dumps keeps the key order
# the records are built in) are found with one regex pass each over the whole text, each
# match preceded by a newline; every other record is decoded in full, in order.
_SEND = r'\{"t":"send","i":(\d+),"a":(\d+)\}'
_DONE = r'\{"t":"done","i":(\d+),"o":(\{[^\n]*\})\}'
_LINE = r'\{"t":"line","i":(\d+),'
_SENDS = re.compile(rf"\n{_SEND}(?=\n)")
_DONES = re.compile(rf"\n{_DONE}(?=\n)")
_PRIORS = re.compile(rf'\n{_LINE}[^\n]*,"prior":(\{{[^\n]*\}})\}}(?=\n)')
_OTHERS = re.compile(rf"\n(?!(?:{_SEND}|{_DONE})\n|\Z)(?P<rec>[^\n]*)")
_PAST_LINES = re.compile(r'\n(?!\{"t":"line",)')  # the end of the plan's line records


def read_journal(path: Path, plan_lines: Sequence[Line] | None = None) -> JournalState:
    """Rebuild a run's state from its journal; a torn last record is ignored.

    With ``plan_lines`` whose ``lines_digest`` equals the run record's
    ``lines_sha256`` (a resume of the same input with the same options), the
    ``line`` records are not decoded: the state's lines are ``plan_lines``, and
    only the outcomes those records carry over are read.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReportError(f"cannot read the journal {path}: {exc.strerror}") from None
    text, torn = _records_text(data, path)
    first = text.find("\n")  # records after the run record each follow a newline
    try:
        run = json.loads(text[:first]) if first > 0 else None
    except ValueError:
        run = None  # a damaged or torn first record
    if not isinstance(run, dict) or run.get("t") != "run":
        raise ReportError(f"{path} is empty or not a batch-anonymizer journal (no run record)")
    state = JournalState(run=run)
    fast = plan_lines is not None and run.get("lines_sha256") == lines_digest(plan_lines)

    # The plan's line records come right after the run record (more than half the bytes).
    past = _PAST_LINES.search(text, first)
    lines_end = past.start() if past else first
    sends = _SENDS.findall(text, lines_end)
    sent_to = [int(i) for i, _ in sends]
    state.sent = dict(zip(sent_to, [int(a) for _, a in sends], strict=True))  # the last attempt
    state.unknown = dict(Counter(sent_to))  # until a try or done says otherwise

    def undecodable(m: re.Match[str]) -> None:
        """A record that does not decode: a torn write if it is the last one, else fatal."""
        nonlocal torn
        if m.end() != len(text) - 1 or torn:
            raise _damaged(path, text.count("\n", 0, m.start()) + 2) from None
        torn = True  # the crash happened while writing it

    dones = _DONES.findall(text, lines_end)
    decoded = _Decoded()  # outcome text -> Outcome: runs repeat them a lot
    try:
        ids, texts = [int(i) for i, _ in dones], [o for _, o in dones]
        state.outcomes = dict(zip(ids, map(decoded.__getitem__, texts), strict=True))
    except _UNDECODABLE:  # find which record, one by one
        for m in _DONES.finditer(text, lines_end):
            try:
                state.outcomes[int(m[1])] = decoded[m[2]]
            except _UNDECODABLE:
                undecodable(m)
    if fast and text.find(',"prior":{', first, lines_end) >= 0:
        for m in _PRIORS.finditer(text, first, lines_end + 1):
            try:
                state.priors[int(m[1])] = decoded[m[2]]
            except _UNDECODABLE:
                undecodable(m)
    for m in _OTHERS.finditer(text, lines_end if fast else first):
        try:
            state.add(json.loads(m["rec"]))
        except _UNDECODABLE:
            undecodable(m)
    for i in state.outcomes:
        state.unknown.pop(i, None)
    state.torn = torn
    if fast:
        assert plan_lines is not None
        if text.count('\n{"t":"line","i":', first, lines_end) != len(plan_lines):
            return read_journal(path)  # the run was killed while writing its plan
        state.lines = list(plan_lines)
        state.lines_from_plan = True
    return state


def _records_text(data: bytes, path: Path) -> tuple[str, bool]:
    """The complete records as text (each ends with a newline), and whether the last
    record was torn (and dropped).

    Decoded once: ``json.loads`` of bytes would detect the encoding for every record.
    """
    end = data.rfind(b"\n") + 1
    torn = bool(data[end:].strip())
    try:
        return (data if end == len(data) else data[:end]).decode("utf-8"), torn
    except UnicodeDecodeError as exc:
        n = data.count(b"\n", 0, exc.start) + 1
        if torn or n < data.count(b"\n"):
            raise _damaged(path, n) from None
        # The last record is damaged: the crash happened while writing it.
        return data[: data.rfind(b"\n", 0, end - 1) + 1].decode("utf-8"), True


_UNDECODABLE = (ValueError, KeyError, TypeError, AttributeError)


class _Decoded(dict[str, Outcome]):
    """Outcome texts already decoded; a journal repeats the same few thousand."""

    def __missing__(self, text: str) -> Outcome:
        o = self[text] = outcome_from_dict(json.loads(text))
        return o


def _damaged(path: Path, n: int) -> ReportError:
    return ReportError(
        f"the journal {path} is damaged at line {n}; "
        "use the report (.xlsx/.csv) with --resume instead"
    )
