"""Execute a prepared run: journal it, send, and write the report, in that order.

``execute_async`` runs inside the caller's event loop; ``execute`` runs it in
a loop of its own (from a script, or from a worker thread). Neither touches
signals or the screen: the caller may pass a ``RunControl`` to stop the run
(the CLI wires Ctrl-C and SIGTERM to it) and a ``Progress`` to show it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from ..api import messages as api_messages
from ..api.auth import Auth
from ..api.control import RunControl
from ..api.endpoint import Endpoint
from ..api.pool import Job, PoolResult, Progress, ReadyJobs, Recorder
from ..api.sender import HttpSender
from ..api.sending import Sending
from ..api.v6 import V6Call
from ..audit.drafts import Drafter
from ..audit.handover import write_handover
from ..audit.manifest import write_manifest
from ..audit.report import check_writer, write_report
from ..audit.requests_sheet import requests_headline
from ..audit.summary import reappeared
from ..core.codes import Reason
from ..core.errors import (
    HaltError,
    InputError,
    JournalError,
    ReportError,
    ReportNotWrittenError,
    UsageError,
)
from ..core.files import private_dir
from ..core.records import (
    STOP_FAILED,
    Mode,
    Outcome,
    ReportLine,
    RunFacts,
    Status,
)
from ..core.timefmt import iso_now, utc_now
from ..requests import derive_requests
from ..state import format as fmt
from ..state.journal import JournalWriter
from ..state.runlock import run_lock
from .builtin import builtin_sandbox
from .certify import Steps, write_certificates
from .handback import write_handback
from .keeping import cited, kept_for_run, with_prior
from .options import RunOptions
from .prepare import Prepared, check_report_fits, unsent_outcome
from .receipts import write_receipts
from .resumecheck import carried_input_settings
from .runfacts import new_run_id, report_paths, run_facts
from .summary import Summary
from .versions import ApiChoice, choose_api


def execute(
    prep: Prepared,
    opts: RunOptions,
    *,
    control: RunControl | None = None,
    progress: Progress | None = None,
    steps: Steps | None = None,
) -> Summary:
    """Journal, send (unless a dry run or validation), write the report; return the summary.

    Runs its own event loop: call it from synchronous code or a worker thread.
    Inside a running loop, ``await execute_async(...)`` instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(
            execute_async(prep, opts, control=control, progress=progress, steps=steps)
        )
    raise UsageError(
        "execute() was called inside a running event loop; use `await execute_async(...)` there"
    )


