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

from pathlib import Path

from ..core.errors import InputError

Grid = list[list[str]]

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
