"""A sheet as read, before framing: rows of text cells, and the most a spreadsheet holds.

The text reader, the workbook reader and the framer share these, so each limit
and its message live in one place.
"""

from __future__ import annotations

from pathlib import Path

from ..core.errors import InputError

Grid = list[list[str]]

MAX_ROWS = 1_048_576  # the most rows a worksheet can hold; the report must fit in one
MAX_COLUMNS = 16_384


def too_many_rows(path: Path) -> None:
    """Raise ``InputError``: ``path`` holds more rows than a worksheet can."""
    raise InputError(
        f"{path.name} has more than {MAX_ROWS:,} rows, the most a spreadsheet holds; "
        "split it into smaller files",
        path=str(path),
    )
