"""The library entry points behind the CLI: prepare a run, then execute it.

``prepare_run`` / ``prepare_retry`` load, validate and match an earlier run
without touching the network or the disk; the CLI can show the plan and ask
for confirmation. ``execute`` journals, sends, and writes the report.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import secrets
import signal
import socket
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..api.pool import Job, Runner, Settings, check_keys, utc_now_iso
from ..api.sender import ApiKeyAuth, Auth, Endpoint, HttpSender
from ..core.errors import UsageError
from ..core.records import KeyType, Line, Outcome, Plan, ReportLine, RunFacts, Status
from ..core.version import __version__
from ..input.loader import load_table
from ..input.plan import make_plan
from ..state.journal import JournalWriter, line_record, lines_digest
from ..state.resume import Previous, carry_over, load_previous, retry_jobs

SANDBOX_KEY = "sandbox-demo-key"


@dataclass(frozen=True, slots=True)
class InputOptions:
    """How to read the input and find its keys."""

    sheet: str | int | None = None
    all_sheets: bool = False
    header_row: int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    email_column: str | None = None
    phone_column: str | None = None
    default_region: str | None = None
    where: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Where to send and how; where to write."""

    endpoint: Endpoint | None  # None: the built-in sandbox
    auth: Auth | None
    settings: Settings = field(default_factory=Settings)
    mode: str = "run"  # run | dry-run | retry | check | validate
    report: Path | None = None  # xlsx path; default reports/<input>-<UTC>.xlsx
    reports_dir: Path = Path("reports")
    progress: bool = True
    sandbox_faults: str | None = None
    fmt: str = "json"  # answer format, also for the built-in sandbox
    settings_shown: tuple[tuple[str, str], ...] = ()


@dataclass
class Prepared:
    """A run ready to execute: every line, what is carried over, what to send."""

    input_path: Path
    input_sha256: str
    input_size: int
    input_columns: tuple[str, ...]
    lines: tuple[Line, ...]
    carried: dict[int, Outcome]
    jobs: list[Job]
    previous: Previous | None = None
    plan: Plan | None = None  # None for retry (the lines come from a report)

    def planned_counts(self) -> Counter[str]:
        """Status counts before sending: what will be sent shows as ``ready``."""
        sending = {j.line.index for j in self.jobs}
        counts: Counter[str] = Counter()
        for line in self.lines:
            if line.index in sending:
                counts["ready"] += 1
            elif line.index in self.carried:
                counts[self.carried[line.index].status.value] += 1
            else:
                counts[line.status.value] += 1
        return counts


def prepare_run(
    input_path: Path,
    opts: InputOptions,
    *,
    resume: Path | None = None,
    allow_changed_input: bool = False,
) -> Prepared:
    """Load, validate, dedupe; with ``resume``, carry over what an earlier run did."""
    table = load_table(
        input_path,
        sheet=opts.sheet,
        all_sheets=opts.all_sheets,
        header_row=opts.header_row,
        encoding=opts.encoding,
        delimiter=opts.delimiter,
    )
    plan = make_plan(
        table,
        email_column=opts.email_column,
        phone_column=opts.phone_column,
        default_region=opts.default_region,
        where=opts.where,
    )
    previous = None
    if resume is not None:
        previous = load_previous(resume, plan)
        c = carry_over(plan, previous, allow_changed_input=allow_changed_input)
        carried, jobs = c.carried, c.jobs
    else:
        carried, jobs = {}, [Job(line) for line in plan.lines if line.status is Status.READY]
    return _prepared(plan, carried, jobs, previous)


def _prepared(
    plan: Plan, carried: dict[int, Outcome], jobs: list[Job], previous: Previous | None
) -> Prepared:
    t = plan.table
    return Prepared(t.path, t.sha256, t.size, t.columns, plan.lines, carried, jobs, previous, plan)


def prepare_retry(report: Path, *, only_transient: bool = False) -> Prepared:
    """Lines of an earlier report; failed and pending keys are sent again."""
    previous = load_previous(report)
    c = retry_jobs(previous, only_transient=only_transient)
    lines = tuple(e.line for e in previous.entries)
    name = previous.input_name or previous.source.name
    return Prepared(
        Path(name),
        previous.input_sha256,
        0,
        previous.input_columns,
        lines,
        c.carried,
        c.jobs,
        previous,
    )


