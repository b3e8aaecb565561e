"""Reading the audit workbook back (openpyxl, read-only): facts, header and every line.

The reverse of ``workbook``: cells as the text the tool wrote (``_xHHHH_``
escapes decoded, dates back to their ISO text), the lines of ``Rows`` and of
its continuation sheets ``Rows (2)``, ``Rows (3)``, … in that order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.timefmt import ISO_FORMAT
from .cellsafe import xml_unescape
from .limits import sheet_names
from .summary_sheet import FACTS_HEADER, SUMMARY
from .workbook import ROWS

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook


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


def _open(path: Path) -> Workbook:
    """The workbook at ``path``, read-only, cached values.

    openpyxl (and the numpy and PIL it brings) is imported here, not at the top: a
    command that never reads a workbook back, such as a run from a CSV, starts faster.
    """
    from openpyxl import load_workbook

    return load_workbook(path, read_only=True, data_only=True)


def read_workbook(path: Path) -> tuple[dict[str, str], list[str], list[list[str]]]:
    """Facts of the Summary sheet, header and rows of the Rows sheets, all as text.

    The rows of ``Rows``, ``Rows (2)``, … in that order. Raises ``KeyError``
    when the workbook has no Rows sheet, ``ValueError`` when its continuation
    sheets are not numbered one after the other or do not share its header.
    """
    wb = _open(path)
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
        header: list[str] = []
        rows: list[list[str]] = []
        for n, name in enumerate(_continued(wb.sheetnames, ROWS)):
            it = wb[name].iter_rows(values_only=True)
            top = [_text(v) for v in next(it, ())]
            if n == 0:
                header = top
            elif top != header:
                raise ValueError(
                    f'sheet "{name}" does not have the header of "{ROWS}"; it was edited'
                )
            width = len(header)
            for raw in it:
                row = [_text(v) for v in raw[:width]]
                if any(row):
                    rows.append(row + [""] * (width - len(row)))
        return facts, header, rows
    finally:
        wb.close()


def read_table(
    path: Path, title: str, days: Sequence[str] = ()
) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the sheet ``title`` and its continuation sheets, all as text.

    Date cells of the columns named in ``days`` read as ``yyyy-mm-dd`` (the
    csv's form); other date cells as UTC times. Raises ``KeyError`` when the
    workbook has no such sheet.
    """
    wb = _open(path)
    try:
        if title not in wb.sheetnames:
            raise KeyError(title)
        header: list[str] = []
        rows: list[list[str]] = []
        for n, name in enumerate(_continued(wb.sheetnames, title)):
            it = wb[name].iter_rows(values_only=True)
            top = [_text(v) for v in next(it, ())]
            if n == 0:
                header = top
            elif top != header:
                raise ValueError(f'sheet "{name}" does not have the header of "{title}"')
            day = [h in days for h in header]
            for raw in it:
                row = [
                    v.date().isoformat() if day[i] and isinstance(v, datetime) else _text(v)
                    for i, v in enumerate(raw[: len(header)])
                ]
                if any(row):
                    rows.append(row + [""] * (len(header) - len(row)))
        return header, rows
    finally:
        wb.close()


def _continued(names: Sequence[str], title: str) -> list[str]:
    """``title`` and its continuation sheets in order; refuses a gap in their numbers."""
    numbers = sorted(
        int(m[1]) for name in names if (m := re.fullmatch(re.escape(title) + r" \((\d+)\)", name))
    )
    if numbers != list(range(2, len(numbers) + 2)):
        raise ValueError(
            f'the sheets continuing "{title}" are not numbered (2), (3), … one after the '
            "other; sheets were removed or renamed"
        )
    return sheet_names(title, len(numbers) + 1)