async def execute_async(
    prep: Prepared,
    opts: RunOptions,
    *,
    control: RunControl | None = None,
    progress: Progress | None = None,
    steps: Steps | None = None,
) -> Summary:
    """``execute`` for callers already inside an event loop; ``progress`` is told of each
    key, ``steps`` of each certificate (``--certificates``)."""
    check_writer()  # a report that could not be written safely is found out before sending
    check_report_fits(prep, check=opts.mode.looks_only)
    refuse_gated(prep.jobs)
    if opts.certificates:  # a --name-column / --language-column not in the input: before sending
        Drafter(opts.replies, prep.input_columns)
    api = choose_api(prep, opts)  # refuses what cannot work (v6 without OAuth2), nothing written
    control = control or RunControl()
    control.bind(asyncio.get_running_loop())
    now = utc_now()
    today = opts.today or now.date()  # the deadlines are counted against this day
    run_id = new_run_id(now)
    xlsx, csv, journal_path = report_paths(prep.input_path, opts, now)

    # One process per run: a `report` of this journal waits until the report is written.
    with (
        _run_folder(journal_path),
        run_lock(journal_path, f"batch-anonymizer {opts.mode} {prep.input_path.name}"),
    ):

        def journal_failed(error: JournalError) -> None:
            control.stop(
                api_messages.HALT_JOURNAL.format(error=error.message), code=Reason.HALTED_JOURNAL
            )

        async with _destination(prep, opts, api) as (endpoint, auth, builtin):
            # the ledger: a wrong secret or a locked file is refused here, before anything is sent
            with kept_for_run(prep, opts, xlsx.parent) as kept:
                prep = replace(prep, jobs=kept.jobs)
                facts = run_facts(prep, opts, run_id, now, endpoint, builtin, journal_path, api)
                retried = carried_input_settings(prep.previous) if opts.mode is Mode.RETRY else ()
                facts = replace(
                    facts,
                    settings=facts.settings
                    + retried
                    + prep.rules.settings(today)
                    + kept.settings(),
                )
                journal = _open_journal(journal_path, prep, facts, journal_failed)
                control.on_emergency(journal.flush_now)
                recorder = kept.recorder(journal, control)
                result = PoolResult()
                try:
                    if endpoint is not None and prep.jobs and not opts.dry:
                        sending = (endpoint, auth, api.call)
                        result = await _send(
                            prep, opts, sending, recorder, control, progress, run_id
                        )
                finally:
                    if kept.feed is not None:
                        await kept.feed.aclose()  # journal first, then what the ledger still lacks
                    ended = iso_now()
                    halted = control.reason
                    journal.write(fmt.end_record(ended, halted, control.code))
                    with contextlib.suppress(JournalError):  # journal_failed has stopped the run
                        await journal.aclose()
        interrupted = control.signum is not None
        facts = replace(facts, ended_at=ended, halted=halted)
        outcomes: dict[int, Outcome] = {**prep.carried, **result.outcomes}
        earlier = cited(prep.jobs)
        final = [
            ReportLine(
                line,
                outcomes.get(line.index)
                or with_prior(unsent_outcome(line, dry=opts.dry), earlier.get(line.index, "")),
            )
            for line in prep.lines
        ]
        requests = derive_requests(final, prep.input_columns, prep.rules, today)
        try:
            write_report(
                xlsx, csv, prep.input_columns, final, facts, requests=requests, paper=opts.paper
            )
            handback = None
            if opts.mode.sends:
                handback = write_handback(xlsx, prep.input_columns, final, requests)
            manifest = write_manifest(xlsx, csv, journal_path, facts)
            handover = None
            if opts.handover is not None:
                handover = write_handover(
                    xlsx, opts.handover.path, opts.handover.secret, (), paper=opts.paper
                )
        except ReportError as exc:
            if not result.sent:
                raise  # nothing was sent: the plain error (exit 2) tells the truth
            cause = exc.__cause__
            reason = (
                cause.strerror if isinstance(cause, OSError) and cause.strerror else exc.message
            )
            raise ReportNotWrittenError(
                NOT_WRITTEN.format(reason=reason, sent=result.sent, journal=journal_path)
            ) from exc
        certified, problem, notes = None, "", tuple[str, ...]()
        if opts.certificates:
            try:
                done = write_certificates(
                    xlsx,
                    manifest,
                    requests,
                    facts,
                    steps,
                    columns=prep.input_columns,
                    replies=opts.replies,
                )
                certified, notes = done.folder, done.warnings
            except (ReportError, UsageError) as exc:  # the report stands: say so, and how
                problem = f"{exc.message}; then run `batch-anonymizer certificates {xlsx}`"
        receipts, receipts_problem = None, ""
        if opts.receipts:
            try:
                receipts = write_receipts(xlsx, manifest, requests, facts)[0]
            except (ReportError, UsageError) as exc:  # the report stands: say so, and how
                receipts_problem = exc.message
        counts: Counter[str] = Counter(rl.outcome.status.value for rl in final)
        return Summary(
            counts,
            xlsx,
            csv,
            journal_path,
            manifest,
            handover,
            halted="" if interrupted else halted,
            signal=control.signum,
            mode=opts.mode,
            ledger=kept.ledger.path if kept.ledger is not None else None,
            recorded=kept.recorded,
            secret_created=kept.secret_created,
            reappeared=reappeared(final),
            certificates=certified,
            certificates_problem=problem,
            certificates_notes=tuple(notes),
            receipts=receipts,
            receipts_problem=receipts_problem,
            handback=handback,
            requests_said=requests_headline(requests, facts),
            phone_field=api.phone_field,
            v6_field_refused=any(rl.outcome.code is Reason.V6_FIELD_REFUSED for rl in final),
            test_run=facts.endpoint_host if facts.test_run else "",
            stop_list_failed=sum(rl.outcome.stop_list == STOP_FAILED for rl in final),
        )


#: When the report cannot be written after requests were sent (exit 4): what to do next.
NOT_WRITTEN = (
    "the report could not be written ({reason}) after {sent} anonymize request(s) were "
    "sent; the journal {journal} holds every one of them: free some space or fix the "
    "folder, then write the report with `batch-anonymizer report {journal}`, and continue "
    "the run with the same command and options plus `--resume {journal}`"
)


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


async def _send(
    prep: Prepared,
    opts: RunOptions,
    to: tuple[Endpoint, Auth | None, V6Call | None],
    journal: Recorder,
    control: RunControl,
    progress: Progress | None,
    run_id: str,
) -> PoolResult:
    """Every job through the pool: anonymize (run, retry) or look up (check).

    ``to`` is where and how: the endpoint, the credentials, and the v6 call (None: v4.1).
    """
    s = opts.settings
    endpoint, auth, v6 = to
    async with HttpSender(
        endpoint, auth, timeout=s.timeout, connections=s.workers, v6=v6
    ) as sender:
        try:
            await sender.authorize()
        except HaltError as exc:
            # Nothing is sent; the pool still gives every key its pending outcome with
            # this reason, so the report says why nothing was sent.
            control.stop(exc.message, code=Reason.HALTED_AUTH)
        sending = Sending(sender, journal, s, control, run_id=run_id, progress=progress, v6=v6)
        if opts.sends:
            return await sending.anonymize(prep.jobs)
        return await sending.lookup(prep.jobs)
