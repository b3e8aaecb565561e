"""Rebuild the .xlsx/.csv of a run from its journal (when it was killed before writing them).

Never over another record: if any of the .xlsx, .csv or .manifest.json it
would write exists, it refuses. A report written under another name or in
another folder than its journal gets a copy of the journal beside it, under
its own name, so that its manifest finds it: ``verify``, ``retry`` and
``certificates`` then work from the new report as from the run's own. What a
killed run left half-written beside its report (temporary files and
xlsxwriter's folder, which may hold keys) is removed first.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO

from ..audit.manifest import manifest_path, write_manifest
from ..audit.report import remove_leftovers, requests_csv_path, write_report
from ..core.errors import UsageError
from ..core.files import atomic_write
from ..core.records import Line, Mode, Outcome, RunFacts
from ..core.reportlines import ReportLines
from ..core.timefmt import utc_now
from ..core.version import __version__
from ..requests import rules_from_facts, stream_requests
from ..state.reader import read_journal
from .handback import write_handback
from .prepare import unsent_outcome

#: The operator and host name of a run whose journal does not record them.
NOT_RECORDED = "not recorded"


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """What ``rebuild`` wrote, and the leftovers of a killed run it removed first."""

    xlsx: Path
    csv: Path
    manifest: Path
    removed: tuple[Path, ...] = ()
    journal: Path | None = None  # the copy of the journal beside the report, when made


def rebuild(source: Path, report: Path | None = None, *, paper: str = "a4") -> Rebuilt:
    """Write the report of the run recorded in ``source`` (a .journal, or its report).

    ``report`` is where the .xlsx goes (default: beside the journal, under its
    name); ``paper`` the paper its sheets print on. Raises ``UsageError`` when any of
    the files it would write exists.
    """
    journal = source if source.suffix == ".journal" else source.with_suffix(".journal")
    state = read_journal(journal)
    own = journal.with_suffix(".xlsx")  # where the run itself wrote, or would have
    xlsx = own if report is None else report
    if xlsx.suffix.lower() != ".xlsx":
        xlsx = xlsx.with_suffix(".xlsx")
    csv, manifest = xlsx.with_suffix(".csv"), manifest_path(xlsx)
    beside = xlsx.with_suffix(".journal")
    copy = None if _same_file(beside, journal) else beside
    for p in (xlsx, csv, manifest, requests_csv_path(xlsx), *([copy] if copy else [])):
        if p.exists() or p.is_symlink():
            raise UsageError(
                f"{p} already exists; `report` never writes over audit files: give "
                "--report NEW.xlsx, a name with no .xlsx, .csv or .manifest.json yet"
            )
    removed = remove_leftovers(own) + (remove_leftovers(xlsx) if xlsx != own else [])
    run = state.run
    run_id = str(run.get("run_id", ""))

    def outcome(line: Line) -> Outcome:
        i = line.index
        return state.outcome(i) or state.unfinished(i) or unsent_outcome(line, dry=False)

    # each line made when the report reads it, the requests one at a time (as a run's)
    lines = ReportLines(state.lines, outcome)
    inp = run.get("input", {})
    ended = state.ended or {}
    facts = RunFacts(
        run_id=run_id,
        mode=Mode.of(str(run.get("mode", "run"))),
        tool_version=str(run.get("tool_version", __version__)),
        started_at=str(run.get("started_at", "")),
        ended_at=str(ended.get("ended_at", "")),
        input_name=str(inp.get("name", "")),
        input_size=int(inp.get("size", 0)),
        input_sha256=str(inp.get("sha256", "")),
        endpoint_host=str(run.get("endpoint_host", "")),
        region=str(run.get("region", "")),
        api_version=str(run.get("api_version", "v4.1")),
        previous_run_id=str(run.get("previous_run_id", "")),
        # a journal older than 0.2's certificates did not record them: say so, not blank
        operator=str(run.get("operator", NOT_RECORDED)),
        host_name=str(run.get("host_name", NOT_RECORDED)),
        halted=str(ended.get("halted", ""))
        if state.ended
        else "interrupted (rebuilt from journal)",
        journal_name=(copy or journal).name,
        accepted_changed_evidence=str(run.get("accepted_changed_evidence", "")),
        settings=tuple((str(k), str(v)) for k, v in run.get("settings", {}).items()),
    )
    columns = tuple(run.get("columns", ()))
    # the rules and the day the run counted deadlines against, as it recorded them
    recorded = {f"setting.{k}": v for k, v in facts.settings}
    recorded.update(started_at=facts.started_at, ended_at=facts.ended_at)
    rules, as_of = rules_from_facts(recorded, columns)
    requests = stream_requests(lines, columns, rules, as_of or utc_now().date())
    if copy is not None:  # first: the report is not written when its journal cannot be
        atomic_write((copy, partial(_copy_from, journal)))
    write_report(xlsx, csv, columns, lines, facts, requests=requests, paper=paper)
    if facts.mode.sends:
        write_handback(xlsx, columns, lines, requests)
    written = write_manifest(xlsx, csv, copy or journal, facts)
    return Rebuilt(xlsx, csv, written, tuple(removed), copy)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a.absolute() == b.absolute()


def _copy_from(source: Path, out: IO[bytes]) -> None:
    with source.open("rb") as f:
        shutil.copyfileobj(f, out, 1 << 20)
