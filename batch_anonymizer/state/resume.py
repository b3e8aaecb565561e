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

from ..api.pool import GAVE_UP, Job
from ..core.errors import ReportError, ResumeMismatchError
from ..core.gcpause import gc_paused
from ..core.records import KeyType, Line, Outcome, Plan, Status
from .journal import OUTCOME_UNKNOWN, read_journal

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
    entries: tuple[PreviousEntry, ...]  # empty when ``plan_outcomes`` is set
    torn: bool = False  # a journal whose last line was half-written
    # Set instead of ``entries`` when the journal was made from the very plan (and input)
    # given to ``load_previous``: the known outcome of each line, by line index.
    plan_outcomes: dict[int, Outcome] | None = None


def load_previous(path: Path, plan: Plan | None = None) -> Previous:
    """Read an earlier run from its .xlsx, .csv or .journal.

    With the fresh ``plan`` of a resume, a journal made from the same plan is
    read without decoding its ``line`` records (``Previous.same_plan``).
    """
    if not path.exists():
        raise ReportError(f"{path} does not exist; give the .xlsx, .csv or .journal of a run")
    if path.suffix.lower() == ".journal":
        with gc_paused():  # a large run's journal holds millions of records
            return _from_journal(path, plan)
    from ..audit.report import read_report  # local import: only report knows the workbook format

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


def _from_journal(path: Path, plan: Plan | None) -> Previous:
    state = read_journal(path, plan.lines if plan is not None else None)
    run_id = str(state.run.get("run_id", ""))
    inp = state.run.get("input", {})
    sha256 = str(inp.get("sha256", ""))
    entries: list[PreviousEntry] = []
    plan_outcomes: dict[int, Outcome] | None = None
    if plan is not None and state.lines_from_plan and sha256 == plan.table.sha256:
        plan_outcomes = {**state.priors, **state.outcomes}
        for i in state.sent.keys() - plan_outcomes.keys():
            unfinished = state.unfinished(i)
            if unfinished is not None:
                plan_outcomes[i] = unfinished
    else:
        for line in state.lines:
            i = line.index
            outcome = state.outcome(i) or state.unfinished(i)
            if outcome is None:
                outcome = Outcome(line.status, message=line.message, error_code=line.code)
            entries.append(PreviousEntry(line, outcome))
    return Previous(
        path,
        run_id,
        sha256,
        str(inp.get("name", "")),
        tuple(state.run.get("columns", ())),
        tuple(entries),
        state.torn,
        plan_outcomes,
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
    with gc_paused():
        return _carry_over(plan, previous, allow_changed_input)


def _carry_over(plan: Plan, previous: Previous, allow_changed_input: bool) -> Carried:
    by_value = _input_changed(plan, previous)
    if by_value and not allow_changed_input:
        raise ResumeMismatchError(
            f"the input {plan.table.path.name} is not the file the earlier run "
            f"({previous.source.name}) was made from; nothing sent. Resume with the original "
            "file, or add --allow-changed-input to match keys by value and send new rows"
        )
    ready = [ln for ln in plan.lines if ln.status is Status.READY and ln.key_type]
    known = previous.plan_outcomes
    if known is not None:  # the journal holds this very plan: match lines by index
        earlier = list(map(known.get, [ln.index for ln in ready]))
    else:
        earlier = _match(ready, previous, by_value)
    carried: dict[int, Outcome] = {}
    jobs: list[Job] = []
    for line, prev in zip(ready, earlier, strict=True):
        if prev is None:
            jobs.append(Job(line))
        elif prev.status is Status.SUCCESS or prev.status is Status.FAILED:
            carried[line.index] = prev
        elif prev.attempts:
            jobs.append(_resend_job(line, prev))
        else:
            jobs.append(Job(line))
    return Carried(carried, jobs)


def _match(ready: list[Line], previous: Previous, by_value: bool) -> list[Outcome | None]:
    """The earlier outcome of each ready line: by key value, or by row and key."""

    def ident(line: Line) -> object:
        if by_value:
            return match_key(line.key_type, line.key)
        return (line.sheet, line.source_row, line.key_type, line.key)

    index: dict[object, Outcome] = {}
    for e in previous.entries:
        if e.line.key_type is not None:
            index.setdefault(ident(e.line), e.outcome)
    # pop: a value matches one line, later copies are duplicates
    return [index.pop(ident(line), None) for line in ready]


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