@dataclass
class Summary:
    """The end of a run: counts, files, and the exit code they imply."""

    counts: Counter[str]
    xlsx: Path
    csv: Path
    journal: Path | None
    halted: str = ""
    signal: int | None = None
    mode: str = "run"

    @property
    def exit_code(self) -> int:
        if self.signal is not None:
            return 128 + self.signal
        if self.halted:
            return 3
        if self.counts["failed"] or self.counts["invalid"]:
            return 1
        return 0

    @property
    def needs_retry(self) -> bool:
        return bool(self.counts["failed"] or self.counts["pending"])

    def sentence(self) -> str:
        """One line a person understands, saying what the exit code means."""
        c = self.counts
        parts = [f"{c[s.value]} {s.value}" for s in Status if c[s.value]]
        done = ", ".join(parts) or "nothing to do"
        if self.signal is not None:
            return f"Interrupted: {done}. Unfinished keys are pending; resume or retry them."
        if self.halted:
            return f"Run HALTED ({self.halted}): {done}. Unfinished keys are pending."
        if self.mode in ("dry-run", "validate"):
            return f"Dry run, nothing sent: {done}."
        if self.mode == "check":
            return f"Pre-check, nothing changed: {done}."
        if self.exit_code == 0:
            return f"All keys anonymized: {done}."
        return f"Finished with problems: {done}. See the rows marked failed or invalid."


def report_paths(input_path: Path, opts: RunOptions, now: datetime) -> tuple[Path, Path, Path]:
    """xlsx, csv and journal paths; refuses to overwrite an earlier audit record."""
    if opts.report is not None:
        xlsx = (
            opts.report
            if opts.report.suffix.lower() == ".xlsx"
            else opts.report.with_suffix(".xlsx")
        )
    else:
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        xlsx = opts.reports_dir / f"{input_path.stem}-{stamp}.xlsx"
        n = 1
        while xlsx.exists() or xlsx.with_suffix(".journal").exists():
            n += 1
            xlsx = opts.reports_dir / f"{input_path.stem}-{stamp}-{n}.xlsx"
    csv, journal = xlsx.with_suffix(".csv"), xlsx.with_suffix(".journal")
    for p in (xlsx, csv, journal):
        if p.exists():
            raise UsageError(
                f"{p} already exists; an audit record is never overwritten: choose another --report"
            )
    return xlsx, csv, journal


def new_run_id(now: datetime) -> str:
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def execute(prep: Prepared, opts: RunOptions) -> Summary:
    """Journal, send (unless a dry run or validation), write the report; return the summary."""
    return asyncio.run(_execute(prep, opts))


async def _execute(prep: Prepared, opts: RunOptions) -> Summary:
    from ..audit.report import check_writer

    check_writer()  # a report that could not be written safely is found out before sending
    now = datetime.now(UTC)
    run_id = new_run_id(now)
    xlsx, csv, journal_path = report_paths(prep.input_path, opts, now)
    sending = opts.mode in ("run", "retry")
    sandbox_runner = None
    endpoint = opts.endpoint
    auth = opts.auth
    if endpoint is None and opts.mode in ("run", "retry", "check"):
        sandbox_runner, endpoint = await _start_sandbox(prep, opts)
        auth = ApiKeyAuth(SANDBOX_KEY)
    facts = RunFacts(
        run_id=run_id,
        mode=opts.mode,
        tool_version=__version__,
        started_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ended_at="",
        input_name=prep.input_path.name,
        input_size=prep.input_size,
        input_sha256=prep.input_sha256,
        endpoint_host=(endpoint.host if endpoint else "none (nothing sent)")
        + (" (built-in sandbox)" if sandbox_runner else ""),
        region=endpoint.region if endpoint else "",
        operator=_operator(),
        host_name=socket.gethostname(),
        previous_run_id=prep.previous.run_id if prep.previous else "",
        journal_name=journal_path.name,
        settings=opts.settings_shown,
    )
    journal = JournalWriter(journal_path)
    journal.write(_run_record(prep, facts))
    for line in prep.lines:
        journal.write(line_record(line, prep.carried.get(line.index)))
    journal.flush_now()
    journal.start()
    outcomes: dict[int, Outcome] = dict(prep.carried)
    halted = ""
    sig: int | None = None
    try:
        if sending and prep.jobs:
            assert endpoint is not None
            outcomes_run, halted, sig = await _send(prep, opts, endpoint, auth, journal, run_id)
            outcomes.update(outcomes_run)
        elif opts.mode == "check" and prep.jobs:
            assert endpoint is not None
            async with HttpSender(
                endpoint, auth, timeout=opts.settings.timeout, connections=opts.settings.concurrency
            ) as sender:
                checked = await check_keys(
                    sender,
                    [j.line for j in prep.jobs],
                    rate=opts.settings.rate,
                    concurrency=opts.settings.concurrency,
                    run_id=run_id,
                    timeout=opts.settings.timeout,
                    progress=opts.progress,
                )
            for i, o in checked.items():
                journal.done(i, o)
            outcomes.update(checked)
    finally:
        if sandbox_runner is not None:
            await sandbox_runner.cleanup()
        ended = utc_now_iso()
        journal.write({"t": "end", "ended_at": ended, "halted": halted})
        await journal.aclose()
    facts = replace(facts, ended_at=ended, halted=halted)
    final = [ReportLine(line, _final(line, outcomes, opts.mode)) for line in prep.lines]
    from ..audit.manifest import write_manifest
    from ..audit.report import write_report

    write_report(xlsx, csv, prep.input_columns, final, facts)
    write_manifest(xlsx, csv, journal_path, facts)
    counts: Counter[str] = Counter(rl.outcome.status.value for rl in final)
    return Summary(
        counts,
        xlsx,
        csv,
        journal_path,
        halted if sig is None else "",
        sig,
        opts.mode,
    )


