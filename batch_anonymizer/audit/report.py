"""The audit report: one .xlsx (for people) and its .csv twin (for scripts).

``write_report`` turns ``ReportLine`` records and ``RunFacts`` into both files,
each written atomically with mode 0600; ``reportread`` reads either back. The
workbook's layout lives in ``workbook``; safe cells in ``cellsafe``.

Columns: ``RESULT_COLUMNS`` (with ``source_column``, the column a key came
from, right after ``key``), then ``records_found`` when a line uses it (check),
the verification columns ``VERIFY_COLUMNS``, ``source_sheet`` when a line uses
it, then the input's own columns. A report written before ``source_column``
reads as ``""`` there. An input column named like a result column (or already
ending in `` (input)``) gets `` (input)`` appended, so every header reads back
to one meaning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from ..core.errors import ReportError
from ..core.files import REWRITE_REPORT, atomic_write
from ..core.identity import sent_key
from ..core.records import ReportLine, RunFacts, Status
from ..core.reportlines import Remade, taking
from ..core.requests import Request
from . import limits
from .leftovers import leftovers as leftovers  # re-exported: callers found them here
from .leftovers import remove_leftovers as remove_leftovers
from .leftovers import xlsxwriter_prefix as xlsxwriter_prefix
from .manifest import REQUESTS_CSV
from .pagesetup import DEFAULT_PAPER
from .requests_sheet import (
    register_table,
    request_header,
    request_rows,
    requests_table,
)
from .spool import CsvSpool, RowSpool, spool_folder
from .summary_words import LineStats, line_stats, summary_content
from .tally import RequestTally, tally
from .workbook import CellValue, Table, write_workbook
from .workbook import check_writer as check_writer  # app checks it before sending

RESULT_COLUMNS = (
    "source_row",
    "key_type",
    "key",
    "source_column",
    "status",
    "http_status",
    "message",
    "attempts",
    "finished_at",
    "run_id",
    "error_code",
    "vendor_code",
    "unknown_attempts",
)
VERIFY_COLUMNS = ("records_before", "records_after", "key_form")
#: The ledger's columns, when a line uses them: the earlier erasure, the stop list.
LEDGER_COLUMNS = ("previously_erased", "stop_list")
OPTIONAL_COLUMNS = ("records_found", *LEDGER_COLUMNS, "source_sheet")
INPUT_SUFFIX = " (input)"
_RESERVED = frozenset(RESULT_COLUMNS + VERIFY_COLUMNS + OPTIONAL_COLUMNS)
#: Columns a report of batch-anonymizer 0.1 (format 1) did not have yet.
NEW_IN_FORMAT_2 = ("vendor_code", "unknown_attempts", *VERIFY_COLUMNS)
#: The column each key came from: reports written before it read as "" there.
SOURCE_COLUMN = "source_column"
#: Statuses listed again on the Needs attention sheet.
ATTENTION = frozenset(s.value for s in Status if s.needs_attention)


def report_columns(
    input_columns: Sequence[str],
    *,
    records_found: bool,
    source_sheet: bool,
    ledger: Sequence[str] = (),
) -> list[str]:
    """The header of the Rows sheet and the .csv (``ledger``: the ``LEDGER_COLUMNS`` used)."""
    cols = list(RESULT_COLUMNS)
    if records_found:
        cols.append("records_found")
    cols += VERIFY_COLUMNS
    cols += ledger
    if source_sheet:
        cols.append("source_sheet")
    for name in input_columns:
        clash = name in _RESERVED or name.endswith(INPUT_SUFFIX)
        cols.append(name + INPUT_SUFFIX if clash else name)
    return cols


def check_fits(input_columns: Sequence[str], *, records_found: bool, source_sheet: bool) -> None:
    """Refuse, before anything is sent, a run whose report a workbook cannot hold.

    Lines never are the problem (they continue on further sheets); columns are:
    a worksheet holds ``limits.MAX_COLUMNS``, and the Requests sheet (its request
    facts and the input's columns) is wider than the Rows sheet. Raises ``ReportError``.
    """
    rows = report_columns(input_columns, records_found=records_found, source_sheet=source_sheet)
    width = max(len(rows), len(request_header(input_columns)))
    limits.check_width(width, "nothing was sent")


def requests_csv_path(xlsx_path: Path) -> Path:
    """``NAME.requests.csv`` beside the report ``NAME.xlsx``: the Requests sheet's csv twin."""
    return xlsx_path.with_name(xlsx_path.stem + REQUESTS_CSV)


# -- writing -----------------------------------------------------------------


def _values(
    rl: ReportLine,
    width: int,
    records_found: bool,
    source_sheet: bool,
    ledger: Sequence[str],
    due: str = "",
) -> list[CellValue]:
    line, o = rl.line, rl.outcome
    row: list[CellValue] = [
        line.source_row,
        line.key_type.value if line.key_type else "",
        sent_key(line, o.key_form),  # what was sent, in the form key_form names
        line.source_column,
        o.status.value,
        o.http_status,
        _DUE_NOTE.sub("", o.message) + due if due else o.message,
        o.attempts,
        o.finished_at,
        o.run_id,
        o.code.value if o.code else "",
        o.vendor_code,
        o.unknown_attempts,
    ]
    if records_found:
        row.append(o.records_found)
    row += (o.records_before, o.records_after, o.key_form.value if o.key_form else "")
    if ledger:
        row += [getattr(o, name) for name in ledger]
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
    requests: Sequence[Request] | None = None,
    paper: str = DEFAULT_PAPER,
    request_table: Table | None = None,
) -> Counted:
    """Write the .xlsx and the .csv, each atomically, mode 0600 (folder 0700 if new).

    Every sheet is set up to print on ``paper`` (``a4`` or ``letter``). Without
    ``requests``, a ``request_table`` made elsewhere (the handover copy's
    pseudonymised one) is the Requests sheet and its twin.
    With ``requests`` (``requests.derive_requests`` of the same lines), the
    workbook has a Requests sheet, the Summary speaks of requests first, and the
    Requests sheet's twin ``NAME.requests.csv`` is written too. Raises
    ``ReportError`` when a file cannot be written; an earlier file at the same
    path is then left as it was. ``lines`` and ``requests`` may be made as they are read
    (``core.reportlines``): each is read a few times, straight through, never held.
    Returns what was counted of them.
    """
    with spool_folder(xlsx_path.parent, xlsxwriter_prefix(xlsx_path)) as spool:
        kept = RowSpool(spool / "requests.rows")
        spools: list[CsvSpool | RowSpool] = [kept]
        try:
            told, table = None, request_table
            if requests is not None:
                # the requests are made once: counted, and each one's line kept for the
                # Requests sheet, its csv twin and the Register
                def passing() -> Iterator[Request]:
                    for r, row in request_rows(requests, input_columns, facts):
                        kept.add(row)
                        yield r

                told = tally(passing(), len(lines))
                made = requests_table(requests, input_columns, facts)
                table = replace(
                    made,
                    rows=Remade(
                        len(made.rows),
                        lambda: kept.read() if kept.rows == len(made.rows) else iter(made.rows),
                    ),
                )
            stats = line_stats(lines)
            _write(xlsx_path, csv_path, input_columns, lines, facts, stats, told, table, spool,
                   spools, title, notes, paper)  # fmt: skip
        except OSError as e:  # the spool, before atomic_write (which says its own)
            raise ReportError(
                f"cannot write {xlsx_path} ({e.strerror or e}); free some disk space or "
                f"choose another folder, {REWRITE_REPORT}"
            ) from e
        finally:
            for sp in spools:
                sp.close()
    return Counted(stats, told)


