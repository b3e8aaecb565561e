"""The Summary sheet's layout: headline, count tables with bar charts, run facts.

``summary`` decides what the Summary says (``SummaryContent``); this module
lays it out through the workbook's writer (``workbook._Writer``: its ``put``
keeps every cell as safe as the others): the title and headline, the notes,
the requests per outcome and per deadline status (when the report has
requests) with their charts side by side, the lines per status with theirs,
then the run facts, whose third column names each fact for scripts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .pagesetup import set_up_page

SUMMARY = "Summary"
FACTS_HEADER = ("Run fact", "Value", "Field name (for scripts)")
_CHART_ROWS = 18
_CHART_SIZE = {"width": 500, "height": 283}  # two side by side within the three columns
_WIDTHS = (28, 58, 60)
_LINE_CHARS = 140  # characters of a wrapped paragraph per line, across the three columns


@dataclass(frozen=True, slots=True)
class CountTable:
    """A titled table of (value, count, meaning) rows; ``chart``: the chart's title."""

    title: str
    header: tuple[str, str, str]
    counts: tuple[tuple[str, int, str], ...]
    chart: str
    axis: str  # what the counts are, under the chart's value axis


@dataclass(frozen=True, slots=True)
class SummaryContent:
    """What the Summary sheet says; ``report`` composes it.

    ``tables`` (requests per outcome, per deadline status) come before the
    lines per status, their charts side by side under them.
    """

    title: str
    headline: str
    notes: tuple[str, ...]
    counts: tuple[tuple[str, int, str], ...]  # status, lines, meaning
    facts: tuple[tuple[str, str | int, str], ...]  # label, value, field name ("" = derived)
    tables: tuple[CountTable, ...] = ()
    subline: str = ""  # a second headline under the first (the keys, under the requests)


def write_summary_sheet(
    w: Any, s: SummaryContent, status_styles: frozenset[str], value_styles: frozenset[str]
) -> None:
    """The Summary sheet of ``s``, through the workbook writer ``w``.

    Statuses in ``status_styles`` and values in ``value_styles`` (outcomes,
    deadline statuses) are shown in the style of their own name (their colour).
    """
    ws = w.sheet(SUMMARY)
    for col, width in enumerate(_WIDTHS):
        ws.set_column(col, col, width)
    r = 0

    def line(*cells: tuple[Any, str]) -> None:
        nonlocal r
        for c, (value, style) in enumerate(cells):
            w.put(ws, r, c, value, style)
        r += 1

    def paragraph(text: str, style: str) -> None:
        # across the three columns, wrapped: the page shows it whole, not cut at column C
        nonlocal r
        lines = sum(max(1, -(-len(part) // _LINE_CHARS)) for part in text.split("\n"))
        ws.set_row(r, (16 if style == "headline_wrap" else 15) * lines)
        ws.merge_range(r, 0, r, len(_WIDTHS) - 1, "", w.fmt(style))
        w.put(ws, r, 0, text, style)
        r += 1

    line((s.title, "title"))
    paragraph(s.headline, "headline_wrap")
    if s.subline:
        paragraph(s.subline, "headline_wrap")
    for note in s.notes:
        paragraph(note, "wrap")
    r += 1
    charts = []
    for table in s.tables:
        first, last, r = _count_table(w, ws, r, table, value_styles)
        charts.append(_chart(w.wb, first, last, table))
        r += 1
    for n, chart in enumerate(charts):  # side by side, under their tables
        ws.insert_chart(r, 0, chart, {"x_offset": n * (_CHART_SIZE["width"] + 16)})
    if charts:
        r += _CHART_ROWS
    lines = CountTable(
        "Lines per status", ("Status", "Lines", "Meaning"), s.counts, "Lines per status", "lines"
    )
    first, last, r = _count_table(w, ws, r, lines, status_styles)
    ws.insert_chart(r + 1, 0, _chart(w.wb, first, last, lines))
    r += _CHART_ROWS  # room for the chart, which floats over these rows
    line(("Run facts (times are UTC)", "section"))
    line(*((h, "header") for h in FACTS_HEADER))
    for label, value, key in s.facts:
        shown = "number" if isinstance(value, int) else "wrap"
        line((label, ""), (value, shown), (key or None, "grey"))
    set_up_page(ws, _WIDTHS, r - 1, w.paper)


def _count_table(
    w: Any, ws: Any, row: int, table: CountTable, styled: frozenset[str]
) -> tuple[int, int, int]:
    """Write ``table`` from ``row``; return (first count row, last count row, the row after
    its total)."""
    w.put(ws, row, 0, table.title, "section")
    row += 1
    for c, h in enumerate(table.header):
        w.put(ws, row, c, h, "header")
    row += 1
    first = row
    for value, count, meaning in table.counts:
        w.put(ws, row, 0, value, value if value in styled else "")
        w.put(ws, row, 1, count, "number")
        if len(meaning) > _WIDTHS[2] - 2:  # wrapped within the page, its row as tall
            ws.set_row(row, 15 * -(-len(meaning) // (_WIDTHS[2] - 2)))
        w.put(ws, row, 2, meaning, "wrap")
        row += 1
    w.put(ws, row, 0, "total", "header")
    w.put(ws, row, 1, sum(c for _, c, _ in table.counts), "number")
    return first, row - 1, row + 1


def _chart(wb: Any, first: int, last: int, table: CountTable) -> Any:
    """A bar chart of the counts of ``table``, written on rows ``first`` to ``last``."""
    chart = wb.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": table.header[1],
            "categories": [SUMMARY, first, 0, last, 0],
            "values": [SUMMARY, first, 1, last, 1],
        }
    )
    chart.set_title({"name": table.chart})
    chart.set_legend({"none": True})
    chart.set_x_axis({"name": table.axis})  # in a bar chart, x is the value axis
    chart.set_y_axis({"reverse": True})  # same top-to-bottom order as the table
    chart.set_size(_CHART_SIZE)
    return chart
