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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..api.auth import Auth
from ..api.control import RunControl
from ..api.endpoint import Endpoint
from ..api.pool import PoolResult, Progress, Recorder
from ..api.sender import HttpSender
from ..api.sending import Sending
from ..api.v6 import V6Call
from ..audit.handover import write_handover
from ..audit.manifest import write_manifest
from ..audit.report import write_report
from ..audit.requests_sheet import requests_headline
from ..core.codes import Reason
from ..core.errors import HaltError, JournalError, ReportError, ReportNotWrittenError, UsageError
from ..core.records import Line, Outcome, RunFacts, Status
from ..core.reportlines import ReportLines
from ..core.requests import Request
from ..core.timefmt import iso_now
from ..requests import stream_requests
from ..state import format as fmt
from .certify import Steps, write_certificates
from .handback import write_handback
from .keeping import cited, with_prior
from .opening import Opened, open_run
from .options import RunOptions
from .prepare import Prepared, unsent_outcome
from .receipts import write_receipts
from .runsummary import Summary


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


@dataclass(frozen=True, slots=True)
class Sent:
    """What sending gives: every outcome of this run, when it ended and why it stopped early
    ("" when it did not). The journal is closed, with its end record."""

    result: PoolResult
    ended_at: str
    halted: str


async def execute_async(
    prep: Prepared,
    opts: RunOptions,
    *,
    control: RunControl | None = None,
    progress: Progress | None = None,
    steps: Steps | None = None,
) -> Summary:
    """``execute`` for callers already inside an event loop; ``progress`` is told of each
    key, ``steps`` of each certificate (``--certificates``).

    Three phases: ``open_run`` (``opening``: checks, the run's files and lock, the destination, the
    ledger, the run facts, the journal), ``_send``, ``_finish`` (the report and the
    papers). The run's folder and lock are held until the report is written; the
    destination and the ledger until sending ends.
    """
    control = control or RunControl()
    async with contextlib.AsyncExitStack() as held:
        async with contextlib.AsyncExitStack() as live:
            opened = await open_run(prep, opts, control, held, live)
            sent = await _send(opened, opts, control, progress)
        return _finish(opened, sent, opts, control, steps)


async def _send(
    run: Opened, opts: RunOptions, control: RunControl, progress: Progress | None
) -> Sent:
    """Every job through the pool (unless nothing is sent: a dry run, a validation, no
    jobs); then, whatever happened, the ledger's feed and the journal closed, in that
    order, the journal ending with its end record."""
    result = PoolResult()
    try:
        if run.endpoint is not None and run.prep.jobs and not opts.dry:
            sending = (run.endpoint, run.auth, run.api.call)
            result = await _pool(
                run.prep, opts, sending, run.recorder, control, progress, run.run_id
            )
    finally:
        if run.kept.feed is not None:
            await run.kept.feed.aclose()  # journal first, then what the ledger still lacks
        ended = iso_now()
        halted = control.reason
        run.journal.write(fmt.end_record(ended, halted, control.code))
        with contextlib.suppress(JournalError):  # journal_failed has stopped the run
            await run.journal.aclose()
    return Sent(result, ended, halted)


def _finish(
    run: Opened, sent: Sent, opts: RunOptions, control: RunControl, steps: Steps | None
) -> Summary:
    """The report, its manifest and the papers asked for, from the journal's truth: every
    line with its outcome (this run's, carried, or why it was not sent)."""
    prep, xlsx, csv, journal_path, kept, result = (
        run.prep, run.xlsx, run.csv, run.journal_path, run.kept, sent.result
    )  # fmt: skip
    interrupted = control.signum is not None
    halted = sent.halted
    facts = replace(run.facts, ended_at=sent.ended_at, halted=halted)  # the end, once known
    final = report_lines(prep, result.outcomes, dry=opts.dry)
    requests = stream_requests(final, prep.input_columns, prep.rules, run.today)
    try:
        counted = write_report(
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
        reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else exc.message
        raise ReportNotWrittenError(
            NOT_WRITTEN.format(reason=reason, sent=result.sent, journal=journal_path)
        ) from exc
    papers = _papers(run, opts, manifest, requests, facts, steps)
    stats, told = counted.lines, counted.requests
    counts: Counter[str] = Counter({s.value: n for s, n in stats.counts.items()})
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
        reappeared=stats.reappeared,
        certificates=papers.certificates,
        certificates_problem=papers.certificates_problem,
        certificates_notes=papers.certificates_notes,
        receipts=papers.receipts,
        receipts_problem=papers.receipts_problem,
        handback=handback,
        requests_said=requests_headline(told if told is not None else requests, facts),
        phone_field=run.api.phone_field,
        v6_field_refused=stats.v6_field_refused,
        test_run=facts.endpoint_host if facts.test_run else "",
        stop_list_failed=stats.stop_failed,
    )


def report_lines(prep: Prepared, outcomes: Mapping[int, Outcome], *, dry: bool) -> ReportLines:
    """Every line of the run's report with its outcome: this run's, else the one carried
    over, else why it was not sent (with the earlier erasure the ledger cites), each made
    when the report reads it: never all held."""
    carried, earlier = prep.carried, cited(prep.jobs)
    now = outcomes.get
    # a ready line not sent says the same as every other (a dry run's million): one record
    unsent: dict[Status, Outcome] = {}

    def outcome(line: Line) -> Outcome:
        i = line.index
        found = now(i) or carried.get(i)
        if found is not None:
            return found
        prior = earlier.get(i, "")
        if line.status is Status.READY and not prior:
            same = unsent.get(Status.READY)
            if same is None:
                same = unsent[Status.READY] = unsent_outcome(line, dry=dry)
            return same
        return with_prior(unsent_outcome(line, dry=dry), prior)

    return ReportLines(prep.lines, outcome)


@dataclass(frozen=True, slots=True)
class Papers:
    """The papers asked for beside the report, or why one could not be written (the
    report stands either way)."""

    certificates: Path | None = None
    certificates_problem: str = ""
    certificates_notes: tuple[str, ...] = ()
    receipts: Path | None = None
    receipts_problem: str = ""


def _papers(
    run: Opened,
    opts: RunOptions,
    manifest: Path,
    requests: Sequence[Request],
    facts: RunFacts,
    steps: Steps | None,
) -> Papers:
    """The certificates (``--certificates``) and receipts (``--receipts``) of a written
    report; a problem with either is said, never raised."""
    certified, problem, notes = None, "", tuple[str, ...]()
    if opts.certificates:
        try:
            done = write_certificates(
                run.xlsx,
                manifest,
                requests,
                facts,
                steps,
                columns=run.prep.input_columns,
                replies=opts.replies,
            )
            certified, notes = done.folder, tuple(done.warnings)
        except (ReportError, UsageError) as exc:  # the report stands: say so, and how
            problem = f"{exc.message}; then run `batch-anonymizer certificates {run.xlsx}`"
    receipts, receipts_problem = None, ""
    if opts.receipts:
        try:
            receipts = write_receipts(run.xlsx, manifest, requests, facts)[0]
        except (ReportError, UsageError) as exc:  # the report stands: say so, and how
            receipts_problem = exc.message
    return Papers(certified, problem, notes, receipts, receipts_problem)


#: When the report cannot be written after requests were sent (exit 4): what to do next.
NOT_WRITTEN = (
    "the report could not be written ({reason}) after {sent} anonymize request(s) were "
    "sent; the journal {journal} holds every one of them: free some space or fix the "
    "folder, then write the report with `batch-anonymizer report {journal}`, and continue "
    "the run with the same command and options plus `--resume {journal}`"
)


async def _pool(
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
