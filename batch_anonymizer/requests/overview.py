"""What ``validate`` and the confirmation of a run say about the requests, before anything is sent.

Which column makes the requests and how many there are, where the dates
received come from, and the requests whose deadline cannot be counted yet
(a typed date that may be day-first or month-first), with the option that
fixes them: the time to find out is before the run, not in its report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..core.lines import Lines
from ..core.records import Line, SourceRow
from ..core.requests import DeadlineCode
from ..core.table import row_place, row_sheets
from ..input.cells import trim
from ..input.deadlines import Calendar
from ..input.factorize import column_codes, factorize_cells
from .dues import pairs_deadline
from .grouping import group_label
from .rules import RequestRules

_SHOWN = 5  # request ids named in a line; the report lists them all


@dataclass(frozen=True, slots=True)
class RequestCounts:
    """What the overview says of the requests: how many, how many extended, and per
    deadline code how many requests carry it and the names of the first ``_SHOWN``."""

    requests: int
    extended: int
    by_code: dict[DeadlineCode, tuple[int, list[str]]]


def request_counts(
    rows: Sequence[SourceRow], columns: Sequence[str], rules: RequestRules, today: dt.date
) -> RequestCounts:
    """The requests of ``rows`` grouped and dated as ``derive_requests`` does, counted over
    the columns: a row's request id, date received and extension cells are read as
    columns, each distinct (date, extension) pair is dated once, and only the requests of
    several rows are looked at one by one. No line, no ``Request`` is made."""
    index = {name: i for i, name in enumerate(columns)}

    def col(name: str | None) -> int | None:
        return index.get(name) if name else None

    group, names = _groups(rows, col(rules.request_column))
    di, ei = col(rules.received_column), col(rules.extension_column)
    pair, pairs = _pairs(rows, di, ei)
    kept, first, inverse, counts = np.unique(
        group, return_index=True, return_inverse=True, return_counts=True
    )
    # a request's deadline depends only on its rows' (date, extension) pairs, in row order
    said: dict[tuple[int, ...], tuple[bool, DeadlineCode | None]] = {}
    how = ((di is not None, ei is not None), rules, Calendar(rules.holidays), today)

    def dated(key: tuple[int, ...]) -> tuple[bool, DeadlineCode | None]:
        found = said.get(key)
        if found is None:
            found = said[key] = pairs_deadline([pairs[p] for p in key], *how)
        return found

    # requests of one row (most): dated per distinct pair; the others one by one
    codes = list(DeadlineCode)
    per_pair = [dated((p,)) for p in range(len(pairs))]
    extended = np.array([e for e, _ in per_pair], dtype=np.bool_)[pair[first]]
    code = np.array([-1 if c is None else codes.index(c) for _, c in per_pair], np.int16)
    code = code[pair[first]]
    for k, part in _several(inverse, counts, pair):
        e, c = dated(part)
        extended[k], code[k] = e, -1 if c is None else codes.index(c)
    order = np.argsort(first, kind="stable")  # the requests in input order
    code = code[order]
    several = len(row_sheets(rows)) > 1
    by_code: dict[DeadlineCode, tuple[int, list[str]]] = {}
    for i, c in enumerate(codes):
        mine = order[code == i]
        if len(mine):
            shown = [_label(rows, int(kept[k]), names, several) for k in mine[:_SHOWN].tolist()]
            by_code[c] = (len(mine), shown)
    return RequestCounts(len(kept), int(extended.sum()), by_code)


def _groups(rows: Sequence[SourceRow], rid: int | None) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Each row's request as a number, and the request ids: rows with one id (trimmed) are
    one request (numbered as the ids), any other row one of its own (numbered after them,
    by row)."""
    n = len(rows)
    if rid is None:
        return np.arange(n, dtype=np.int64), []
    ids, raw = column_codes(rows, rid)
    # most ids start and end with a letter or digit: nothing to trim
    odd = [u for u in raw if not (u[:1].isalnum() and u[-1:].isalnum())]
    if any(trim(u) != u for u in odd):
        trimmed = [u if u[:1].isalnum() and u[-1:].isalnum() else trim(u) for u in raw]
        of_raw, named = factorize_cells(trimmed)  # in order of first appearance, as the rows
    else:  # the ids as written are the trimmed ones, already numbered
        of_raw, named = np.arange(len(raw), dtype=np.int64), raw
    if "" in named:  # a row without an id is a request of its own
        empty = named.index("")
        of_raw = np.where(of_raw == empty, -1, of_raw - (of_raw > empty))
        named.remove("")
    request = of_raw[ids] if n else ids
    return np.where(request >= 0, request, len(named) + np.arange(n)), named


