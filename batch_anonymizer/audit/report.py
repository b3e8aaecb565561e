"""The audit report: one .xlsx (for people) and its .csv twin (for scripts).

``write_report`` turns ``ReportLine`` records and ``RunFacts`` into both files,
each written atomically with mode 0600; ``read_report`` reads either back into
text rows exactly as they were written (the resume and retry commands rely on
it). The workbook's layout lives in ``workbook``; safe cells in ``cellsafe``.

Columns: ``RESULT_COLUMNS``, then ``records_found`` and ``source_sheet`` when a
line uses them, then the input's own columns. An input column named like a
result column (or already ending in `` (input)``) gets `` (input)`` appended, so
every header reads back to one meaning.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from ..core.errors import ReportError
from ..core.files import atomic_write
from ..core.records import ReportLine, RunFacts, Status
from .cellsafe import neutralise, neutralise_row, unneutralise
from .workbook import (
    CellValue,
    SummaryContent,
    parse_utc,
    read_workbook,
    write_workbook,
)
from .workbook import check_writer as check_writer  # app checks it before sending

RESULT_COLUMNS = (
    "source_row",
    "key_type",
    "key",
    "status",
    "http_status",
    "message",
    "attempts",
    "finished_at",
    "run_id",
    "error_code",
)
OPTIONAL_COLUMNS = ("records_found", "source_sheet")
INPUT_SUFFIX = " (input)"
_RESERVED = frozenset(RESULT_COLUMNS + OPTIONAL_COLUMNS)

#: One-line meaning of each status, in the order the Summary lists them.
STATUS_MEANINGS = {
    Status.SUCCESS: "the API confirmed the anonymization",
    Status.FAILED: "the API refused, or every attempt failed: nothing was anonymized",
    Status.INVALID: "no usable email or telephone in the row: nothing was sent",
    Status.DUPLICATE: "same key as an earlier row: sent once, on that row",
    Status.SKIPPED: "left out by a --where filter: nothing was sent",
    Status.PENDING: "not finished: no answer before the run stopped; send it again with retry",
    Status.READY: "dry run or pre-check: would be sent",
}
ATTENTION = frozenset({Status.FAILED.value, Status.INVALID.value, Status.PENDING.value})

FACT_LABELS = {
    "run_id": "Run id",
    "mode": "Mode",
    "tool_version": "Tool version",
    "operator": "Operator (OS user)",
    "host_name": "Host name",
    "endpoint_host": "API endpoint host",
    "region": "Region",
    "api_version": "API version",
    "started_at": "Started (UTC)",
    "ended_at": "Ended (UTC)",
    "input_name": "Input file name",
    "input_size": "Input file size (bytes)",
    "input_sha256": "Input file SHA-256",
    "previous_run_id": "Previous run id (resumed or retried)",
    "halted": "Halted because",
    "journal_name": "Journal file",
}


@dataclass(frozen=True, slots=True)
class ReadReport:
    """A report read back: Summary facts (empty for a .csv), input columns, text rows.

    ``rows`` are keyed by the header as written: an input column that clashed
    with a result column is under ``"<name> (input)"``; ``input_headers`` holds
    those keys in the order of ``input_columns`` (the original names), and
    ``cells(row)`` gives a row's input cells.
    """

    facts: dict[str, str]
    input_columns: tuple[str, ...]
    rows: tuple[dict[str, str], ...]
    input_headers: tuple[str, ...] = ()

    def cells(self, row: dict[str, str]) -> tuple[str, ...]:
        """The input's own cells of ``row``, aligned to ``input_columns``."""
        return tuple(row.get(h, "") for h in self.input_headers)


def report_columns(
    input_columns: Sequence[str], *, records_found: bool, source_sheet: bool
) -> list[str]:
    """The header of the Rows sheet and the .csv."""
    cols = list(RESULT_COLUMNS)
    if records_found:
        cols.append("records_found")
    if source_sheet:
        cols.append("source_sheet")
    for name in input_columns:
        clash = name in _RESERVED or name.endswith(INPUT_SUFFIX)
        cols.append(name + INPUT_SUFFIX if clash else name)
    return cols


def default_report_paths(input_path: Path, reports_dir: Path, now: datetime) -> tuple[Path, Path]:
    """``reports_dir/<input stem>-<UTC YYYYmmddTHHMMSSZ>.xlsx`` and its .csv twin."""
    utc = now.astimezone(UTC) if now.tzinfo else now
    xlsx = reports_dir / f"{input_path.stem}-{utc.strftime('%Y%m%dT%H%M%SZ')}.xlsx"
    return xlsx, xlsx.with_suffix(".csv")


# -- writing -----------------------------------------------------------------