def _write(
    xlsx_path: Path,
    csv_path: Path,
    input_columns: Sequence[str],
    lines: Sequence[ReportLine],
    facts: RunFacts,
    stats: LineStats,
    told: RequestTally | None,
    table: Table | None,
    spool: Path,
    spools: list[CsvSpool | RowSpool],
    title: str,
    notes: Sequence[str],
    paper: str,
) -> None:
    """``write_report``'s files, once the lines and requests are counted (``stats``,
    ``told``) and ``table`` is the Requests sheet; spool files go in ``spool``."""
    records_found, source_sheet = stats.has_records_found, stats.has_sheet
    ledger = [c for c in LEDGER_COLUMNS if c in stats.ledger]
    header = report_columns(
        input_columns, records_found=records_found, source_sheet=source_sheet, ledger=ledger
    )
    width = len(input_columns)
    dues = told.dues if told is not None else {}

    def values(taken: Iterable[ReportLine]) -> Iterator[list[CellValue]]:
        due = dues.get
        for rl in taken:
            yield _values(rl, width, records_found, source_sheet, ledger, due(rl.line.index, ""))

    # the rows are made as the Rows sheet takes them, a chunk of lines at a time (their
    # csv twin spooled meanwhile): a million-line report is never held whole
    rows = Remade(len(lines), lambda: values(lines))
    # Needs attention: lines whose status needs it, or whose request's deadline does;
    # those of overdue requests first (most overdue first), then of requests due soon
    picked = sorted(set(stats.attention).union(told.flagged_lines() if told else ()))
    if told is not None:
        urgency = told.urgency
        picked.sort(key=lambda i: (*urgency(i), i))
    needing = Remade(len(picked), lambda: values(taking(lines, picked)))
    summary = summary_content(stats, facts, title, notes, told)
    rows_csv = CsvSpool(spool / "rows.csv", header)
    spools.append(rows_csv)
    twin: tuple[tuple[Path, Callable[[IO[bytes]], None]], ...] = ()
    sheet_table, register = table, None
    if table is not None:
        table_csv = CsvSpool(spool / "requests.csv", table.header)
        spools.append(table_csv)
        sheet_table = replace(table, rows=Remade.of(table.rows).teed(table_csv.add))
        register = register_table(table, coded=told.coded if told is not None else None)
        twin = ((requests_csv_path(xlsx_path), table_csv.writer(table.header, table.rows)),)
    # The workbook shows finished_at as a real date; the csv keeps the ISO text.
    atomic_write(
        (
            xlsx_path,
            lambda f: write_workbook(
                f,
                header,
                rows.teed(rows_csv.add),
                summary,
                ATTENTION,
                tmp_folder=spool,  # xlsxwriter's files beside the spooled ones
                requests=sheet_table,
                register=register,
                paper=paper,
                needing=needing,
            ),
        ),
        (csv_path, rows_csv.writer(header, rows)),
        *twin,
    )


@dataclass(frozen=True, slots=True)
class Counted:
    """What ``write_report`` counted on its way: the lines' ``LineStats``, and the
    requests' ``RequestTally`` (None without requests)."""

    lines: LineStats
    requests: RequestTally | None


# A due note an earlier report wrote (a retry reads its lines back): replaced, not repeated.
_DUE_NOTE = re.compile(r" \(request .* due \d{4}-\d{2}-\d{2}(?:, -?\d+ days left)?\)$")
