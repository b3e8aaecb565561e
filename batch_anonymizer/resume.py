"""What an earlier run already did, from its report (.xlsx/.csv) or its journal.

``load_previous`` reads any of the three into ``PreviousEntry`` records;
``carry_over`` matches them to a fresh plan: finished keys keep their outcome
(and their original ``finished_at`` and ``run_id``), keys that were sent
without a known answer are sent again once and say so, the rest is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import ReportError, ResumeMismatchError
from .journal import OUTCOME_UNKNOWN, read_journal
from .records import KeyType, Line, Outcome, Plan, Status
from .runner import GAVE_UP, Job

_DIGITS = re.compile(r"\D")


def match_key(key_type: KeyType | None, key: str) -> tuple[str, str]:
    """Identity of a key across inputs: emails case-insensitive, phones by digits."""
    if key_type is KeyType.TELEPHONE:
        return ("telephone", _DIGITS.sub("", key))
    return (key_type.value if key_type else "", key.strip().lower())


@dataclass(frozen=True, slots=True)
class PreviousEntry:
    line: Line  # as planned then (index = position in the earlier report)
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Previous:
    source: Path
    run_id: str
    input_sha256: str  # "" when the source does not record it (a .csv alone)
    input_name: str
    input_columns: tuple[str, ...]
    entries: tuple[PreviousEntry, ...]
    torn: bool = False  # a journal whose last line was half-written


def load_previous(path: Path) -> Previous:
    """Read an earlier run from its .xlsx, .csv or .journal."""
    if not path.exists():
        raise ReportError(f"{path} does not exist; give the .xlsx, .csv or .journal of a run")
    if path.suffix.lower() == ".journal":
        return _from_journal(path)
    from .report import read_report  # local import: only report knows the workbook format

    rep = read_report(path)
    entries = []
    for i, row in enumerate(rep.rows):
        kt = row.get("key_type", "")
        status = Status(row["status"])
        http = row.get("http_status", "")
        rf = row.get("records_found", "")
        line = Line(
            index=i,
            sheet=row.get("source_sheet") or None,
            source_row=int(row["source_row"]),
            key_type=KeyType(kt) if kt else None,
            key=row.get("key", ""),
            norm="",
            status=status,
            code=row.get("error_code", ""),
            message=row.get("message", ""),
            cells=tuple(rep.cells(row)),
        )
        attempts = int(row.get("attempts") or 0)
        outcome = Outcome(
            status,
            http_status=int(http) if http else None,
            message=row.get("message", ""),
            error_code=row.get("error_code", ""),
            attempts=attempts,
            finished_at=row.get("finished_at", ""),
            run_id=row.get("run_id", ""),
            records_found=int(rf) if rf else None,
            # A report has no column for it: the runner's message says it (runner._pending).
            unknown_attempts=attempts
            if status is Status.PENDING and OUTCOME_UNKNOWN in row.get("message", "")
            else 0,
        )
        entries.append(PreviousEntry(line, outcome))
    return Previous(
        path,
        rep.facts.get("run_id", ""),
        rep.facts.get("input_sha256", ""),
        rep.facts.get("input_name", ""),
        rep.input_columns,
        tuple(entries),
    )


def _from_journal(path: Path) -> Previous:
    state = read_journal(path)
    entries = []
    run_id = str(state.run.get("run_id", ""))
    for line in state.lines:
        i = line.index
        outcome = state.outcome(i) or state.unfinished(i)
        if outcome is None:
            outcome = Outcome(line.status, message=line.message, error_code=line.code)
        entries.append(PreviousEntry(line, outcome))
    inp = state.run.get("input", {})
    return Previous(
        path,
        run_id,
        str(inp.get("sha256", "")),
        str(inp.get("name", "")),
        tuple(state.run.get("columns", ())),
        tuple(entries),
        state.torn,
    )


@dataclass(frozen=True, slots=True)
class Carried:
    """A plan after resume: outcomes carried over, and the jobs still to send."""

    carried: dict[int, Outcome]
    jobs: list[Job]


def _resend_job(line: Line, prev: Outcome) -> Job:
    if prev.unknown_attempts:
        note = (
            f"resent after an interrupted run: {prev.unknown_attempts} earlier attempt(s) "
            "had no recorded answer (outcome unknown)"
        )
    else:
        note = f"resent: earlier run left it {prev.status.value} ({prev.message})"
    return Job(line, prev.attempts, prev.unknown_attempts, note)


def carry_over(plan: Plan, previous: Previous, *, allow_changed_input: bool) -> Carried:
    """Match an earlier run to ``plan``; refuse if the input changed, unless allowed."""
    by_value = _input_changed(plan, previous)
    if by_value and not allow_changed_input:
        raise ResumeMismatchError(
            f"the input {plan.table.path.name} is not the file the earlier run "
            f"({previous.source.name}) was made from; nothing sent. Resume with the original "
            "file, or add --allow-changed-input to match keys by value and send new rows"
        )
    index: dict[object, PreviousEntry] = {}
    for e in previous.entries:
        if e.line.key_type is None:
            continue
        ident: object = (
            match_key(e.line.key_type, e.line.key)
            if by_value
            else (e.line.sheet, e.line.source_row, e.line.key_type, e.line.key)
        )
        index.setdefault(ident, e)
    carried: dict[int, Outcome] = {}
    jobs: list[Job] = []
    for line in plan.lines:
        if line.status is not Status.READY or line.key_type is None:
            continue
        ident = (
            match_key(line.key_type, line.key)
            if by_value
            else (line.sheet, line.source_row, line.key_type, line.key)
        )
        prev = index.pop(ident, None)  # pop: a value matches one line, later copies are dupes
        if prev is None:
            jobs.append(Job(line))
        elif prev.outcome.status in (Status.SUCCESS, Status.FAILED):
            carried[line.index] = prev.outcome
        elif prev.outcome.attempts:
            jobs.append(_resend_job(line, prev.outcome))
        else:
            jobs.append(Job(line))
    return Carried(carried, jobs)


def _input_changed(plan: Plan, previous: Previous) -> bool:
    if previous.input_sha256:
        return previous.input_sha256 != plan.table.sha256
    # A .csv alone does not record the hash: compare the rows it carries instead.
    rows = {(r.sheet, r.number): r.cells for r in plan.table.rows}
    cols = plan.table.columns
    if tuple(previous.input_columns) != tuple(cols):
        return True
    return any(
        rows.get((e.line.sheet, e.line.source_row)) != e.line.cells for e in previous.entries
    )


def retry_jobs(previous: Previous, *, only_transient: bool) -> Carried:
    """For ``retry``: which earlier lines to send again (failed or pending)."""
    carried: dict[int, Outcome] = {}
    jobs: list[Job] = []
    for e in previous.entries:
        o = e.outcome
        wanted = o.status is Status.PENDING or (
            o.status is Status.FAILED and (not only_transient or o.message.startswith(GAVE_UP))
        )
        if e.line.key_type is None or not wanted:
            carried[e.line.index] = o
            continue
        line = Line(
            e.line.index,
            e.line.sheet,
            e.line.source_row,
            e.line.key_type,
            e.line.key,
            e.line.norm,
            Status.READY,
            "",
            "",
            e.line.cells,
        )
        jobs.append(_resend_job(line, o))
    return Carried(carried, jobs)
