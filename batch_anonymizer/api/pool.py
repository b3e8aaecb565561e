"""The asyncio worker pool: every key of a run through one shared rate limit.

The pool takes jobs from a queue, hands each to the run's work (for a run,
``KeyAttempts.anonymize``), records each outcome, and trips the circuit
breakers. When the run stops (a breaker, refused credentials, the caller),
nothing new is sent: requests in flight finish and are recorded, and every
job not finished ends ``pending`` with the stop's reason code.

The pool knows nothing of files or screens: what it writes down goes to a
``Recorder`` (the journal), what it shows to a ``Progress`` (the CLI's bar).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, overload

import numpy as np
import numpy.typing as npt

from ..core.codes import Reason
from ..core.identity import mask
from ..core.job import Job
from ..core.lines import Lines
from ..core.records import KeyForm, Line, Outcome, Phase, Status
from . import messages
from .breakers import Breakers
from .control import RunControl
from .prior import after_erasure
from .settings import Settings

log = logging.getLogger("batch_anonymizer")


class Recorder(Protocol):
    """Where the pool writes down what it does (the journal); see ``state.journal``."""

    def send(self, index: int, attempt: int) -> None:
        """An attempt is about to be sent."""

    async def durable(self) -> None:
        """Return once everything recorded so far is on disk; ``JournalError`` if it cannot be."""

    def attempt(
        self,
        index: int,
        attempt: int,
        http: int | None,
        code: Reason | None,
        message: str,
        uncertain: bool,
    ) -> None:
        """An answer that did not settle the key (a retry follows, or the run halts)."""

    def lookup(
        self,
        index: int,
        phase: Phase,
        form: KeyForm,
        records: int | None,
        http: int | None,
        code: Reason | None,
    ) -> None:
        """A lookup's answer: ``phase`` before or after anonymizing; ``records`` None if failed."""

    def done(self, index: int, outcome: Outcome, line: Line | None = None) -> None:
        """A key's final outcome (``line``: the line itself, when the caller holds it)."""


class Progress(Protocol):
    """What a caller shows while the pool works (the CLI draws a bar)."""

    def start(self, total: int) -> None:
        """The pool starts ``total`` jobs."""

    def advance(self, outcome: Outcome, rate: float | None) -> None:
        """One job finished; ``rate`` is the rate in force, when it was lowered."""

    def close(self) -> None:
        """The pool is done."""


@dataclass
class PoolResult:
    """An outcome for every job, and why the run stopped early ("" when it did not)."""

    outcomes: dict[int, Outcome] = field(default_factory=dict)
    halted: str = ""
    halt_code: Reason | None = None
    sent: int = 0  # anonymize requests that left in this run


Work = Callable[[Job], Awaitable[Outcome]]


def by_row(jobs: Iterable[Job]) -> list[list[Job]]:
    """Consecutive jobs of one input row (same sheet and row number) as one unit."""
    return list(rows_of(jobs))


def rows_of(jobs: Iterable[Job]) -> Iterator[list[Job]]:
    """``by_row``, each row made when taken (the jobs are taken as they are needed)."""
    row: list[Job] = []
    last: tuple[str | None, int] | None = None
    for job in jobs:
        where = (job.line.sheet, job.line.source_row)
        if where != last and row:
            yield row
            row = []
        row.append(job)
        last = where
    if row:
        yield row


def stop_list_owed(jobs: Sequence[Job]) -> int:
    """How many ``jobs`` owe only their stop-list step."""
    return sum(1 for _ in owing_stop_list(jobs))


def owing_stop_list(jobs: Sequence[Job]) -> Iterator[Job]:
    """The ``jobs`` that owe only their stop-list step (read without making the others)."""
    made = jobs.again.values() if isinstance(jobs, ReadyJobs) else jobs
    return (j for j in made if j.stop_list_only is not None)


