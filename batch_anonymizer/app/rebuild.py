"""Rebuild the .xlsx/.csv of a run from its journal (when it was killed before writing them)."""

from __future__ import annotations

from pathlib import Path

from ..audit.manifest import write_manifest
from ..audit.report import write_report
from ..core.errors import UsageError
from ..core.records import ReportLine, RunFacts
from ..core.version import __version__
from ..state.reader import read_journal
from .prepare import unsent_outcome


def rebuild(source: Path, report: Path | None = None) -> tuple[Path, Path]:
    """Write the report of the run recorded in ``source`` (a .journal); return its paths."""
    journal = source if source.suffix == ".journal" else source.with_suffix(".journal")
    state = read_journal(journal)
    xlsx = report or journal.with_suffix(".xlsx")
    csv = xlsx.with_suffix(".csv")
    for p in (xlsx, csv):
        if p.exists() and report is None and p.stat().st_size > 0:
            raise UsageError(
                f"{p} already exists; use --report PATH to write the rebuilt report elsewhere"
            )
    run = state.run
    run_id = str(run.get("run_id", ""))
    lines = []
    for line in state.lines:
        o = state.outcome(line.index) or state.unfinished(line.index)
        lines.append(ReportLine(line, o or unsent_outcome(line, dry=False)))
    inp = run.get("input", {})
    ended = state.ended or {}
    facts = RunFacts(
        run_id=run_id,
        mode=str(run.get("mode", "run")),
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
        halted=str(ended.get("halted", ""))
        if state.ended
        else "interrupted (rebuilt from journal)",
        journal_name=journal.name,
        accepted_changed_evidence=str(run.get("accepted_changed_evidence", "")),
        settings=tuple((str(k), str(v)) for k, v in run.get("settings", {}).items()),
    )
    write_report(xlsx, csv, tuple(run.get("columns", ())), lines, facts)
    write_manifest(xlsx, csv, journal, facts)
    return xlsx, csv
