"""The audit workbook's layout: writing the .xlsx (xlsxwriter) and reading it back (openpyxl).

``report`` decides *what* the report says; this module decides how it looks:
a ``Summary`` sheet (headline, counts with charts, run facts), ``Requests``
(one line per erasure request, when the report has them), ``Rows`` (every
line) and ``Needs attention`` (failed, invalid and pending lines, those of
overdue requests first). A sheet holds
``limits.MAX_ROWS`` rows: more lines continue on ``Rows (2)``, ``Rows (3)``, …
(and ``Needs attention (2)``, …) under the same header; ``readback`` reads them
all, in order. Every write's return code is checked: xlsxwriter answers a cell
outside the sheet with -1 instead of raising, and no cell may go missing
silently. Sheets are
written by xlsxwriter in ``constant_memory`` mode: each row goes to disk as soon
as the next one starts, so a 100,000-line report never sits in memory, and the
cells are written about three times as fast as openpyxl's write-only mode.

Text cells are always written with ``write_string`` (never a formula, whatever
the text starts with), marked ``quotePrefix`` when a spreadsheet program could
run them, and escaped by ``cellsafe.xml_escape`` (``_xHHHH_`` for what XML
cannot carry). ``readback.read_workbook`` reverses that escape.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import IO, Any

from xlsxwriter import Workbook
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.worksheet import Worksheet

from ..core.errors import ReportError
from ..core.timefmt import parse_iso
from . import limits
from .cellsafe import (
    CELL_LIMIT,
    DANGEROUS_PREFIXES,
    fit_cell,
    is_dangerous,
    xml_escape,
)
from .pagesetup import DEFAULT_PAPER, column_widths, set_up_page, wrapped_lines
from .sink import Sink
from .styles import COLOURS, STATUS_COLOURS, STYLES
from .summary_sheet import SummaryContent, write_summary_sheet

CellValue = str | int | datetime | date | None

REQUESTS, ROWS, ATTENTION = "Requests", "Rows", "Needs attention"
#: The print-only sheet of the Requests sheet's key columns (``requests_sheet.register_table``).
REGISTER = "Register"
#: The start of the name of xlsxwriter's temporary folder beside a report.
TMP_PREFIX = ".xlsxwriter."
#: Columns whose text wraps in its cell (``pagesetup.column_widths`` caps their width).
WRAPPED = ("message",)


@dataclass(frozen=True, slots=True)
class Table:
    """A sheet of lines under a header: ``coloured`` columns show their values in colour,
    ``when`` is the column of ISO times shown as dates (UTC); the text of ``wrapped``
    columns wraps."""

    header: tuple[str, ...]
    rows: Sequence[Sequence[CellValue]]
    coloured: tuple[str, ...]
    when: str
    wrapped: tuple[str, ...] = ()


def _sheet_escape(text: str) -> str:
    """The text of an inline-string cell as it goes into the sheet's XML.

    xlsxwriter calls this for every text cell (``constant_memory`` mode), in
    place of its own escape, which misses lone surrogates and whitespace-only
    text. Its next step writes any text of the form ``<r>...</r>`` into the XML
    as it stands (it takes it for rich text it made itself): escaping the first
    ``<`` keeps text from outside from ever becoming markup, formulas included.
    """
    text = xml_escape(text)
    if text.startswith("<r>") and text.endswith("</r>"):
        text = "_x003C_" + text[1:]
    return text


def check_writer() -> None:
    """Refuse (before anything is sent) if xlsxwriter lost the hook ``_SafeSheet`` uses.

    The hook is private to xlsxwriter; tests/test_report.py proves that it is
    still called, and this check stops a run whose xlsxwriter renamed it.
    """
    if not callable(getattr(Worksheet, "_escape_control_characters", None)):
        import xlsxwriter

        raise ReportError(
            f"xlsxwriter {xlsxwriter.__version__} changed an internal that keeps report cells "
            'inert; install the tested version (pip install "xlsxwriter>=3.1,<4") and '
            "run again; nothing was sent"
        )


# Subclassing Any: xlsxwriter ships no type information.
class _SafeSheet(Worksheet):  # type: ignore[misc]
    """A worksheet whose text cells are escaped by ``_sheet_escape``."""

    _escape_control_characters = staticmethod(_sheet_escape)


class _Writer:
    """One workbook's sheets and formats; each format is made once and reused."""

    def __init__(self, wb: Any, paper: str = DEFAULT_PAPER) -> None:
        self.wb = wb
        self.paper = paper
        self._formats: dict[tuple[str, bool], Any] = {}

    def fmt(self, style: str, quote: bool = False) -> Any:
        """The format named ``style``; ``quote``: marked as text (``quotePrefix``)."""
        f = self._formats.get((style, quote))
        if f is None:
            props = {**STYLES[style], "quote_prefix": True} if quote else STYLES[style]
            f = self._formats[style, quote] = self.wb.add_format(props) if props else None
        return f

    def sheet(self, title: str, *, table: bool = False) -> Any:
        """A new worksheet (its page is set up by ``pagesetup.set_up_page`` once written)."""
        ws = self.wb.add_worksheet(title, worksheet_class=_SafeSheet)
        if table:
            # xlsxwriter refuses cells past its own limits; make them ours, so that a
            # test's lowered limits are enforced by xlsxwriter exactly like the real ones.
            ws.xls_rowmax, ws.xls_colmax = limits.MAX_ROWS, limits.MAX_COLUMNS
        return ws

    def put(self, ws: Any, row: int, col: int, value: CellValue, style: str = "") -> None:
        """One cell: text never as a formula, a number, or a date."""
        rc = 0
        if isinstance(value, str):
            quote = is_dangerous(value)
            fmt = self.fmt(style, quote)
            if value or fmt is not None:
                rc = ws.write_string(row, col, fit_cell(value), fmt)
        elif isinstance(value, datetime):
            rc = ws.write_datetime(row, col, value, self.fmt(style or "date"))
        elif value is not None:
            rc = ws.write_number(row, col, value, self.fmt(style))
        if rc:
            _refused(ws, row, col)


