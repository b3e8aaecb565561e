"""What one worksheet holds, and how a table longer than that is laid out on more sheets.

Excel's limits: 1,048,576 rows (the header row included) and 16,384 columns
per sheet. A table of more lines continues on ``Rows (2)``, ``Rows (3)``, …
under the same header; a table of more columns is refused before anything is
sent (the .csv could hold it, the workbook could not). The limits are module
constants read at every use, so a test can lower them with ``monkeypatch``.
"""

from __future__ import annotations

from ..core.errors import ReportError

#: Rows one worksheet holds, the header row included (Excel's limit). Tests lower it.
MAX_ROWS = 1_048_576
#: Columns one worksheet holds (Excel's limit, A to XFD). Tests lower it.
MAX_COLUMNS = 16_384


def lines_per_sheet() -> int:
    """How many lines one sheet holds under its header row."""
    return MAX_ROWS - 1


def sheets_needed(lines: int) -> int:
    """How many sheets ``lines`` lines take, one header row each (at least one sheet)."""
    return max(1, -(-lines // lines_per_sheet()))


def sheet_names(title: str, count: int) -> list[str]:
    """The names of a table written on ``count`` sheets: ``Rows``, ``Rows (2)``, …"""
    return [title if n == 1 else f"{title} ({n})" for n in range(1, max(count, 1) + 1)]


def check_width(columns: int, then: str) -> None:
    """Refuse a table wider than a sheet; ``then`` ends the message (what happened)."""
    if columns > MAX_COLUMNS:
        raise ReportError(
            f"the report would have {columns:,} columns (the input's and the tool's own), "
            f"more than the {MAX_COLUMNS:,} a worksheet holds: the .csv would be complete, "
            "but the workbook cannot hold the run. Keep fewer columns in the input (the key "
            f"columns and what the audit needs), then run again; {then}"
        )


def cell_name(row: int, col: int) -> str:
    """The ``A1``-style name of a 0-based cell."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"
