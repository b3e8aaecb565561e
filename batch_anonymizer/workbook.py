"""The audit workbook's layout: writing and reading the .xlsx (openpyxl).

``report`` decides *what* the report says; this module decides how it looks:
a ``Summary`` sheet (headline, counts with a chart, run facts), ``Rows`` (every
line) and ``Needs attention`` (failed, invalid and pending lines). Sheets are
written in openpyxl's write-only mode, so a 100,000-line report streams to disk
instead of building a workbook in memory.

Text cells go through ``cellsafe``: never a formula, ``quotePrefix`` on values
a spreadsheet program could run, ``_xHHHH_`` for what XML cannot carry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .cellsafe import CELL_LIMIT, fit_cell, is_dangerous, xml_escape, xml_safe, xml_unescape

CellValue = str | int | datetime | None

SUMMARY, ROWS, ATTENTION = "Summary", "Rows", "Needs attention"
FACTS_HEADER = ("Run fact", "Value", "Field name (for scripts)")
DATE_FORMAT = 'yyyy-mm-dd hh:mm:ss "UTC"'
ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")

# (fill, font colour) per status: Excel's own good / bad / neutral palette.
STATUS_COLOURS = {
    "success": ("C6EFCE", "006100"),
    "failed": ("FFC7CE", "9C0006"),
    "invalid": ("D9D9D9", "3A3A3A"),
    "duplicate": ("D9D9D9", "3A3A3A"),
    "skipped": ("D9D9D9", "3A3A3A"),
    "pending": ("FFEB9C", "9C5700"),
    "ready": ("DDEBF7", "1F4E78"),
}
_MIN_WIDTH, _MAX_WIDTH, _WIDTH_SAMPLE = 8, 60, 2_000
_CHART_ROWS = 18


@dataclass(frozen=True, slots=True)
class SummaryContent:
    """What the Summary sheet says; ``report`` composes it."""

    title: str
    headline: str
    notes: tuple[str, ...]
    counts: tuple[tuple[str, int, str], ...]  # status, lines, meaning
    facts: tuple[tuple[str, str | int, str], ...]  # label, value, field name ("" = derived)


def _font(**attrs: Any) -> Any:
    # Named, so every program uses the workbook's body font, not its own default.
    return Font(**{"name": "Calibri", "size": 11, **attrs})


def parse_utc(text: str) -> datetime | None:
    """A naive UTC datetime for ``YYYY-MM-DDTHH:MM:SSZ``; None for any other text."""
    if not _ISO.match(text):
        return None
    try:
        return datetime.fromisoformat(text[:-1])
    except ValueError:
        return None


class _Styler:
    """Makes cells of one sheet; styles are built once and copied (fast for 100k rows)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._templates: dict[str, Any] = {}

    def define(self, name: str, **attrs: Any) -> None:
        cell = WriteOnlyCell(self.ws)
        for key, value in attrs.items():
            setattr(cell, key, value)
        self._templates[name] = cell

    def cell(self, value: CellValue, style: str = "") -> Any:
        """A cell holding ``value`` (text made safe), in the named style."""
        quote = False
        if isinstance(value, str):
            quote = is_dangerous(value)
            value = fit_cell(xml_escape(value))
        cell = WriteOnlyCell(self.ws, value)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever the text starts with
        if style:
            cell._style = copy(self._templates[style]._style)
        if quote:
            cell.quotePrefix = True
        return cell

    def plain(self, value: CellValue) -> Any:
        """``value`` itself when openpyxl can take it as is, else a safe cell."""
        if value == "":
            return None  # no cell at all: smaller and faster; reads back as ""
        if isinstance(value, str) and (
            is_dangerous(value) or len(value) > CELL_LIMIT or not xml_safe(value)
        ):
            return self.cell(value)
        return value


def _status_styles(st: _Styler) -> None:
    for status, (fill, font) in STATUS_COLOURS.items():
        st.define(
            status, fill=PatternFill("solid", start_color=fill), font=_font(color=font, bold=True)
        )
    st.define("date", number_format=DATE_FORMAT)
    st.define("header", font=_font(bold=True), fill=PatternFill("solid", start_color="F2F2F2"))


def _widths(header: Sequence[str], rows: Sequence[Sequence[CellValue]]) -> list[float]:
    widest = [len(h) for h in header]
    for row in rows[:_WIDTH_SAMPLE]:
        for i, v in enumerate(row):
            if isinstance(v, str):
                n = max(len(part) for part in v.split("\n"))
            elif isinstance(v, datetime):
                n = 24  # yyyy-mm-dd hh:mm:ss UTC, or Excel shows ####
            else:
                continue
            if n > widest[i]:
                widest[i] = n
    return [min(max(w + 2, _MIN_WIDTH), _MAX_WIDTH) for w in widest]