def _refused(ws: Any, row: int, col: int) -> None:
    """A cell xlsxwriter did not write (it returns -1 or -2 instead of raising)."""
    raise ReportError(
        f"the workbook writer refused cell {limits.cell_name(row, col)} of sheet {ws.name!r} "
        f"(a sheet holds {limits.MAX_ROWS:,} rows and {limits.MAX_COLUMNS:,} columns), so "
        "the workbook "
        "would lack a line; nothing was kept of it. Write the report again with "
        "`batch-anonymizer report JOURNAL --report NEW.xlsx`, and report this as a bug"
    )


def _table_sheet(
    w: _Writer,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[CellValue]],
    widths: Sequence[float],
    coloured: Sequence[int],
    date_col: int,
    wrapped: Sequence[int] = (),
) -> int:
    """One sheet of a table: the header, then ``rows``; returns how many were written.

    The values of the ``coloured`` columns are shown in their colours, the text of
    the ``wrapped`` columns wraps."""
    ws = w.sheet(title, table=True)
    ws.freeze_panes(1, 0)
    for i, width in enumerate(widths):
        ws.set_column(i, i, width)
    for c, h in enumerate(header):
        w.put(ws, 0, c, h, "header")
    palette = {value: w.fmt(value) for value in COLOURS}
    in_colour = [c in coloured for c in range(len(header))]
    date_fmt, day_fmt, number = w.fmt("cell_date"), w.fmt("cell_day"), w.fmt("cell_number")
    rtl = w.fmt("cell_number")  # right-aligned, a character's space from the next column
    # per column: the format of its plain text, and of text marked as text (quotePrefix)
    top = w.fmt("top") if wrapped else None  # a row that may be tall: its text at the top
    plain = [w.fmt("wrap") if c in wrapped else top for c in range(len(header))]
    quoted = [w.fmt("wrap" if c in wrapped else "", quote=True) for c in range(len(header))]
    dates: dict[str, datetime | None] = {}  # most lines share a few finishing seconds
    write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime
    r = 0
    # The inner loop of a 100,000-line report: the common cases first, no calls
    # beyond xlsxwriter's own (the same test as cellsafe.is_dangerous, inlined).
    # A write that returns non-zero was refused (outside the sheet): never silent.
    # a wrapped cell's row is made as tall as its lines: neither LibreOffice nor every
    # Excel grows a row written without a height, and the text would be cut
    per_line = [(c, max(int(widths[c]) - 1, 1)) for c in wrapped]
    # xlsxwriter keeps every set_row's height for good (for images it never has here): a
    # row's is dropped once the row is on disk (constant_memory writes row r - 1 when row r
    # starts), or a million tall rows hold ~200 MB
    heights = [getattr(ws, name, {}) for name in ("row_info", "row_sizes")]
    for row in rows:
        r += 1
        if per_line:
            lines = max(wrapped_lines(row[c], n) for c, n in per_line)
            if lines > 1:
                ws.set_row(r, 15 * lines)
            for kept in heights:
                kept.pop(r - 2, None)
        for c, v in enumerate(row):
            if isinstance(v, str):
                if not v:
                    continue  # no cell at all: smaller and faster; reads back as ""
                if in_colour[c] and v in palette:
                    if write_string(r, c, v, palette[v]):
                        _refused(ws, r, c)
                    continue
                if c == date_col:
                    when = dates.get(v)
                    if when is None and v not in dates:
                        when = dates[v] = parse_iso(v)
                    if when is not None:
                        if write_datetime(r, c, when, date_fmt):
                            _refused(ws, r, c)
                        continue
                if len(v) > CELL_LIMIT // 2:  # may be too long in UTF-16 units
                    v = fit_cell(v)
                if v.startswith(DANGEROUS_PREFIXES):
                    f = quoted[c]
                elif "\u0590" <= v[0] <= "\u08ff" and plain[c] is None:
                    f = rtl  # Hebrew, Arabic...: shown from the right, kept off the next column
                else:
                    f = plain[c]
                if write_string(r, c, v, f):
                    _refused(ws, r, c)
            elif v is None:
                continue
            elif isinstance(v, date):
                if write_datetime(r, c, v, date_fmt if isinstance(v, datetime) else day_fmt):
                    _refused(ws, r, c)
            elif write_number(r, c, v, number):
                _refused(ws, r, c)
    ws.autofilter(0, 0, r, len(header) - 1)
    set_up_page(ws, widths, r, w.paper)
    return r