def _values(rl: ReportLine, width: int, records_found: bool, source_sheet: bool) -> list[CellValue]:
    line, o = rl.line, rl.outcome
    row: list[CellValue] = [
        line.source_row,
        line.key_type.value if line.key_type else "",
        line.key,
        o.status.value,
        o.http_status,
        o.message,
        o.attempts,
        o.finished_at,
        o.run_id,
        o.error_code,
    ]
    if records_found:
        row.append(o.records_found)
    if source_sheet:
        row.append(line.sheet or "")
    cells = list(line.cells[:width])
    return row + cells + [""] * (width - len(cells))


def write_report(
    xlsx_path: Path,
    csv_path: Path,
    input_columns: Sequence[str],
    lines: Sequence[ReportLine],
    facts: RunFacts,
    *,
    title: str = "batch-anonymizer audit report",
    notes: Sequence[str] = (),
) -> None:
    """Write the .xlsx and the .csv, each atomically, mode 0600 (folder 0700 if new).

    Raises ``ReportError`` when a file cannot be written; an earlier file at the
    same path is then left as it was.
    """
    records_found = any(rl.outcome.records_found is not None for rl in lines)
    source_sheet = any(rl.line.sheet for rl in lines)
    header = report_columns(input_columns, records_found=records_found, source_sheet=source_sheet)
    width = len(input_columns)
    rows = [_values(rl, width, records_found, source_sheet) for rl in lines]
    summary = summary_content(lines, facts, title, notes)

    def write_csv(f: IO[bytes]) -> None:
        # BOM: Excel then opens the file as UTF-8. surrogatepass: never fail on odd text.
        t = io.TextIOWrapper(f, encoding="utf-8-sig", errors="surrogatepass", newline="")
        try:
            w = csv.writer(t)
            w.writerow([neutralise(h) for h in header])
            w.writerows(neutralise_row(row) for row in rows)
            t.flush()
        finally:
            t.detach()  # the caller fsyncs and closes f

    # The workbook shows finished_at as a real date; the csv keeps the ISO text.
    atomic_write(
        (
            xlsx_path,
            lambda f: write_workbook(f, header, rows, summary, ATTENTION, tmpdir=xlsx_path.parent),
        ),
        (csv_path, write_csv),
    )


# -- the Summary ---------------------------------------------------------------


def _n(k: int) -> str:
    return f"{k:,}"


_HEADLINE_ORDER = (
    Status.FAILED,
    Status.PENDING,
    Status.INVALID,
    Status.DUPLICATE,
    Status.SKIPPED,
    Status.SUCCESS,
    Status.READY,
)


def headline(lines: Sequence[ReportLine], facts: RunFacts) -> str:
    """One sentence: how many keys were anonymized (or would be), and what went wrong."""
    keyed = Counter(
        rl.outcome.status for rl in lines if rl.line.key_type is not None or rl.line.key
    )
    keys = sum(keyed.values())
    no_key = len(lines) - keys
    if facts.mode in ("dry-run", "validate"):
        text = f"Dry run, nothing sent: {_n(keyed[Status.READY])} of {_n(keys)} keys would be sent"
        done = Status.READY
    elif facts.mode == "check":
        found = sum(1 for rl in lines if rl.outcome.records_found)
        text = (
            f"Pre-check, nothing changed: {_n(keyed[Status.READY])} of {_n(keys)} keys would be "
            f"sent, {_n(found)} of them with records found"
        )
        done = Status.READY
    else:
        text = f"{_n(keyed[Status.SUCCESS])} of {_n(keys)} keys anonymized"
        done = Status.SUCCESS
    rest = [f"{_n(keyed[s])} {s.value}" for s in _HEADLINE_ORDER if keyed[s] and s is not done]
    if no_key:
        rest.append(
            f"{_n(no_key)} {'row' if no_key == 1 else 'rows'} without an email or telephone"
        )
    if rest:
        text += "; " + ", ".join(rest) + ": see Rows"
    if facts.halted:
        text = f"Run halted: {facts.halted}. {text}"
    return text + "."


def fact_items(facts: RunFacts) -> list[tuple[str, str | int, str]]:
    """(label, value, field name) for every RunFacts field, settings as ``setting.<name>``."""
    items: list[tuple[str, str | int, str]] = []
    for f in fields(RunFacts):
        if f.name == "settings":
            continue
        value = getattr(facts, f.name)
        items.append((FACT_LABELS.get(f.name, f.name), value, f.name))
        if f.name == "ended_at":
            items.append(("Duration", _duration(facts.started_at, facts.ended_at), ""))
    items += [(f"Setting: {k}", v, f"setting.{k}") for k, v in facts.settings]
    return items


def _duration(start: str, end: str) -> str:
    a, b = parse_utc(start), parse_utc(end)
    if a is None or b is None or b < a:
        return ""
    secs = int((b - a).total_seconds())
    h, rem = divmod(secs, 3600)
    return f"{h}h {rem // 60:02d}m {rem % 60:02d}s" if h else f"{rem // 60}m {rem % 60:02d}s"


