"""How the lines of a report fall into requests: by request id, else by row.

Rows with the same request id (the cell trimmed of spaces, case kept) form one
request; a row without one is a request of its own. ``derive``, ``stream``,
``dues`` and ``overview`` group them this way.
"""

from __future__ import annotations

from ..input.cells import trim

Group = tuple[str, str | None, int]  # ("id", request id, 0) or ("row", sheet, row number)


def cell(cells: tuple[str, ...], i: int | None) -> str:
    """Cell ``i`` of ``cells``, trimmed ("" when there is no such column)."""
    if i is None or i >= len(cells):
        return ""
    c = cells[i]
    # most cells start and end with a letter or digit: nothing to trim (no space, no
    # zero-width character is alphanumeric)
    return c if c[:1].isalnum() and c[-1:].isalnum() else trim(c)


def group_label(g: Group, several: bool) -> str:
    """A request's name: its id, or its row (with its sheet when there are several)."""
    kind, value, row = g
    if kind == "id":
        return str(value)
    return f"{value} row {row}" if several and value else f"row {row}"
