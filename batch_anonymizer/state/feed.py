"""The run's recorder when a ledger is kept: the journal first, then the ledger.

``LedgerFeed`` is the pool's ``Recorder``: every record goes to the journal
as before, and each ``done`` record's key is also queued for the ledger. A
background task writes the queue to the ledger in batches, each batch only
once the journal's ``done`` records behind it are on disk: the journal is the
truth, and the ledger never holds an outcome the journal could lose. A crash
between the two loses nothing: a resume records again what the journal holds
(``Ledger.record`` is idempotent). So the batches are not fsynced on their own
(``synchronous=NORMAL`` while sending; the journal's fsync is their
durability); ``aclose`` fsyncs them at the end of the run. Each entry (its
keyed hash) is made in the writer's thread, off the event loop, which hands the
GIL back every few entries: held for whole batches, it made each of the loop's
system calls wait up to the interpreter's switch interval (5 ms) to take it back.

When the ledger cannot be written (locked past its busy timeout, a full
disk), ``on_failure`` is called once (the run stops: nothing more is sent
whose outcome the ledger would miss) and nothing more is written to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from ..core.codes import Reason
from ..core.errors import JournalError, LedgerError
from ..core.records import KeyForm, Line, Outcome, Phase
from .journal import JournalWriter
from .ledger import Ledger, LedgerEntry

_SLICE = 8  # entries made between two hand-backs of the GIL (~0.25 ms)

#: a finished key's entry: its line index, outcome, and the line when the pool gave it
EntryOf = Callable[[int, Outcome, Line | None], LedgerEntry | None]


class LedgerFeed:
    """A ``Recorder`` that journals everything and feeds finished keys to the ledger.

    The first finished key is written at once (a ledger that cannot be written stops
    the run before more is sent); after each batch, the next waits until ``interval``
    seconds have passed since that batch began or ``batch`` keys wait, whichever comes
    first. Each transaction writes every page it touches (two indexes of random keyed
    hashes) and costs a thread hand-off: written as soon as the last ended, at full
    speed the batches held ~40 keys and the ledger took 20-30% of the run's CPU per
    key.
    """

    def __init__(
        self,
        journal: JournalWriter,
        ledger: Ledger,
        entry_of: EntryOf,
        on_failure: Callable[[LedgerError], None],
        *,
        batch: int = 2048,
        interval: float = 0.5,
    ) -> None:
        self.journal = journal
        self.ledger = ledger
        self.entry_of = entry_of
        self.on_failure = on_failure
        self.failure: LedgerError | None = None
        self.recorded = 0  # entries the ledger took in this run
        self.batch = batch
        self.interval = interval
        self._queue: list[tuple[int, Outcome, Line | None]] = []
        self._wake = asyncio.Event()  # a key waits for the ledger
        self._full = asyncio.Event()  # a batch is full, or the feed is closing
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    # -- Recorder: the journal's, unchanged ------------------------------------------

    def send(self, index: int, attempt: int) -> None:
        self.journal.send(index, attempt)

    async def durable(self) -> None:
        await self.journal.durable()

    def attempt(
        self,
        index: int,
        attempt: int,
        http: int | None,
        code: Reason | None,
        message: str,
        uncertain: bool,
    ) -> None:
        self.journal.attempt(index, attempt, http, code, message, uncertain)

    def lookup(
        self,
        index: int,
        phase: Phase,
        form: KeyForm,
        records: int | None,
        http: int | None,
        code: Reason | None,
    ) -> None:
        self.journal.lookup(index, phase, form, records, http, code)

    def done(self, index: int, outcome: Outcome, line: Line | None = None) -> None:
        """The journal's ``done`` record, then the key queued for the ledger (its entry,
        with its keyed hash, is made in the writer's thread: off the event loop; from
        ``line`` when given, not made again from the plan's columns)."""
        self.journal.done(index, outcome)
        if self.failure is None:
            self._queue.append((index, outcome, line))
            if len(self._queue) == 1:
                self._wake.set()
            if len(self._queue) >= self.batch:
                self._full.set()

    # -- the ledger writer ---------------------------------------------------------------

    def start(self) -> None:
        """Start writing in the background (call inside the running loop)."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        # Never cancelled: a batch being written in its thread must finish before the next.
        loop = asyncio.get_running_loop()
        while self.failure is None and not self._closing:
            await self._wake.wait()
            self._wake.clear()
            began = loop.time()
            await self._flush()
            rest = began + self.interval - loop.time()
            if rest > 0:  # the next batch gathers keys until this one is ``interval`` old
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), rest)
            self._full.clear()

    async def _flush(self) -> None:
        if not self._queue or self.failure is not None:
            return
        batch, self._queue = self._queue, []
        try:
            await self.journal.durable()  # journal first: it is the truth
        except JournalError:
            return  # the journal stopped the run; its resume settles these keys again
        try:
            self.recorded += await asyncio.to_thread(self._record, batch)
        except LedgerError as exc:
            self.failure = exc
            self._queue.clear()
            self.on_failure(exc)

    def _record(self, batch: list[tuple[int, Outcome, Line | None]]) -> int:
        """Record a batch whose ``done`` records are on disk: not fsynced on its own (the
        journal holds them; a resume records them again), durable at ``aclose``."""
        entries: list[LedgerEntry] = []
        for n, (i, o, line) in enumerate(batch, 1):
            entry = self.entry_of(i, o, line)
            if entry is not None:
                entries.append(entry)
            if n % _SLICE == 0:
                time.sleep(0)  # the GIL back to the event loop, if it waits for it
        return self.ledger.record(entries, synced=False)

    async def aclose(self) -> None:
        """Write what is still queued, make it durable, then stop the background writer."""
        self._closing = True
        self._wake.set()
        self._full.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self._flush()
        if self.failure is None:
            try:
                await asyncio.to_thread(self.ledger.sync)
            except LedgerError as exc:
                self.failure = exc
                self.on_failure(exc)