def _final(line: Line, outcomes: dict[int, Outcome], mode: str) -> Outcome:
    o = outcomes.get(line.index)
    if o is not None:
        return o
    if line.status is Status.READY:
        if mode in ("dry-run", "validate"):
            return Outcome(Status.READY, message="would be sent (dry run)")
        return Outcome(Status.PENDING, message="not sent")
    return Outcome(line.status, message=line.message, error_code=line.code)


async def _send(
    prep: Prepared,
    opts: RunOptions,
    endpoint: Endpoint,
    auth: Auth | None,
    journal: JournalWriter,
    run_id: str,
) -> tuple[dict[int, Outcome], str, int | None]:
    loop = asyncio.get_running_loop()
    caught: list[int] = []
    s = opts.settings
    async with HttpSender(endpoint, auth, timeout=s.timeout, connections=s.concurrency) as sender:
        runner = Runner(sender, journal, s, run_id=run_id, progress=opts.progress)

        def on_signal(signum: int) -> None:
            if caught:
                # Second signal: leave now. The journal is append-only and the report is
                # written atomically, so what is on disk stays consistent.
                with contextlib.suppress(OSError):
                    journal.flush_now()
                os._exit(128 + signum)
            caught.append(signum)
            name = signal.Signals(signum).name
            runner.halt(f"interrupted by {name}", interrupted=True)

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal, signum)
        try:
            result = await runner.run(prep.jobs)
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
    return result.outcomes, result.halted, (caught[0] if caught else None)


async def _start_sandbox(prep: Prepared, opts: RunOptions) -> tuple[Any, Endpoint]:
    from ..sandbox import Faults, Sandbox, start_sandbox

    faults = Faults.from_spec(opts.sandbox_faults) if opts.sandbox_faults else None
    box = Sandbox(api_key=SANDBOX_KEY, faults=faults)
    emails = [ln.key for ln in prep.lines if ln.key_type is KeyType.EMAIL]
    phones = [ln.key for ln in prep.lines if ln.key_type is KeyType.TELEPHONE]
    box.seed(emails, phones)
    runner, url = await start_sandbox(box)
    return runner, Endpoint.for_base_url(url, opts.fmt)


def _run_record(prep: Prepared, facts: RunFacts) -> dict[str, Any]:
    return {
        "t": "run",
        "v": 1,
        "run_id": facts.run_id,
        "mode": facts.mode,
        "tool_version": facts.tool_version,
        "started_at": facts.started_at,
        "input": {
            "name": facts.input_name,
            "path": str(prep.input_path),
            "sha256": facts.input_sha256,
            "size": facts.input_size,
        },
        "endpoint_host": facts.endpoint_host,
        "region": facts.region,
        "previous_run_id": facts.previous_run_id,
        "settings": dict(facts.settings),
        "columns": list(prep.input_columns),
        "lines_sha256": lines_digest(prep.lines),  # lets a resume skip decoding line records
    }


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
