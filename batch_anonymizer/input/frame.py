"""From a grid to a frame: the header row, the column names, and numbered ``SourceRow``s.

Row numbers are the ones a person sees in a spreadsheet program: title rows
above the header and blank rows between the data still count.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..core.errors import InputError
from ..core.table import ColumnsBuilder, RowColumns, column_cells, row_places
from .cells import unique_names
from .grid import MAX_CELLS, MAX_COLUMNS, Grid, too_many_cells, too_many_columns
from .headers import names_key
from .transcend import pull_shape

HEADER_SEARCH_ROWS = 20

#: (sheet name, column names, data rows, blank rows skipped) of one sheet
Frame = tuple[str | None, list[str], RowColumns, int]


def _blank(row: Sequence[str]) -> bool:
    if row and row[0] and not row[0][0].isspace():
        return False  # the common case, without joining the row
    return not "".join(row).strip()


def _used(row: Sequence[str]) -> int:
    """Length of a row without its trailing empty cells (``a|b||`` has 2 used cells)."""
    n = len(row)
    while n and not row[n - 1].strip():
        n -= 1
    return n


def _find_header(grid: Grid) -> int | None:
    """0-based index of the header row: the first one with a header that plainly names a key
    column (``headers.names_key``: ``Email``, ``PERSONAL_EMAIL``, ``Mobile Phone Number``)
    or is a Transcend pull file's (``transcend``; its ``type`` cells say ``email``), else the
    first non-blank row; None when every row is blank."""
    first = None
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        if _blank(row):
            continue
        if first is None:
            first = i
        if any(names_key(c) for c in row) or pull_shape(row) is not None:
            return i
    if first is None:
        first = next((i for i, row in enumerate(grid) if not _blank(row)), None)
    return first


def header_index(path: Path, sheet: str | None, grid: Grid, header_row: int | None) -> int | None:
    """0-based index of the header row of ``grid``, or None when every row is blank.

    ``header_row`` (1-based, as a person counts) overrides detection; raises
    ``InputError`` when the grid is shorter than that.
    """
    if header_row is not None:
        h: int | None = header_row - 1
        if h is not None and h >= len(grid):
            where = f'sheet "{sheet}" of {path.name}' if sheet else path.name
            raise InputError(
                f"{where} has only {len(grid)} rows, so row {header_row} cannot be the header",
                path=str(path),
            )
    else:
        h = _find_header(grid)
    return h


def frame(path: Path, sheet: str | None, grid: Grid, h: int) -> Frame:
    """The frame of one sheet whose header is ``grid[h]``; the grid's rows are used up.

    Columns are as wide as the widest row (trailing empty cells aside), named
    by ``unique_names``; blank rows are counted, not kept; every row is padded
    to the width. The rows are kept as columns (``core.table.RowColumns``), built
    a batch at a time; each row of ``grid`` is emptied once taken, so a sheet is
    never held twice. Raises ``InputError`` for more columns than a sheet holds.
    """
    header = grid[h]
    end = len(grid)
    while end > h + 1 and _blank(grid[end - 1]):
        end -= 1  # formatted but empty rows at the bottom are not data
    where = f'sheet "{sheet}" of {path.name}' if sheet else path.name
    width = len(header)
    _check_size(path, grid, (h, end, h + 1), width, where)
    built = ColumnsBuilder(width)
    blank = 0
    used: list[str] = []
    numbers: list[int] = []
    rows: list[list[str]] = []
    for i in range(h + 1, end):
        row = grid[i]
        grid[i] = used
        if _blank(row):
            blank += 1
            continue
        if len(row) > width and _used(row) > width:
            built.add(sheet, numbers, rows)  # the rows so far, at the width they have
            numbers, rows = [], []
            width = _used(row)
            _check_size(path, grid, (h, end, i + 1), width, where)
            built.widen(width)
        if len(row) != width:
            row = row[:width] if len(row) > width else [*row, *([""] * (width - len(row)))]
        rows.append(row)
        numbers.append(i + 1)
        if len(rows) == _BATCH:
            built.add(sheet, numbers, rows)
            numbers, rows = [], []
    built.add(sheet, numbers, rows)
    columns = unique_names([*header, *([""] * (width - len(header)))])
    return sheet, columns, built.done(), blank


_BATCH = 65_536  # rows turned into columns at once


def _check_size(path: Path, grid: Grid, span: tuple[int, int, int], width: int, where: str) -> None:
    """Refuse a sheet wider, or of more cells, than the loader reads: checked when the
    width grows, with the widest row of those not yet taken (``span``: the header, the
    end, the first row not taken) so the message gives the sheet's own width."""
    h, end, rest = span
    if width <= MAX_COLUMNS and width * (end - h - 1) <= MAX_CELLS:
        return
    width = max([width, *(_used(grid[i]) for i in range(rest, end) if len(grid[i]) > width)])
    if width > MAX_COLUMNS:
        too_many_columns(path, width, where)
    too_many_cells(path, end, width, where)  # every row is padded to the widest


def join_sheets(parts: list[Frame]) -> tuple[list[str], RowColumns]:
    """The union of several sheets' columns, and every sheet's rows laid out on it, in order.

    Column names are matched ignoring case and keep the spelling first seen;
    a row has ``""`` in the columns its sheet lacks.
    """
    # Sheets are often typed by different people: "Email" and "email" are one column.
    union: dict[str, str] = {}
    for _, columns, _, _ in parts:
        for c in columns:
            union.setdefault(c.casefold(), c)
    names = list(union.values())
    pos = {c: i for i, c in enumerate(union)}
    merged = ColumnsBuilder(len(names))
    for sheet, columns, rows, _ in parts:
        at = {pos[c.casefold()]: j for j, c in enumerate(columns)}
        empty = [""] * len(rows)
        cells = [column_cells(rows, at[i]) if i in at else empty for i in range(len(names))]
        merged.add_columns(sheet, row_places(rows)[1], cells)
    return names, merged.done()
