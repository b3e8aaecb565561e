"""How far the cells of an .ods reach, read from its ``content.xml`` before calamine opens it.

calamine reads every sheet of an .ods when it opens the file. A row or a
cell may say it repeats (``table:number-rows-repeated="1048576"``,
``table:number-columns-repeated="16384"``): a few bytes can stand for
billions of cells. Empty repeats are what office programs write after the
data and cost nothing; repeated cells holding a value are built one by one.
So, per sheet (``table:table``), the last row and column holding a value
count, and every valued cell with its repeats; the largest sheet is the
answer. A cell holds a value when it has a value type or any child element
(an upper bound: an empty ``<text:p/>`` counts too).
"""

from __future__ import annotations

import xml.parsers.expat
from collections.abc import Iterable

from .sheetscan import Extent, Limits, NotWellFormed

_TABLE = "table:table"
_ROW = "table:table-row"
_CELLS = ("table:table-cell", "table:covered-table-cell")


class _Stop(Exception):
    pass


def _repeat(attrs: dict[str, str], name: str) -> int:
    text = attrs.get(name, "1").strip()
    return int(text) if text.isdigit() and len(text) < 12 else 1


class _Sheet:
    def __init__(self) -> None:
        self.rows = 0  # rows so far, repeats included
        self.last_row = 0  # 1-based, of the last row holding a value
        self.last_col = 0
        self.cells = 0


def scan_content(chunks: Iterable[bytes], limits: Limits) -> Extent:
    """The extent of the largest sheet of ``content.xml``; stops at the first limit passed.

    Raises ``NotWellFormed`` when the XML cannot be read.
    """
    parser = xml.parsers.expat.ParserCreate()
    best = Extent(0, 0, 0)
    sheet = _Sheet()
    row_repeat = col = 0
    row_valued = False
    cell: list[int] = []  # [columns repeated, holds a value] of the open cell
    depth_in_cell = 0

    def extent() -> Extent:
        return Extent(sheet.last_row, sheet.last_col, sheet.cells)

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal sheet, row_repeat, col, row_valued, depth_in_cell
        if cell:
            depth_in_cell += 1
            cell[1] = 1
            return
        if name == _TABLE:
            sheet = _Sheet()
        elif name == _ROW:
            row_repeat, col, row_valued = _repeat(attrs, "table:number-rows-repeated"), 0, False
        elif name in _CELLS:
            valued = any(k.endswith(":value-type") for k in attrs)
            cell[:] = [_repeat(attrs, "table:number-columns-repeated"), int(valued)]

    def end(name: str) -> None:
        nonlocal best, col, row_valued, depth_in_cell
        if cell and depth_in_cell:
            depth_in_cell -= 1
            return
        if cell and name in _CELLS:
            repeat, valued = cell
            cell.clear()
            col += repeat
            if valued:
                row_valued = True
                sheet.last_col = max(sheet.last_col, col)
                sheet.cells += repeat * max(row_repeat, 1)
        elif name == _ROW:
            sheet.rows += max(row_repeat, 1)
            if row_valued:
                sheet.last_row = sheet.rows
        elif name == _TABLE:
            e = extent()
            if e.rows * e.columns >= best.rows * best.columns:
                best = e
        if extent().beyond(limits):
            raise _Stop

    def doctype(*_: object) -> None:
        raise NotWellFormed("it declares a DOCTYPE, which a spreadsheet never does")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = doctype
    try:
        for data in chunks:
            parser.Parse(data, False)
        parser.Parse(b"", True)
    except _Stop:
        e = extent()
        return Extent(e.rows, e.columns, e.cells, stopped=True)
    except xml.parsers.expat.ExpatError as e:
        raise NotWellFormed(f"line {e.lineno}: {xml.parsers.expat.ErrorString(e.code)}") from None
    return best
