"""Opening a run: everything before its first request, and nothing sent until it is done.

``open_run`` refuses what cannot work (nothing written), takes the run's folder
and lock, starts its destination (the options' endpoint or a built-in sandbox),
opens the ledger, builds the run facts once, and writes the journal's plan to
disk. ``app.execute`` then sends and finishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..api import messages as api_messages
from ..api.auth import Auth
from ..api.control import RunControl
from ..api.endpoint import Endpoint
from ..api.pool import ReadyJobs, Recorder
from ..audit.drafts import Drafter
from ..audit.report import check_writer
from ..core.codes import Reason
from ..core.errors import InputError, JournalError, ReportError
from ..core.files import private_dir
from ..core.job import Job
from ..core.records import RunFacts, Status
from ..core.timefmt import utc_now
from ..state import format as fmt
from ..state.journal import JournalWriter
from ..state.runlock import run_lock
from .builtin import builtin_sandbox
from .keeping import Kept, kept_for_run
from .options import RunOptions
from .prepare import Prepared, check_report_fits
from .runfacts import new_run_id, report_paths, run_facts
from .versions import ApiChoice, choose_api


@dataclass(frozen=True, slots=True)
class Opened:
    """What opening a run gives: where it writes and sends, its facts, ledger and journal.

    ``prep`` holds the jobs as the ledger left them (each citing an earlier erasure);
    ``facts`` are the run facts as it starts (its end is stamped when it ends).
    """

    prep: Prepared
    api: ApiChoice
    run_id: str
    today: dt.date
    xlsx: Path
    csv: Path
    journal_path: Path
    endpoint: Endpoint | None
    auth: Auth | None
    facts: RunFacts
    kept: Kept
    journal: JournalWriter
    recorder: Recorder


async def open_run(
    prep: Prepared,
    opts: RunOptions,
    control: RunControl,
    held: contextlib.AsyncExitStack,
    live: contextlib.AsyncExitStack,
) -> Opened:
    """Everything before the first request: refuse what cannot work (nothing written),
    then take the run's folder and lock (into ``held``), start the destination and open
    the ledger (into ``live``), and write the journal's plan to disk."""
    check_writer()  # a report that could not be written safely is found out before sending
    check_report_fits(prep, check=opts.mode.looks_only)
    refuse_gated(prep.jobs)
    if opts.certificates:  # a --name-column / --language-column not in the input: before sending
        Drafter(opts.replies, prep.input_columns)
    api = choose_api(prep, opts)  # refuses what cannot work (v6 without OAuth2), nothing written
    control.bind(asyncio.get_running_loop())
    now = utc_now()
    today = opts.today or now.date()  # the deadlines are counted against this day
    run_id = new_run_id(now)
    xlsx, csv, journal_path = report_paths(prep.input_path, opts, now)

    # One process per run: a `report` of this journal waits until the report is written.
    held.enter_context(_run_folder(journal_path))
    held.enter_context(
        run_lock(journal_path, f"batch-anonymizer {opts.mode} {prep.input_path.name}")
    )

    def journal_failed(error: JournalError) -> None:
        control.stop(
            api_messages.HALT_JOURNAL.format(error=error.message), code=Reason.HALTED_JOURNAL
        )

    endpoint, auth, builtin = await live.enter_async_context(_destination(prep, opts, api))
    # the ledger: a wrong secret or a locked file is refused here, before anything is sent
    kept = live.enter_context(kept_for_run(prep, opts, xlsx.parent))
    prep = replace(prep, jobs=kept.jobs)
    facts = run_facts(
        prep,
        opts,
        api,
        run_id=run_id,
        now=now,
        today=today,
        endpoint=endpoint,
        builtin=builtin,
        journal_path=journal_path,
        ledger=kept.settings(),
    )
    journal = _open_journal(journal_path, prep, facts, journal_failed)
    control.on_emergency(journal.flush_now)
    recorder = kept.recorder(journal, control)
    return Opened(
        prep, api, run_id, today, xlsx, csv, journal_path, endpoint, auth, facts, kept, journal,
        recorder,
    )  # fmt: skip


@contextlib.contextmanager
def _run_folder(journal: Path) -> Iterator[None]:
    """The journal's folder, made for the run's lock; removed again if the run is refused
    before it wrote anything there (a wrong ledger secret leaves no empty reports folder)."""
    made = not journal.parent.exists()
    private_dir(journal.parent)
    try:
        yield
    except BaseException:
        if made:
            with contextlib.suppress(OSError):  # only when empty: never anything written
                journal.parent.rmdir()
        raise


@contextlib.asynccontextmanager
async def _destination(
    prep: Prepared, opts: RunOptions, api: ApiChoice
) -> AsyncIterator[tuple[Endpoint | None, Auth | None, bool]]:
    """Where this run sends: the options' endpoint, or a built-in sandbox for the block."""
    if opts.endpoint is not None or opts.dry:
        yield opts.endpoint, opts.auth, False
        return
    async with builtin_sandbox(
        prep.lines,
        faults=opts.sandbox_faults,
        fmt=opts.fmt,
        records=opts.sandbox_records,
        api=api.version,
    ) as (endpoint, auth):
        yield endpoint, auth, True


def _open_journal(
    path: Path, prep: Prepared, facts: RunFacts, on_failure: Callable[[JournalError], None]
) -> JournalWriter:
    """Create the journal with its run and line records on disk, and start its flusher."""
    journal = JournalWriter(path, on_failure=on_failure)
    try:
        _write_plan(journal, prep, facts)
    except JournalError:
        # Nothing was sent: a partial journal is no evidence of anything, only input data.
        with contextlib.suppress(JournalError, OSError):
            journal.close()
        with contextlib.suppress(OSError):
            path.unlink()
        raise ReportError(
            f"cannot write the journal {path} (no space left?); nothing was sent: free some "
            "space or choose another folder with --reports-dir or --report"
        ) from None
    journal.start()
    return journal


def _write_plan(journal: JournalWriter, prep: Prepared, facts: RunFacts) -> None:
    """The journal's run record and the plan (one record of its columns), on disk."""
    run = fmt.run_record(
        facts, input_path=str(prep.input_path), columns=prep.input_columns, lines_sha256=""
    )
    journal.write_plan(run, prep.lines, prep.carried)
    journal.flush_now()


#: Codes of lines that must never be sent: another right, a hold, an unverified identity.
_NEVER_SENT = frozenset({Reason.NOT_ERASURE, Reason.HOLD, Reason.IDENTITY_UNVERIFIED})


def refuse_gated(jobs: Sequence[Job]) -> None:
    """Refuse (``InputError``, exit 2), before anything is sent, jobs of a line that is
    not an erasure request or is held: the last guard, whatever made the jobs."""
    if isinstance(jobs, ReadyJobs):  # a plan's ready lines: their codes from the columns
        if not jobs.codes() & _NEVER_SENT:
            return
        jobs = list(jobs)  # one is gated: find it, to name its row
    bad = next((j.line for j in jobs if j.line.code in _NEVER_SENT or j.line.status is not
                Status.READY), None)  # fmt: skip
    if bad is not None:
        raise InputError(
            f"row {bad.source_row} is {bad.status.value} ({bad.code or 'no code'}) and would "
            "have been sent: nothing was sent; report this as a bug"
        )