def _pairs(
    rows: Sequence[SourceRow], di: int | None, ei: int | None
) -> tuple[npt.NDArray[np.int64], list[tuple[str, str]]]:
    """Each row's (date received, extension) cells as a number, and the distinct pairs."""
    n = len(rows)
    dates, date_values = _codes(rows, di)
    extensions, extension_values = _codes(rows, ei)
    width = len(extension_values)
    combined, pair = np.unique(dates * width + extensions, return_inverse=True)
    pairs = [(date_values[v // width], extension_values[v % width]) for v in combined.tolist()]
    return pair.astype(np.int64).reshape(n), pairs


def _codes(rows: Sequence[SourceRow], i: int | None) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Column ``i``'s cells as numbers and their distinct values (none: every cell ``""``)."""
    if i is None or not len(rows):
        return np.zeros(len(rows), dtype=np.int64), [""]
    return column_codes(rows, i)


def _several(
    inverse: npt.NDArray[np.intp], counts: npt.NDArray[np.intp], pair: npt.NDArray[np.int64]
) -> list[tuple[int, tuple[int, ...]]]:
    """(request, its rows' pairs in row order) of every request of more than one row."""
    rows = np.flatnonzero(counts[inverse] > 1)
    if not len(rows):
        return []
    rows = rows[np.argsort(inverse[rows], kind="stable")]
    requests = inverse[rows]
    bounds = np.flatnonzero(np.diff(requests)) + 1
    parts = np.split(pair[rows], bounds)
    starts = requests[np.r_[0, bounds]].tolist()
    return [(int(k), tuple(p.tolist())) for k, p in zip(starts, parts, strict=True)]


def _label(rows: Sequence[SourceRow], group: int, names: list[str], several: bool) -> str:
    if group < len(names):
        return group_label(("id", names[group], 0), several)
    sheet, number = row_place(rows, group - len(names))
    return group_label(("row", sheet, number), several)


def overview_lines(
    lines: Sequence[Line], columns: Sequence[str], rules: RequestRules, today: dt.date
) -> list[str]:
    """One line each: the requests, the dates received, and what would leave a due date empty
    or needs a look (deadlines as of ``today``)."""
    rows: Sequence[SourceRow]
    if isinstance(lines, Lines):
        rows = lines.rows  # the table's rows, read as columns
    else:
        cells_of = {(ln.sheet, ln.source_row): ln.cells for ln in lines}
        rows = [SourceRow(sheet, number, cells) for (sheet, number), cells in cells_of.items()]
    counted = request_counts(rows, columns, rules, today)
    n = counted.requests
    if rules.request_column:
        out = [
            f'requests: {n:,}, by the column "{rules.request_column}" (rows with one id are one)'
        ]
    else:
        out = [
            f"requests: {n:,}, one per row (no request-id column; name one with --request-column)"
        ]
    if rules.received_column:
        extended = counted.extended
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
        if code in counted.by_code:
            count, shown = counted.by_code[code]
            named = ", ".join(shown) + (", ..." if count > _SHOWN else "")
            out.append(f"{count:,} request(s) with {what} ({named}): {fix}")
    return out
