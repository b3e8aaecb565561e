"""What ``validate`` and the confirmation of a run say about the requests, before anything is sent.

Which column makes the requests and how many there are, where the dates
received come from, and the requests whose deadline cannot be counted yet
(a typed date that may be day-first or month-first), with the option that
fixes them: the time to find out is before the run, not in its report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from ..core.lines import Lines
from ..core.records import Line
from ..core.requests import DeadlineCode
from .derive import Row, request_deadlines
from .rules import RequestRules

_SHOWN = 5  # request ids named in a line; the report lists them all


def overview_lines(
    lines: Sequence[Line], columns: Sequence[str], rules: RequestRules, today: dt.date
) -> list[str]:
    """One line each: the requests, the dates received, and what would leave a due date empty
    or needs a look (deadlines as of ``today``)."""
    rows: Iterable[Row]
    if isinstance(lines, Lines):
        rows = ((r.sheet, r.number, r.cells) for r in lines.rows)
    else:
        cells_of = {(ln.sheet, ln.source_row): ln.cells for ln in lines}
        rows = ((sheet, number, cells) for (sheet, number), cells in cells_of.items())
    requests = request_deadlines(rows, columns, rules, today)
    n = len(requests)
    if rules.request_column:
        out = [
            f'requests: {n:,}, by the column "{rules.request_column}" (rows with one id are one)'
        ]
    else:
        out = [
            f"requests: {n:,}, one per row (no request-id column; name one with --request-column)"
        ]
    if rules.received_column:
        extended = sum(ext for _, ext, _ in requests)
        also = f'; extension: "{rules.extension_column}" ({extended:,} extended)'
        out.append(
            f'dates received: the column "{rules.received_column}"'
            + (also if rules.extension_column else "")
        )
    else:
        out.append("dates received: no such column (name one with --received-column): no due dates")
    for code, what, fix in (
        (DeadlineCode.AMBIGUOUS_DATE, "a typed date that may be day-first or month-first",
         "add --day-first or --month-first, or they get no due date"),
        (DeadlineCode.INVALID_DATE, "a date received that is not a date", "they get no due date"),
        (DeadlineCode.FUTURE_DATE, "a date received after today",
         "they get no due date; correct the cells"),
        (DeadlineCode.UNCLEAR_EXTENSION, "an extension cell that cannot be read",
         "they are counted as not extended"),
        (DeadlineCode.LATE_EXTENSION, "an extension told after the one-month due date",
         "it does not count (Art. 12(3)): they keep the one-month due date"),
        (DeadlineCode.EXTENSION_BEFORE_RECEIPT, "an extension dated before the request came in",
         "they are counted as not extended; correct the cells"),
    ):  # fmt: skip
        ids = [r for r, _, c in requests if c is code]
        if ids:
            named = ", ".join(ids[:_SHOWN]) + (", ..." if len(ids) > _SHOWN else "")
            out.append(f"{len(ids):,} request(s) with {what} ({named}): {fix}")
    return out
