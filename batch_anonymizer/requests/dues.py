"""When a request is due: its date received, its extension, and ``on_time``.

The earliest date received of a request's rows; a row whose date cannot be read
(ambiguous, not a date) or a date after ``today`` (``future_date``) leaves the due
date empty with a code. Extended when a row's extension cell says so and the
extension stands (``input.deadlines.standing``). ``request_deadlines`` dates the
requests of a sheet before anything is sent (the confirmation's overview).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from ..core.requests import DUE_SOON_DAYS, DeadlineCode, OnTime, RequestOutcome
from ..input.dates import DateProblem, received_date
from ..input.deadlines import Calendar, Standing, plausible, read_extension, standing
from .grouping import Group, cell, group_label
from .rules import RequestRules

#: (sheet, row number, cells) of one input row
Row = tuple[str | None, int, tuple[str, ...]]


def request_deadlines(
    rows: Iterable[Row], columns: Sequence[str], rules: RequestRules, today: dt.date
) -> list[tuple[str, bool, DeadlineCode | None]]:
    """(request, extended, deadline code) of every request of ``rows``, as ``derive_requests``
    groups and dates them: what is known of the requests before anything is sent.

    Works on rows, not lines, in one pass, and dates each distinct set of date and
    extension cells once, so a million-row sheet is overviewed without its lines.
    """
    index = {name: i for i, name in enumerate(columns)}

    def col(name: str | None) -> int | None:
        return index.get(name) if name else None

    rid = col(rules.request_column)
    dates = di, ei = col(rules.received_column), col(rules.extension_column)
    # group -> its rows, each with its (date received, extension) cells
    groups: dict[Group, dict[tuple[str | None, int], tuple[str, str]]] = {}
    cells_of: dict[tuple[str | None, int], tuple[str, ...]] = {}
    sheets: set[str | None] = set()
    for sheet, number, cells in rows:
        text = cell(cells, rid)
        group: Group = ("id", text, 0) if text else ("row", sheet, number)
        members = groups.get(group)
        if members is None:
            members = groups[group] = {}
        where = (sheet, number)
        if where not in members:
            members[where] = (cell(cells, di), cell(cells, ei))
            cells_of[where] = cells
        sheets.add(sheet)
    several = len(sheets) > 1
    memo: dict[tuple[tuple[str, str], ...], Deadline] = {}
    how = (dates, Calendar(rules.holidays), today)
    out = []
    for g, members in groups.items():
        seen = tuple(members.values())
        said = memo.get(seen)
        if said is None:
            said = memo[seen] = deadline_of(tuple(members), cells_of, rules, how)
        out.append((group_label(g, several), said[1], said[2]))
    return out


def pairs_deadline(
    pairs: Sequence[tuple[str, str]],
    has: tuple[bool, bool],
    rules: RequestRules,
    cal: Calendar,
    today: dt.date,
) -> tuple[bool, DeadlineCode | None]:
    """(extended, deadline code) of a request whose rows have these (date received,
    extension) cells, in row order (``has``: whether the input has each column): as
    ``request_deadlines`` dates it."""
    places: tuple[tuple[str | None, int], ...] = tuple((None, i) for i in range(len(pairs)))
    cells: dict[tuple[str | None, int], tuple[str, ...]] = dict(zip(places, pairs, strict=True))
    di = 0 if has[0] else None
    ei = 1 if has[1] else None
    _, extended, code, _ = deadline_of(places, cells, rules, ((di, ei), cal, today))
    return extended, code


#: How requests are dated: the (date received, extension) column indexes, the calendar
#: of working days, and the day the report is made.
How = tuple[tuple[int | None, int | None], Calendar, dt.date]
#: The date received, whether extended, the code when either is in doubt, the reason.
Deadline = tuple[dt.date | None, bool, DeadlineCode | None, str]


def deadline_of(
    rows: tuple[tuple[str | None, int], ...],
    cells_of: dict[tuple[str | None, int], tuple[str, ...]],
    rules: RequestRules,
    how: How,
) -> Deadline:
    """The date received, whether extended, the code when either is in doubt, and the
    extension's reason."""
    (di, ei), cal, today = how
    found: list[dt.date] = []
    code: DeadlineCode | None = None
    if di is not None:
        read = [received_date(cell(cells_of[r], di), rules.day_order) for r in rows]
        found = [d.date for d in read if d.date is not None]
        problems = {d.kind for d in read if d.kind is not None}
        if DateProblem.AMBIGUOUS in problems:
            code = DeadlineCode.AMBIGUOUS_DATE
        elif problems - {DateProblem.NO_DATE} or not all(plausible(d) for d in found):
            code = DeadlineCode.INVALID_DATE
        elif not found:
            code = DeadlineCode.NO_DATE
        elif max(found) > today:
            code = DeadlineCode.FUTURE_DATE
    received = min(found) if found and code not in _NO_DUE else None
    extended, reason = False, ""
    if ei is not None:
        cells = [read_extension(cell(cells_of[r], ei), rules.day_order) for r in rows]
        said = {standing(c, received, cal=cal) for c in cells}
        # an extension told too late, or dated before the request, outweighs a bare "yes"
        extended = Standing.STANDS in said and not said & _NOT_COUNTED.keys()
        reason = "; ".join(dict.fromkeys(c.reason for c in cells if c.reason))
        if code is None:
            code = next((_NOT_COUNTED[s] for s in _NOT_COUNTED if s in said), None)
        if code is None and not extended and Standing.IN_DOUBT in said:
            code = DeadlineCode.UNCLEAR_EXTENSION
    return received, extended, code, reason


_NOT_COUNTED = {
    Standing.LATE: DeadlineCode.LATE_EXTENSION,
    Standing.BEFORE_RECEIPT: DeadlineCode.EXTENSION_BEFORE_RECEIPT,
}
_NO_DUE = (DeadlineCode.AMBIGUOUS_DATE, DeadlineCode.INVALID_DATE, DeadlineCode.FUTURE_DATE)


def timing(
    outcome: RequestOutcome, due: dt.date | None, completed_at: str, today: dt.date
) -> tuple[OnTime | None, int | None]:
    """``on_time`` and ``days_left`` of a request as of ``today`` (None, None without a due date).

    A completed request is ``yes`` or ``late`` by the UTC date it was completed;
    any other (``invalid`` included: the person still needs an answer) is
    ``overdue``, ``due_soon`` or ``open``, with the days left (negative when overdue).
    Requests left out by --where have neither.
    """
    if due is None or outcome is RequestOutcome.SKIPPED:
        return None, None
    if outcome.completed:
        done = dt.date.fromisoformat(completed_at[:10]) if completed_at else today
        return (OnTime.YES if done <= due else OnTime.LATE), None
    left = (due - today).days
    if left < 0:
        return OnTime.OVERDUE, left
    return (OnTime.DUE_SOON if left <= DUE_SOON_DAYS else OnTime.OPEN), left
