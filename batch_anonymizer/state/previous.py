"""What an earlier run did, read from its report (.xlsx/.csv) or from its journal.

``load_previous`` reads any of the three into ``PreviousEntry`` records (a
line as planned then, and its outcome); resume and retry decide from those
(``resume``). Everything is read from codes and numbers, never from messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..api.v6 import V41
from ..audit.reportread import ReadReport, read_report
from ..core.codes import reason
from ..core.errors import ReportError
from ..core.gcpause import gc_paused
from ..core.records import KeyForm, KeyType, Line, Outcome, Plan, Status
from ..input.validate import check_phone
from . import format as fmt
from .reader import read_journal


@dataclass(frozen=True, slots=True)
class PreviousEntry:
    """One line of an earlier run: as planned then (index = its position), and its outcome."""

    line: Line
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Previous:
    """An earlier run: where it was read from, what it was made from, and its lines."""

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
    format_version: int = fmt.FORMAT_VERSION  # of the report or journal it was read from
    # The anonymize API it spoke ("" when the source does not record it: a .csv alone),
    # and with v6 the telephone field's name ("" for v4.1, or not recorded).
    api_version: str = ""
    v6_phone_field: str = ""
    # its run facts by field name (settings as ``setting.<name>``); {} for a .csv alone
    facts: dict[str, str] = field(default_factory=dict)


def load_previous(path: Path, plan: Plan | None = None) -> Previous:
    """Read an earlier run from its .xlsx, .csv or .journal.

    With the fresh ``plan`` of a resume, a journal made from the same plan is
    read without decoding its ``line`` records (``Previous.plan_outcomes``).
    """
    if not path.exists():
        raise ReportError(f"{path} does not exist; give the .xlsx, .csv or .journal of a run")
    if path.suffix.lower() == ".journal":
        with gc_paused():  # a large run's journal holds millions of records
            return _from_journal(path, plan)
    return _from_report(path, read_report(path))


def _from_report(path: Path, rep: ReadReport) -> Previous:
    entries = []
    v1 = rep.format_version < 2
    region = rep.facts.get("setting.default_region") or None
    for i, row in enumerate(rep.rows):
        kt = row.get("key_type", "")
        status = Status(row["status"])
        http = row.get("http_status", "")
        rf = row.get("records_found", "")
        before, after = row.get("records_before", ""), row.get("records_after", "")
        attempts = int(row.get("attempts") or 0)
        if v1:
            # A 0.1 report: error_code held a loader code or the vendor's code, and it had
            # no column for lost answers. A pending line that was sent may have been acted
            # on: count each of its attempts as unknown, so a resume says so.
            code, vendor = fmt.v1_codes(status, row.get("error_code", ""))
            unknown = attempts if status is Status.PENDING else 0
        else:
            code, vendor = reason(row.get("error_code", "")), row.get("vendor_code", "")
            unknown = int(row.get("unknown_attempts") or 0)
        key_type, key = KeyType(kt) if kt else None, row.get("key", "")
        form = fmt.key_form_of(row.get("key_form", ""))
        line = Line(
            index=i,
            sheet=row.get("source_sheet") or None,
            source_row=int(row["source_row"]),
            key_type=key_type,
            key=key,
            norm=_vendor_form(key, form, region) if key_type is KeyType.TELEPHONE else "",
            status=status,
            code=code,
            message=row.get("message", ""),
            cells=tuple(rep.cells(row)),
            source_column=row.get("source_column", ""),
        )
        outcome = Outcome(
            status,
            code,
            row.get("message", ""),
            http_status=int(http) if http else None,
            vendor_code=vendor,
            attempts=attempts,
            unknown_attempts=unknown,
            finished_at=row.get("finished_at", ""),
            run_id=row.get("run_id", ""),
            records_found=int(rf) if rf else None,
            records_before=int(before) if before else None,
            records_after=int(after) if after else None,
            key_form=form,
            previously_erased=row.get("previously_erased", ""),
            stop_list=row.get("stop_list", ""),
        )
        entries.append(PreviousEntry(line, outcome))
    return Previous(
        path,
        rep.facts.get("run_id", ""),
        rep.facts.get("input_sha256", ""),
        rep.facts.get("input_name", ""),
        rep.input_columns,
        tuple(entries),
        format_version=rep.format_version,
        # A workbook records its API (one without the fact is older than v6: v4.1).
        api_version=(rep.facts.get("api_version") or V41) if rep.facts else "",
        v6_phone_field=rep.facts.get("setting.v6_phone_field", ""),
        facts=dict(rep.facts),
    )


def _vendor_form(key: str, form: KeyForm | None, region: str | None) -> str:
    """The vendor's form of a telephone a report holds in the form it was sent in ("" when
    it cannot be told): what the ledger hashes, so that a retry records and cites a key
    sent as written (``07700 900123``, found only so) under the run's own entry.

    Only a telephone sent as written is read again, with the run's ``--default-region``.
    """
    if form is KeyForm.VENDOR:
        return key if key.isdigit() else ""
    if form is KeyForm.E164:
        return key[1:] if key[1:].isdigit() else ""
    if not key.strip():
        return ""
    _, norm, code, _ = check_phone(key, region)
    return norm if code is None and norm.isdigit() else ""


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
                outcome = Outcome(line.status, line.code, line.message)
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
        state.version,
        api_version=str(state.run.get("api_version") or V41),  # older than v6: v4.1
        v6_phone_field=str(_settings(state.run).get("v6_phone_field", "")),
        facts={f"setting.{k}": str(v) for k, v in _settings(state.run).items()},
    )


def _settings(run: dict[str, Any]) -> dict[str, Any]:
    settings = run.get("settings")
    return settings if isinstance(settings, dict) else {}