class ReadyJobs(Sequence[Job]):
    """A plan's ready lines as jobs, each ``Job`` (and its ``Line``) made when taken.

    A million-row plan has about a million ready lines: made up front, their
    jobs cost ~5 s before the first request. ``earlier``: line index -> the
    earlier erasure the ledger holds for its key (``Job.prior_erasure``).
    ``at``: the line indices covered, ascending (default: every ready line; a
    resume leaves out the lines it carries over). ``again``: line index -> its job,
    made ahead, for the few lines an earlier run left unfinished (sent again with
    their earlier attempts, or owing only their stop-list step); the others are
    ``Job(line)``.
    """

    def __init__(
        self,
        lines: Lines,
        earlier: Mapping[int, str] | None = None,
        *,
        at: npt.NDArray[np.int32] | None = None,
        again: Mapping[int, Job] | None = None,
    ) -> None:
        self.lines = lines
        self.at = lines.indices(Status.READY) if at is None else at
        self.earlier: Mapping[int, str] = earlier or {}
        self.again: Mapping[int, Job] = again or {}

    def citing(self, earlier: Mapping[int, str]) -> ReadyJobs:
        """The same jobs, each citing its key's earlier erasure in ``earlier``."""
        return ReadyJobs(self.lines, earlier, at=self.at, again=self.again)

    def __len__(self) -> int:
        return len(self.at)

    @overload
    def __getitem__(self, i: int) -> Job: ...
    @overload
    def __getitem__(self, i: slice) -> list[Job]: ...
    def __getitem__(self, i: int | slice) -> Job | list[Job]:
        if isinstance(i, slice):
            return [self._job(self.lines[int(j)]) for j in self.at[i]]
        return self._job(self.lines[int(self.at[i])])

    def __iter__(self) -> Iterator[Job]:
        return map(self._job, self.lines.at(self.at))

    def __eq__(self, other: object) -> bool:
        # equal to any sequence of the same jobs (a list made the per-line way, say)
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def _job(self, line: Line) -> Job:
        prior = self.earlier.get(line.index, "")
        job = self.again.get(line.index)
        if job is None:
            return Job(line, prior_erasure=prior)
        return replace(job, prior_erasure=prior) if prior else job

    def codes(self) -> set[Reason | None]:
        """The codes the lines carry (from the columns: no line is made)."""
        problem = self.lines.entries.problem
        if not problem:
            return {None}
        # only the entries with a problem are looked at (a set of a million keys took ~1 s)
        flagged = np.zeros(len(self.lines.entries.key) + 1, dtype=np.bool_)  # -1: no key
        flagged[list(problem)] = True
        at = self.lines.entry_of[self.at]
        keyed = np.unique(at[flagged[at]]).tolist()
        return {problem[k][0] for k in keyed} | {None}


