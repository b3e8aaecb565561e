"""Prepare a run without touching the network or the disk: what will be sent, what is carried.

``prepare_run`` loads, validates and dedupes the input (and, with ``resume``,
matches an earlier run); ``prepare_retry`` takes the failed and pending keys
of an earlier report. Either checks the earlier run's files against their
manifest first (``state.evidence``) and refuses a difference unless it is
accepted. The caller can show the plan and ask for confirmation before
``execute`` sends anything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..api.pool import ReadyJobs
from ..audit.report import check_fits
from ..core.codes import Reason
from ..core.errors import InputError, UsageError
from ..core.job import Job
from ..core.lines import STATUSES, Lines
from ..core.records import Line, Outcome, Plan, Status
from ..input.deadlines import check_country
from ..input.loader import load_table
from ..input.plan import make_plan
from ..input.rowgate import GateColumns
from ..input.transcend import pull_shape
from ..requests import RequestRules, rules_from_facts
from ..state import messages
from ..state.evidence import require_evidence
from ..state.previous import Previous, load_previous
from ..state.resume import carry_over, retry_jobs
from .options import InputOptions
from .resumecheck import check_same_input_options


@dataclass
class Prepared:
    """A run ready to execute: every line, what is carried over, what to send."""

    input_path: Path
    input_sha256: str
    input_size: int
    input_columns: tuple[str, ...]
    lines: Sequence[Line]
    carried: dict[int, Outcome]
    jobs: Sequence[Job]  # a fresh plan's: ``ReadyJobs``, each made when the pool takes it
    previous: Previous | None = None
    plan: Plan | None = None  # None for retry (the lines come from a report)
    # what differed in the earlier run's files, gone on from with accept_changed_evidence
    # ("" when nothing did); the run facts record it
    accepted_changed_evidence: str = ""
    # which columns make the requests and their deadlines (the run facts record them)
    rules: RequestRules = field(default_factory=RequestRules)

    def planned_counts(self) -> Counter[str]:
        """Status counts before sending: what will be sent shows as ``ready``."""
        if isinstance(self.lines, Lines) and isinstance(self.jobs, ReadyJobs):
            return self._counted(self.lines, self.jobs)
        sending = {j.line.index for j in self.jobs}
        counts: Counter[str] = Counter()
        for line in self.lines:
            if line.index in sending:
                counts[Status.READY] += 1
            elif line.index in self.carried:
                counts[self.carried[line.index].status] += 1
            else:
                counts[line.status] += 1
        return counts

    def _counted(self, lines: Lines, jobs: ReadyJobs) -> Counter[str]:
        """``planned_counts`` from the columns: a carried line counts as its earlier outcome,
        every other line as planned (a job is a ready line, and none of them is carried)."""
        status = lines.status.copy()
        status[np.fromiter(self.carried, dtype=np.int64, count=len(self.carried))] = -1
        by_status = np.bincount(status[status >= 0], minlength=len(STATUSES)).tolist()
        counts = Counter({str(STATUSES[s]): n for s, n in enumerate(by_status) if n})
        counts.update(str(o.status) for o in self.carried.values())
        return counts


def prepare_run(
    input_path: Path,
    opts: InputOptions | None = None,
    *,
    resume: Path | None = None,
    allow_changed_input: bool = False,
    accept_changed_evidence: bool = False,
) -> Prepared:
    """Load, validate, dedupe; with ``resume``, carry over what an earlier run did.

    Raises ``InputError`` for an unusable input, ``ResumeMismatchError`` when
    ``resume`` was made from another input (unless ``allow_changed_input``),
    ``EvidenceChangedError`` when the files of ``resume`` differ from their
    manifest (unless ``accept_changed_evidence``; then ``Prepared`` says what
    differed).
    """
    opts = opts or InputOptions()
    accepted = ""
    if resume is not None:
        accepted = require_evidence(
            resume, accept=accept_changed_evidence, command="--resume"
        ).fact()
    elif accept_changed_evidence:
        raise UsageError(
            "--accept-changed-evidence goes with --resume REPORT (it accepts an earlier "
            "run's changed files); nothing was sent"
        )
    table = load_table(
        input_path,
        sheet=opts.sheet,
        all_sheets=opts.all_sheets,
        hidden_sheets=opts.hidden_sheets,
        skip_keyless=opts.skip_keyless,
        header_row=opts.header_row,
        encoding=opts.encoding,
        delimiter=opts.delimiter,
    )
    plan = make_plan(
        table,
        email_columns=opts.email_columns,
        phone_columns=opts.phone_columns,
        ignore_columns=opts.ignore_columns,
        default_region=opts.default_region,
        where=opts.where,
        phone_form=opts.phone_form,
        request_column=opts.request_column,
        received_column=opts.received_column,
        extension_column=opts.extension_column,
        gate=GateColumns(
            opts.type_column, opts.identity_column, opts.hold_column, opts.erasure_types
        )
        if opts.gates
        else None,
    )
    shape = pull_shape(table.columns)
    rules = RequestRules(
        plan.request_id_column,
        plan.date_received_column,
        plan.extension_column,
        opts.day_order,
        holidays_of(opts.holidays),
        plan.type_column,
        plan.identity_column,
        plan.hold_column,
        platform_days_column=shape.days_until_overdue if shape else None,
    )
    previous = None
    jobs: Sequence[Job]
    if resume is not None:
        previous = load_previous(resume, plan)
        check_same_input_options(previous, opts)
        c = carry_over(plan, previous, allow_changed_input=allow_changed_input)
        carried, jobs = c.carried, c.jobs
    else:
        carried, jobs = {}, _jobs(plan.lines)
    t = plan.table
    prep = Prepared(
        t.path,
        t.sha256,
        t.size,
        t.columns,
        plan.lines,
        carried,
        jobs,
        previous,
        plan,
        accepted,
        rules,
    )
    check_report_fits(prep)
    return prep


def prepare_retry(
    report: Path, *, only_transient: bool = False, accept_changed_evidence: bool = False
) -> Prepared:
    """Lines of an earlier report (.xlsx, .csv or .journal); failed and pending keys are sent.

    Raises ``EvidenceChangedError`` when the report's files differ from their
    manifest, or a report has none (unless ``accept_changed_evidence``).
    """
    accepted = require_evidence(report, accept=accept_changed_evidence, command="retry").fact()
    previous = load_previous(report)
    c = retry_jobs(previous, only_transient=only_transient)
    lines = tuple(e.line for e in previous.entries)
    name = previous.input_name or previous.source.name
    prep = Prepared(
        Path(name),
        previous.input_sha256,
        0,
        previous.input_columns,
        lines,
        c.carried,
        c.jobs,
        previous,
        accepted_changed_evidence=accepted,
        rules=rules_from_facts(previous.facts, previous.input_columns)[0],
    )
    check_report_fits(prep)
    return prep


def _jobs(lines: Sequence[Line]) -> Sequence[Job]:
    """A job per ready line (from a plan's ``Lines``: made as the pool takes them)."""
    if isinstance(lines, Lines):
        return ReadyJobs(lines)
    return [Job(ln) for ln in lines if ln.status is Status.READY]


def holidays_of(country: str) -> str:
    """``country`` as the holidays package knows it ("" for none); ``InputError`` otherwise."""
    if not country.strip():
        return ""
    try:
        return check_country(country)
    except ValueError as e:
        raise InputError(f"--holidays {e}; nothing was sent") from None


def check_report_fits(prep: Prepared, *, check: bool = False) -> None:
    """Refuse (``ReportError``), before anything is sent, a run whose workbook could not
    hold its report; ``check``: a lookup run, whose report has a ``records_found`` column."""
    found = check or any(o.records_found is not None for o in prep.carried.values())
    lines = prep.lines
    sheet = lines.any_sheet() if isinstance(lines, Lines) else any(ln.sheet for ln in lines)
    check_fits(prep.input_columns, records_found=found, source_sheet=sheet)


def unsent_outcome(line: Line, *, dry: bool) -> Outcome:
    """The outcome of a line nothing happened to: its planned status, or pending if it was ready."""
    if line.status is Status.READY:
        if dry:
            return Outcome(Status.READY, message="would be sent (dry run)")
        return Outcome(Status.PENDING, Reason.INTERRUPTED, messages.NOT_SENT_INTERRUPTED)
    return Outcome(line.status, line.code, line.message)