def summary_content(
    lines: Sequence[ReportLine], facts: RunFacts, title: str, notes: Sequence[str]
) -> SummaryContent:
    """What the Summary sheet says for these lines and facts."""
    counts = Counter(rl.outcome.status for rl in lines)
    return SummaryContent(
        title=title,
        headline=headline(lines, facts),
        notes=(
            *notes,
            "Rows lists every line of the input in order; Needs attention lists only the "
            "failed, invalid and pending ones.",
            "All times are UTC (finished_at, started, ended).",
        ),
        counts=tuple((s.value, counts[s], STATUS_MEANINGS[s]) for s in STATUS_MEANINGS),
        facts=tuple(fact_items(facts)),
    )


def facts_from_dict(d: dict[str, str]) -> RunFacts:
    """RunFacts back from ``ReadReport.facts`` (missing fields empty)."""
    g = d.get
    size = g("input_size", "")
    return RunFacts(
        run_id=g("run_id", ""),
        mode=g("mode", ""),
        tool_version=g("tool_version", ""),
        started_at=g("started_at", ""),
        ended_at=g("ended_at", ""),
        input_name=g("input_name", ""),
        input_size=int(size) if size.isdigit() else 0,
        input_sha256=g("input_sha256", ""),
        endpoint_host=g("endpoint_host", ""),
        region=g("region", ""),
        api_version=g("api_version", ""),
        operator=g("operator", ""),
        host_name=g("host_name", ""),
        previous_run_id=g("previous_run_id", ""),
        halted=g("halted", ""),
        journal_name=g("journal_name", ""),
        settings=tuple((k[8:], v) for k, v in d.items() if k.startswith("setting.")),
    )


# -- reading -----------------------------------------------------------------


def read_report(path: Path) -> ReadReport:
    """Read a report of this tool from its .xlsx or .csv; values as the text written.

    Raises ``ReportError`` when the file cannot be read or is not such a report.
    """
    try:
        if path.suffix.lower() == ".csv":
            facts: dict[str, str] = {}
            header, rows = _read_csv(path)
        else:
            facts, header, rows = read_workbook(path)
    except KeyError:
        raise ReportError(
            f'{path.name} has no "Rows" sheet, so it is not a report of batch-anonymizer; '
            "give the .xlsx or .csv the tool wrote"
        ) from None
    except (OSError, ValueError, UnicodeError, csv.Error) as e:
        raise ReportError(
            f"cannot read the report {path} ({e}); give the .xlsx or .csv the tool wrote, "
            "or rebuild them from the journal with `batch-anonymizer report`"
        ) from e
    except Exception as e:  # openpyxl raises many kinds of errors for a damaged zip
        raise ReportError(
            f"{path.name} is not a readable workbook ({type(e).__name__}); give the .xlsx "
            "or .csv the tool wrote"
        ) from e
    missing = [c for c in RESULT_COLUMNS if c not in header]
    if missing:
        raise ReportError(
            f"{path.name} is not a report of batch-anonymizer: it lacks the column(s) "
            + ", ".join(missing)
            + "; give the .xlsx or .csv the tool wrote, unedited"
        )
    if len(set(header)) != len(header):
        raise ReportError(f"{path.name} has two columns of the same name; it was edited")
    headers = tuple(h for h in header if h not in _RESERVED)
    inputs = tuple(h[: -len(INPUT_SUFFIX)] if h.endswith(INPUT_SUFFIX) else h for h in headers)
    out = []
    for number, row in enumerate(rows, 2):
        d = dict(zip(header, row, strict=True))
        for opt in OPTIONAL_COLUMNS:
            if opt not in header:
                d[opt] = ""
        _check_row(path, number, d)
        out.append(d)
    return ReadReport(facts, inputs, tuple(out), headers)


def _check_row(path: Path, number: int, d: dict[str, str]) -> None:
    problem = ""
    if d["status"] not in _STATUSES:
        problem = f'status "{d["status"]}" is not one this tool writes'
    elif not d["source_row"].isdigit():
        problem = f'source_row "{d["source_row"]}" is not a row number'
    elif not d["attempts"].isdigit() or not (d["http_status"] == "" or d["http_status"].isdigit()):
        problem = "attempts or http_status is not a whole number"
    if problem:
        raise ReportError(
            f"line {number} of {path.name}: {problem}; the report was edited: "
            "use the copy the tool wrote (check it with `batch-anonymizer verify`)"
        )


_STATUSES = frozenset(s.value for s in Status)


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", errors="surrogatepass", newline="") as f:
        it: Iterator[list[str]] = csv.reader(f)
        header = [unneutralise(h) for h in next(it, [])]
        width = len(header)
        rows = []
        for raw in it:
            if not any(raw):
                continue
            row = [unneutralise(v) for v in raw[:width]]
            rows.append(row + [""] * (width - len(row)))
    return header, rows
