"""What the report needs of its requests, counted in one pass: no request is held.

``tally`` reads the requests once (they may be made as they are read,
``requests.stream``) for the Summary's sentence and tables, whether the Register
has a ``deadline_code`` column, and per line what Needs attention and the Rows
sheet take from its request (the order of overdue and due-soon lines, the lines
of requests whose deadline needs a look, a held line's due note).
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..core.records import Status
from ..core.requests import DEADLINE_ATTENTION, OnTime, Request, RequestOutcome


@dataclass(slots=True)
class RequestTally:
    """What the Summary, the Requests and Register sheets and the line sheets need of the
    requests, counted in one pass over them (``tally``): no request is held.

    Per line (by index, below ``lines``): ``rank`` and ``days`` its sort key on Needs
    attention (0 overdue, 1 due soon, 2 neither; the days left), ``flagged`` 1 for the
    lines of requests whose deadline needs a look; ``dues``: per held line, the due note
    its message ends with. Arrays, not objects: every line of a
    million-row sheet may be overdue.
    """

    requests: int = 0
    outcomes: Counter[RequestOutcome] = field(default_factory=Counter)
    live: Counter[RequestOutcome] = field(default_factory=Counter)  # not left out by --where
    overdue: Counter[RequestOutcome] = field(default_factory=Counter)  # live ones
    late: int = 0  # live ones
    doubt: int = 0  # live ones with a deadline code that needs a look
    timing: Counter[OnTime | None] = field(default_factory=Counter)  # those with a due date
    undated: int = 0
    coded: bool = False  # a request has a deadline code
    rank: array[int] = field(default_factory=lambda: array("b"))
    days: array[int] = field(default_factory=lambda: array("i"))
    flagged: bytearray = field(default_factory=bytearray)
    dues: dict[int, str] = field(default_factory=dict)

    def urgency(self, i: int) -> tuple[int, int]:
        """Line ``i``'s sort key on Needs attention (most urgent first)."""
        return (self.rank[i], self.days[i]) if i < len(self.rank) else _NEITHER

    def flagged_lines(self) -> list[int]:
        """The lines (indexes) of requests whose deadline needs a look, in order."""
        return [i for i, f in enumerate(self.flagged) if f] if any(self.flagged) else []


_RANK = {OnTime.OVERDUE: 0, OnTime.DUE_SOON: 1}
_NEITHER = (2, 0)


def tally(requests: Iterable[Request], lines: int = 0) -> RequestTally:
    """``RequestTally`` of ``requests`` in one pass (``lines``: how many report lines; the
    per-line facts are kept for lines below it)."""
    t = RequestTally(rank=array("b", [2]) * lines, days=array("i", [0]) * lines)
    t.flagged = bytearray(lines)
    for r in requests:
        t.requests += 1
        o, on_time = r.outcome, r.on_time
        t.outcomes[o] += 1
        if r.due is None:
            t.undated += 1
        else:
            t.timing[on_time] += 1
        if r.code is not None:
            t.coded = True
        if o is not RequestOutcome.SKIPPED:
            t.live[o] += 1
            if on_time is OnTime.OVERDUE:
                t.overdue[o] += 1
            elif on_time is OnTime.LATE:
                t.late += 1
            if r.code in DEADLINE_ATTENTION:
                t.doubt += 1
        if on_time in _RANK:
            rank, days = _RANK[on_time], r.days_left or 0
            for e in r.entries:
                if (i := e.line.index) < lines:
                    t.rank[i], t.days[i] = rank, days
        if r.code in DEADLINE_ATTENTION:
            for e in r.entries:
                if (i := e.line.index) < lines:
                    t.flagged[i] = 1
        if r.due is not None:
            held = [e.line.index for e in r.entries if e.outcome.status is Status.HELD]
            if held:
                left = "" if r.days_left is None else f", {r.days_left} days left"
                note = f" (request {r.request} due {r.due.isoformat()}{left})"
                t.dues.update(dict.fromkeys(held, note))
    return t