class Pool:
    """Runs jobs through ``work`` with ``workers`` tasks, recording every outcome."""

    def __init__(
        self,
        work: Work,
        recorder: Recorder,
        settings: Settings,
        control: RunControl,
        *,
        run_id: str,
        rate: Callable[[], float | None] = lambda: None,
        progress: Progress | None = None,
    ) -> None:
        self.work = work
        self.recorder = recorder
        self.settings = settings
        self.control = control
        self.run_id = run_id
        self.rate = rate
        self.progress = progress
        self.breakers = Breakers(settings)
        self.result = PoolResult()
        # equal outcomes held once: a run finishes thousands of keys a second the same
        # way (the same second, status, counts), and a million-key run held each apart
        # until its report (~90 MB)
        self._same: dict[Outcome, Outcome] = {}

    async def run(
        self,
        jobs: Sequence[Job],
        *,
        first_alone: bool = False,
        alone_while: Callable[[list[Job]], bool] | None = None,
    ) -> PoolResult:
        """Send every job (unless stopped); return an outcome for each one.

        The keys of one input row (one person: an email and a telephone, say)
        go to one worker, one after the other: their records are often the same
        ones, and two requests racing on them would make each other's answers
        meaningless. ``first_alone``: the first row runs by itself before the
        others start, so that an account that refuses a kind of request
        (lookups) is found out by one key, before any other key is sent;
        ``alone_while``: so do the rows after it for as long as it says so of
        the next row (a v6 run: until a telephone key was actually sent).
        """
        # the rows are made as the workers take them: nothing is built for the whole run first
        rows = _Rows(rows_of(jobs))
        if self.progress is not None:
            self.progress.start(len(jobs))
        workers = max(1, min(self.settings.workers, len(jobs) or 1))
        try:
            if first_alone and rows.peek() is not None:
                await self._row(rows.take())
                while alone_while is not None and not self.control.stopped:
                    upcoming = rows.peek()
                    if upcoming is None or not alone_while(upcoming):
                        break
                    await self._row(rows.take())
            await asyncio.gather(*(self._worker(rows) for _ in range(workers)))
        finally:
            if self.progress is not None:
                self.progress.close()
        self.result.halted = self.control.reason
        self.result.halt_code = self.control.code
        return self.result

    async def _worker(self, rows: _Rows) -> None:
        while rows.peek() is not None:
            await self._row(rows.take())

    async def _row(self, jobs: list[Job]) -> None:
        for job in jobs:
            await self._one(job)

    async def _one(self, job: Job) -> None:
        if self.control.stopped:
            # an erasure owing only its stop-list step stays the erasure it was
            outcome = job.stop_list_only or self._not_sent(job)
        else:
            outcome = await self.work(job)
        if job.prior_erasure:
            outcome = after_erasure(job.prior_erasure, outcome)
        self._finish(job.line, outcome)

    def _not_sent(self, job: Job) -> Outcome:
        return Outcome(
            Status.PENDING,
            self.control.code,
            messages.PENDING_NOT_SENT.format(halted=self.control.reason),
            attempts=job.prior_attempts,
            unknown_attempts=job.prior_unknown,
            run_id=self.run_id,
            records_before=job.prior_records,
            key_form=job.prior_form,
        )

    def _finish(self, line: Line, outcome: Outcome) -> None:
        same = self._same
        if len(same) > 4_096:  # the seconds gone by: their outcomes will not recur
            same.clear()
        outcome = same.setdefault(outcome, outcome)
        self.result.outcomes[line.index] = outcome
        if log.isEnabledFor(logging.INFO):
            # A masked key only: logs are often shipped elsewhere, keys are personal data.
            log.info(
                messages.LOG_OUTCOME.format(
                    row=line.source_row,
                    key_type=line.key_type.value if line.key_type else "-",
                    key=mask(line.key),
                    status=outcome.status.value,
                    http=outcome.http_status,
                    attempts=outcome.attempts,
                    message=_masked(outcome.message, line),
                )
            )
        if outcome.status is not Status.PENDING:
            self.recorder.done(line.index, outcome, line)
        reason = self.breakers.record(outcome.status, outcome.code, outcome.message)
        if reason:
            self.control.stop(reason, code=Reason.HALTED_BREAKER)
        if self.progress is not None:
            self.progress.advance(outcome, self.rate())


class _Rows:
    """The rows still to send, shared by the workers (one event loop: no lock needed)."""

    def __init__(self, rows: Iterator[list[Job]]) -> None:
        self._rows = rows
        self._next: list[Job] | None = None

    def peek(self) -> list[Job] | None:
        """The next row (None: none is left), not taken."""
        if self._next is None:
            self._next = next(self._rows, None)
        return self._next

    def take(self) -> list[Job]:
        """The next row, taken (``peek`` first: there is one)."""
        row = self.peek()
        assert row is not None
        self._next = None
        return row


def _masked(message: str, line: Line) -> str:
    """``message`` with every form of ``line``'s key masked: a vendor's Error may echo it."""
    forms = {line.key, line.norm, line.written, line.key.lower()}
    if line.norm.isdigit():
        forms.add("+" + line.norm)
    for value in sorted((f for f in forms if len(f) >= 3), key=len, reverse=True):
        message = message.replace(value, mask(value))
    return message
