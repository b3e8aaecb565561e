"""The durable journal's writer: an append-only JSON-lines file beside the report.

Write-ahead: before a request is sent, a ``send`` record is made durable
(fsync); when the answer arrives, a ``done`` record is written and flushed to
disk within a second. So after a crash at any moment:

- a key with a ``done`` record has a known outcome;
- a key with a ``send`` record and no ``done`` was maybe acted on by the
  vendor: it is sent again once, and the report says the earlier outcome was
  unknown;
- a half-written last line (power cut) is detected and ignored (``reader``).

fsyncs are grouped: every worker waiting for durability shares the next fsync,
so the journal never becomes the bottleneck. ``JournalWriter`` is the pool's
``Recorder``. The record shapes are in ``format``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..core.codes import Reason
from ..core.errors import JournalError, ReportError
from ..core.lines import Lines
from ..core.records import KeyForm, Line, Outcome, Phase
from . import format as fmt
from . import planblock
from .linesdigest import lines_digest

_LARGE = 1 << 20  # a piece this large is written by itself (a plan's columns), not copied


class JournalWriter:
    """Appends records; ``durable()`` returns once everything written so far is on disk."""

    def __init__(
        self,
        path: Path,
        *,
        flush_interval: float = 0.5,
        on_failure: Callable[[JournalError], None] | None = None,
    ) -> None:
        self.path = path
        self.failure: JournalError | None = None  # set once a write failed: nothing more is written
        self._on_failure = on_failure
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
        self._encoded: dict[Outcome, bytes] = {}  # outcome -> its JSON

    def write(self, rec: dict[str, Any]) -> None:
        """Queue one record; on disk within ``flush_interval`` (or at the next durable())."""
        self._buf.append(fmt.dumps(rec) + b"\n")
        self._seq += 1

    def line(self, line: Line, prior: Outcome | None = None) -> None:
        """The ``line`` record of a planned line (built as text: a run writes one per line)."""
        self._buf.append(fmt.line_text(line, prior))
        self._seq += 1

    def write_plan(
        self, run: dict[str, Any], lines: Sequence[Line], carried: Mapping[int, Outcome]
    ) -> None:
        """The run record and the plan, queued: one ``plan`` record of the lines' columns
        (and a ``prior`` record per carried-over outcome), or, for lines that are not
        columns (a retry's), a ``line`` record each. The plan's digest follows it in a
        ``planned`` record (a run record's ``lines_sha256`` for ``line`` records).
        The run record and the plan are written out now (not fsynced: ``flush_now``)."""
        if not isinstance(lines, Lines):
            self.write({**run, "lines_sha256": lines_digest(lines)})
            for line in lines:
                self.line(line, carried.get(line.index))
            return
        run = dict(run)
        run.pop("lines_sha256", None)  # in the ``planned`` record after the plan's
        self.write(run)
        h = hashlib.sha256()
        for piece in planblock.pieces(lines):  # each written as made: never whole in memory
            h.update(piece)
            self._buf.append(piece)
            self._write_out()
        self._seq += 1
        digest = h.hexdigest()
        planblock.remember(lines, digest)
        self._buf.append(planblock.planned_line(digest))
        self._seq += 1
        for index in sorted(carried):
            self._buf.append(fmt.prior_line(index, self._outcome_json(carried[index])))
            self._seq += 1

    def send(self, index: int, attempt: int) -> None:
        """The write-ahead ``send`` record of one attempt (built as text: the commonest)."""
        self._buf.append(fmt.send_record(index, attempt))
        self._seq += 1

    def attempt(
        self,
        index: int,
        attempt: int,
        http: int | None,
        code: Reason | None,
        message: str,
        uncertain: bool,
    ) -> None:
        """The ``try`` record of an answer that did not finish the key (retry or halt).

        ``uncertain``: the vendor may have acted although the answer says otherwise.
        """
        self.write(fmt.try_record(index, attempt, http, code, message, uncertain))

    def lookup(
        self,
        index: int,
        phase: Phase,
        form: KeyForm,
        records: int | None,
        http: int | None,
        code: Reason | None,
    ) -> None:
        """The ``look`` record of a lookup: how many records it found (None: it failed)."""
        self._buf.append(fmt.look_record(index, phase, form, records, http, code))
        self._seq += 1

    def done(self, index: int, outcome: Outcome, line: Line | None = None) -> None:
        """The ``done`` record of a key; equal outcomes are encoded once."""
        self._buf.append(fmt.done_line(index, self._outcome_json(outcome)))
        self._seq += 1

    def _outcome_json(self, outcome: Outcome) -> bytes:
        # Outcomes are frozen and hashable: the record itself is the memo key.
        text = self._encoded.get(outcome)
        if text is None:
            if len(self._encoded) >= 4096:
                self._encoded.clear()
            text = self._encoded[outcome] = fmt.dumps(fmt.outcome_to_dict(outcome))
        return text

    def flush_now(self) -> None:
        """Write and fsync everything queued, synchronously (start, end, emergency exit).

        Raises ``JournalError`` when the journal cannot be written.
        """
        self._write_out()
        self._fsync()
        self._synced = self._seq

    def _write_out(self) -> int:
        """Append the queued records; after a failed write, nothing more is ever written.

        A write cut by a full disk may leave a torn last line: the reader
        ignores a torn last line, but a record appended after it would make
        the damage fatal, so the journal stops at the first failure.
        """
        if self.failure is not None:
            raise self.failure
        seq = self._seq
        if self._buf:
            buf, self._buf = self._buf, []
            try:
                for data in _batched(buf):
                    view = memoryview(data)
                    while view:
                        n = os.write(self._fd, view)
                        view = view[n:]
            except OSError as exc:
                raise self._failed(exc) from None
        return seq

    def _fsync(self) -> None:
        if self.failure is not None:
            raise self.failure
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise self._failed(exc) from None

    def _failed(self, exc: OSError) -> JournalError:
        self.failure = JournalError(
            f"cannot write the journal {self.path} ({exc.strerror or exc}): nothing more was "
            "sent; every request that left is in the journal"
        )
        if self._on_failure is not None:
            self._on_failure(self.failure)
        return self.failure

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
            await asyncio.get_running_loop().run_in_executor(None, self._fsync)
            self._synced = max(self._synced, seq)
        finally:
            self._sync_task = None

    async def _tick(self) -> None:
        while self.failure is None:
            await asyncio.sleep(self._flush_interval)
            if self._seq > self._synced:
                with contextlib.suppress(JournalError):  # on_failure has been told
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
        """Make everything durable and close the file (idempotent).

        Raises ``JournalError`` when the last records cannot be written; the
        file is closed either way.
        """
        if self._fd >= 0:
            try:
                self.flush_now()
            finally:
                os.close(self._fd)
                self._fd = -1


def _batched(buf: list[bytes]) -> Iterator[bytes]:
    """The queued records as few writes: small ones joined, large pieces as they are."""
    small: list[bytes] = []
    for piece in buf:
        if len(piece) < _LARGE:
            small.append(piece)
            continue
        if small:
            yield b"".join(small)
            small.clear()
        yield piece
    if small:
        yield b"".join(small)
