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
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ReportError
from .records import KeyType, Line, Outcome, Status

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


def outcome_from_dict(d: dict[str, Any]) -> Outcome:
    return Outcome(
        status=Status(d["status"]),
        http_status=d.get("http_status"),
        message=d.get("message", ""),
        error_code=d.get("error_code", ""),
        attempts=int(d.get("attempts", 0)),
        finished_at=d.get("finished_at", ""),
        run_id=d.get("run_id", ""),
        records_found=d.get("records_found"),
        unknown_attempts=int(d.get("unknown_attempts", 0)),
        extra=dict(d.get("extra") or {}),
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
        self.lines_written = 0

    def write(self, rec: dict[str, Any]) -> None:
        """Queue one record; on disk within ``flush_interval`` (or at the next durable())."""
        self._buf.append(
            json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        )
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

    def outcome(self, index: int) -> Outcome | None:
        return self.outcomes.get(index) or self.priors.get(index)

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


def read_journal(path: Path) -> JournalState:
    """Rebuild a run's state from its journal; a torn last line is ignored."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReportError(f"cannot read the journal {path}: {exc.strerror}") from None
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline, else a torn line
    state: JournalState | None = None
    torn = bool(tail.strip())
    for n, raw in enumerate(lines, 1):
        try:
            rec = json.loads(raw)
        except ValueError:
            if n == len(lines) and not tail:
                torn = True  # a damaged last line: the crash happened while writing it
                break
            raise ReportError(
                f"the journal {path} is damaged at line {n}; "
                "use the report (.xlsx/.csv) with --resume instead"
            ) from None
        kind = rec.get("t")
        if kind == "run":
            state = JournalState(run=rec)
            continue
        if state is None:
            raise ReportError(f"{path} is not a batch-anonymizer journal (no run record)")
        i = rec.get("i", -1)
        if kind == "line":
            state.lines.append(line_from_record(rec))
            if "prior" in rec:
                state.priors[i] = outcome_from_dict(rec["prior"])
        elif kind == "send":
            state.sent[i] = int(rec["a"])
            state.unknown[i] = state.unknown.get(i, 0) + 1
        elif kind == "try":
            if not rec.get("unc"):
                state.unknown[i] = max(0, state.unknown.get(i, 0) - 1)
            state.last_try[i] = rec.get("msg", "")
        elif kind == "done":
            state.outcomes[i] = outcome_from_dict(rec["o"])
            state.unknown.pop(i, None)
        elif kind == "end":
            state.ended = rec
    if state is None:
        raise ReportError(f"{path} is empty or not a batch-anonymizer journal")
    state.torn = torn
    return state
