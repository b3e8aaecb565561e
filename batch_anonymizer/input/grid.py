"""A sheet as read, before framing: rows of text cells, and the most the loader reads.

The text reader, the workbook reader, the workbook checks and the framer share
these, so each limit and its message live in one place. The limits of a
worksheet (rows, columns) are Excel's; the others bound what one load may
cost, whatever a file claims:

- ``MAX_CELLS``: a sheet is built as a grid from A1 to its last used row and
  column, empty cells included (calamine builds every one of them, about 50
  bytes each with the Python lists: 24 million cells peaked at 1.05 GB, measured).
  A single stray cell at ``ZZ1000000`` would otherwise make a 2 KB file cost
  702 million cells (24 GB).
- ``MAX_TEXT_BYTES``: delimited text is read whole; memory is about ten times
  the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableSequence
from pathlib import Path
from typing import cast, overload

from ..core.errors import InputError

#: A sheet's rows as read: a list of rows, or the lines of quote-free text (``SplitLines``)
Grid = MutableSequence[list[str]]

MAX_ROWS = 1_048_576  # the most rows a worksheet can hold; the report must fit in one
MAX_COLUMNS = 16_384
MAX_CELLS = 25_000_000  # rows x columns of one sheet's grid, empty cells included
MAX_TEXT_BYTES = 1 << 30  # 1 GiB of delimited text


def too_many_rows(path: Path) -> None:
    """Raise ``InputError``: ``path`` holds more rows than a worksheet can."""
    raise InputError(
        f"{path.name} has more than {MAX_ROWS:,} rows, the most a spreadsheet holds; "
        "split it into smaller files",
        path=str(path),
    )


def too_many_columns(path: Path, columns: int, where: str = "") -> None:
    """Raise ``InputError``: ``path`` (or its sheet ``where``) is wider than a worksheet."""
    raise InputError(
        f"{where or path.name} has {columns:,} columns, more than the {MAX_COLUMNS:,} a "
        "spreadsheet holds; remove the extra columns",
        path=str(path),
    )


def too_many_cells(path: Path, rows: int, columns: int, where: str = "") -> None:
    """Raise ``InputError``: a grid of ``rows`` x ``columns`` is more than the loader builds."""
    fix = "" if path.suffix.lower() in (".csv", ".tsv", ".txt") else ", or export the sheet as CSV"
    raise InputError(
        f"{where or path.name} spans {rows:,} rows x {columns:,} columns "
        f"({rows * columns:,} cells), more than the {MAX_CELLS:,} cells this tool reads "
        "in one sheet; a stray cell far below or to the right often causes this: delete "
        f"the rows and columns after the data{fix}",
        path=str(path),
    )


class SplitLines(MutableSequence[list[str]]):
    """The lines of quote-free delimited text as a grid: a line is split into its fields
    when it is read (a blank line is ``[]``, as the csv module gives it).

    The framer reads each row once and then replaces it: a sheet is never held as
    millions of field strings at once, only as its lines.
    """

    __slots__ = ("_delimiter", "_lines")

    def __init__(self, lines: list[str], delimiter: str) -> None:
        # the lines, each replaced by a row (often ``[]``) once the framer has taken it
        self._lines = cast("list[str | list[str]]", lines)
        self._delimiter = delimiter

    def _row(self, line: str | list[str]) -> list[str]:
        if isinstance(line, list):
            return line
        return line.split(self._delimiter) if line else []

    def __len__(self) -> int:
        return len(self._lines)

    @overload
    def __getitem__(self, i: int) -> list[str]: ...
    @overload
    def __getitem__(self, i: slice) -> list[list[str]]: ...
    def __getitem__(self, i: int | slice) -> list[str] | list[list[str]]:
        if isinstance(i, slice):
            return [self._row(line) for line in self._lines[i]]
        return self._row(self._lines[i])

    @overload
    def __setitem__(self, i: int, row: list[str]) -> None: ...
    @overload
    def __setitem__(self, i: slice, row: Iterable[list[str]]) -> None: ...
    def __setitem__(self, i: int | slice, row: list[str] | Iterable[list[str]]) -> None:
        self._lines[i] = row  # type: ignore[index,assignment]

    def __delitem__(self, i: int | slice) -> None:
        del self._lines[i]

    def insert(self, i: int, row: list[str]) -> None:
        """Insert a row (as the list's ``insert``)."""
        self._lines.insert(i, row)

    def __iter__(self) -> Iterator[list[str]]:
        return map(self._row, self._lines)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SplitLines | list):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]