def _table_sheets(
    w: _Writer,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[CellValue]],
    widths: Sequence[float],
    coloured: Sequence[int],
    date_col: int,
    wrapped: Sequence[int] = (),
) -> None:
    """A table on as many sheets as it needs, ``limits.lines_per_sheet()`` lines each,
    ``rows`` read once, straight through (a report's rows are made as they are read)."""
    per = limits.lines_per_sheet()
    them = iter(rows)
    for name in limits.sheet_names(title, limits.sheets_needed(len(rows))):
        _table_sheet(w, name, header, islice(them, per), widths, coloured, date_col, wrapped)


def write_workbook(
    out: IO[bytes],
    header: Sequence[str],
    rows: Sequence[Sequence[CellValue]],
    summary: SummaryContent,
    attention: frozenset[str],
    *,
    tmpdir: Path | None = None,
    tmp_prefix: str = TMP_PREFIX,
    requests: Table | None = None,
    urgency: Sequence[tuple[int, int]] | None = None,
    also: frozenset[int] = frozenset(),
    register: Table | None = None,
    paper: str = DEFAULT_PAPER,
    needing: Sequence[Sequence[CellValue]] | None = None,
    tmp_folder: Path | None = None,
) -> None:
    """Write the workbook to ``out``: Summary, Requests and Register (when given), Rows,
    Needs attention (each on more sheets when it needs them), every sheet set up to
    print on ``paper`` (``pagesetup``).

    ``urgency`` gives each line a sort key for Needs attention (the lines of
    overdue requests first); without it, the lines keep their order. ``also``
    names lines (by index) listed there whatever their status: those of requests
    whose deadline needs a look. ``needing``: the Needs attention lines, when the caller
    picked them (``rows`` are then read only to write them).
    A ``finished_at`` text in the ISO form is shown as a date. xlsxwriter keeps
    each sheet in temporary files until the end: they go in a private (0700)
    folder ``<tmp_prefix><random>`` made inside ``tmpdir`` (the report's own
    folder, so the keys they hold stay there) and removed afterwards, or in
    ``tmp_folder``, such a folder the caller made (and removes). Raises
    ``OSError`` when writing fails, ``ReportError`` when the table is wider than
    a sheet or a cell is refused.
    """
    limits.check_width(len(header), "the report was not written")
    status_col, date_col = header.index("status"), header.index("finished_at")
    if needing is not None:
        pass
    elif urgency is None and not also:
        needing = [r for r in rows if r[status_col] in attention]
    else:
        picked = [i for i, r in enumerate(rows) if r[status_col] in attention or i in also]
        if urgency is not None:
            picked.sort(key=lambda i: (*urgency[i], i))
        needing = [rows[i] for i in picked]
    tables = [(REQUESTS, len(requests.rows))] if requests is not None else []
    if register is not None:
        tables.append((REGISTER, len(register.rows)))
    split = [
        f"{title} continues on " + ", ".join(names[1:])
        for title, count in (*tables, (ROWS, len(rows)), (ATTENTION, len(needing)))
        if len(names := limits.sheet_names(title, limits.sheets_needed(count))) > 1
    ]
    if split:
        note = (
            "; ".join(split)
            + f", under the same header: a sheet holds {limits.lines_per_sheet():,} "
            "lines. The .csv holds every line in one file."
        )
        summary = replace(summary, notes=(*summary.notes, note))
    sink = Sink(out)
    private = (
        contextlib.nullcontext(str(tmp_folder))
        if tmp_folder is not None
        else tempfile.TemporaryDirectory(prefix=tmp_prefix, dir=tmpdir)
    )
    with private as tmp, _detached(sink):
        wb = Workbook(
            sink,
            {
                "constant_memory": True,
                "tmpdir": tmp,
                # write_string is used for all text anyway; these make sure
                # nothing else ever turns text into a formula, number or link.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        w = _Writer(wb, paper)
        wrapped = [header.index(c) for c in WRAPPED if c in header]
        widths = column_widths(header, rows, date_col, wrapped)
        write_summary_sheet(w, summary, frozenset(STATUS_COLOURS), frozenset(COLOURS))
        if requests is not None:
            _requests_sheets(w, REQUESTS, requests)
        if register is not None:
            _requests_sheets(w, REGISTER, register)
        _table_sheets(w, ROWS, header, rows, widths, (status_col,), date_col, wrapped)
        _table_sheets(w, ATTENTION, header, needing, widths, (status_col,), date_col, wrapped)
        try:
            wb.close()
        except FileCreateError as e:  # xlsxwriter wraps the OSError; the caller expects it
            cause = e.args[0] if e.args and isinstance(e.args[0], OSError) else OSError(str(e))
            raise cause from e


def _requests_sheets(w: _Writer, title: str, t: Table) -> None:
    limits.check_width(len(t.header), "the report was not written")
    when = t.header.index(t.when) if t.when in t.header else -1
    coloured = tuple(t.header.index(c) for c in t.coloured if c in t.header)
    wrapped = tuple(t.header.index(c) for c in t.wrapped if c in t.header)
    widths = column_widths(t.header, t.rows, when, wrapped)
    _table_sheets(w, title, t.header, t.rows, widths, coloured, when, wrapped)


@contextlib.contextmanager
def _detached(sink: Sink) -> Iterator[None]:
    try:
        yield
    finally:
        sink.detach()