def _printable(ws: Any) -> None:
    """Landscape, as wide as one page: the way compliance prints or saves it as PDF."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _table_sheet(
    wb: Any,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[CellValue]],
    widths: Sequence[float],
    status_col: int,
    date_col: int,
) -> None:
    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    _printable(ws)
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    st = _Styler(ws)
    _status_styles(st)
    ws.append([st.cell(h, "header") for h in header])
    n = 0
    for row in rows:
        out = [st.plain(v) for v in row]
        status = row[status_col]
        if isinstance(status, str) and status in STATUS_COLOURS:
            out[status_col] = st.cell(status, status)
        when = row[date_col]
        if isinstance(when, datetime):
            out[date_col] = st.cell(when, "date")
        ws.append(out)
        n += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{n + 1}"


def _summary_sheet(wb: Any, s: SummaryContent) -> None:
    ws = wb.create_sheet(SUMMARY)
    _printable(ws)
    for col, width in zip("ABC", (34, 68, 72), strict=True):
        ws.column_dimensions[col].width = width
    st = _Styler(ws)
    _status_styles(st)
    st.define("title", font=_font(bold=True, size=16))
    st.define("headline", font=_font(bold=True, size=12))
    st.define("section", font=_font(bold=True, size=12))
    st.define("wrap", alignment=Alignment(wrap_text=True, vertical="top"))
    st.define("number", number_format="#,##0", alignment=Alignment(horizontal="left"))
    st.define("grey", font=_font(color="808080"))

    ws.append([st.cell(s.title, "title")])
    ws.append([st.cell(s.headline, "headline")])
    for note in s.notes:
        ws.append([st.cell(note)])
    ws.append([])
    ws.append([st.cell("Lines per status", "section")])
    ws.append([st.cell(h, "header") for h in ("Status", "Lines", "Meaning")])
    first = 5 + len(s.notes) + 1
    for status, count, meaning in s.counts:
        style = status if status in STATUS_COLOURS else ""
        ws.append([st.cell(status, style), st.cell(count, "number"), st.cell(meaning)])
    total = sum(c for _, c, _ in s.counts)
    ws.append([st.cell("total", "header"), st.cell(total, "number")])
    last = first + len(s.counts) - 1

    chart = BarChart()
    chart.type = "bar"
    chart.title = "Lines per status"
    chart.legend = None
    chart.height, chart.width = 7.5, 15
    chart.y_axis.title = "lines"
    chart.x_axis.scaling.orientation = "maxMin"  # same top-to-bottom order as the table
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.add_data(Reference(ws, min_col=2, min_row=first, max_row=last), titles_from_data=False)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    ws.add_chart(chart, f"A{last + 3}")
    for _ in range(_CHART_ROWS):  # room for the chart, which floats over these rows
        ws.append([])
    ws.append([st.cell("Run facts (times are UTC)", "section")])
    ws.append([st.cell(h, "header") for h in FACTS_HEADER])
    for label, value, key in s.facts:
        shown = st.cell(value, "number") if isinstance(value, int) else st.cell(value, "wrap")
        ws.append([st.cell(label), shown, st.cell(key, "grey") if key else None])


def write_workbook(
    out: IO[bytes],
    header: Sequence[str],
    rows: Sequence[Sequence[CellValue]],
    summary: SummaryContent,
    attention: frozenset[str],
) -> None:
    """Write the workbook to ``out``: Summary, Rows, Needs attention."""
    status_col, date_col = header.index("status"), header.index("finished_at")
    wb = Workbook(write_only=True)
    widths = _widths(header, rows)
    _summary_sheet(wb, summary)
    _table_sheet(wb, ROWS, header, rows, widths, status_col, date_col)
    needing = (r for r in rows if r[status_col] in attention)
    _table_sheet(wb, ATTENTION, header, needing, widths, status_col, date_col)
    wb.save(out)


def _text(value: object) -> str:
    """A cell's value as the text the tool wrote."""
    if value is None:
        return ""
    if isinstance(value, str):
        return xml_unescape(value)
    if isinstance(value, datetime):
        # Excel stores times as fractions of a day: round back to the second written.
        return (value + timedelta(microseconds=500_000)).strftime(ISO_FORMAT)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_workbook(path: Path) -> tuple[dict[str, str], list[str], list[list[str]]]:
    """Facts of the Summary sheet, header and rows of the Rows sheet, all as text.

    Raises ``KeyError`` when the workbook has no Rows sheet.
    """
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        if ROWS not in wb.sheetnames:
            raise KeyError(ROWS)
        facts: dict[str, str] = {}
        if SUMMARY in wb.sheetnames:
            in_facts = False
            for raw in wb[SUMMARY].iter_rows(max_col=3, values_only=True):
                cells = [_text(v) for v in raw] + ["", "", ""]
                if in_facts and cells[2]:
                    facts[cells[2]] = cells[1]
                elif tuple(cells[:3]) == FACTS_HEADER:
                    in_facts = True
        it = wb[ROWS].iter_rows(values_only=True)
        header = [_text(v) for v in next(it, ())]
        width = len(header)
        rows = []
        for raw in it:
            row = [_text(v) for v in raw[:width]]
            if any(row):
                rows.append(row + [""] * (width - len(row)))
        return facts, header, rows
    finally:
        wb.close()
