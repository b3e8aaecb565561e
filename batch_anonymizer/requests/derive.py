"""The requests of a report, derived from its lines: the one place that says what a request is.

``derive_requests`` is called by a run (``app.execute``), by ``report
JOURNAL`` (``app.rebuild``) and by ``certificates`` on the lines each of them
has, so the Requests sheet of a rebuilt report, and every certificate, say
exactly what the run's own report said.

- **Which lines.** Rows with the same request id (the cell trimmed of spaces,
  case kept: ``REQ-1`` and ``req-1`` are two tickets) form one request; a row
  without one (or an input without a request-id column) is a request of its own.
- **Outcome** (``RequestOutcome``), from the outcome that counts for each key:
  a duplicate key counts with the outcome of the line that sent it. No usable
  key: ``invalid``. Any key that would be sent (dry run, check): ``ready``.
  Any key failed, pending, or invalid beside usable ones: ``incomplete``.
  Every key ``not_found``: ``no_data_held``; else ``erased``, or
  ``anonymized_unverified`` when a success was not verified by lookup. A
  request whose keys were all sent by one other request takes that
  request's outcome and completion time. Lines left out by --where do not
  count; a request of only such lines is ``skipped``. Before the keys: a
  request with a held row is ``held``; one whose every row asks for another
  right is ``not_erasure`` (rows of both within one request: the erasure rows
  decide).
- **Deadline.** The earliest date received of its rows; a row whose date
  cannot be read (ambiguous, not a date) or a date after ``today``
  (``future_date``) leaves the due date empty with a code. Extended when a
  row's extension cell says so and the extension stands (``deadlines.standing``):
  told after the one-month due date (``late_extension``) or dated before the
  request was received (``extension_before_receipt``), it does not count, and
  says so. ``on_time`` and ``days_left`` as of ``today``, which the caller
  gives: nothing here reads the clock.
- **Handler.** The distinct cells of its rows in the input's ``Handled by`` /
  ``Owner`` / ``Assignee`` column (``HANDLER_HEADERS``), joined by "; "
  (``handled_by``; the register names the operator when there are none).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from ..core.codes import Reason
from ..core.identity import identity
from ..core.records import Line, Outcome, ReportLine, Status
from ..core.requests import (
    DeadlineCode,
    Request,
    RequestKey,
    RequestOutcome,
)
from ..input.deadlines import (
    Calendar,
    due_date,
)
from ..input.headers import HANDLER_HEADERS, find_by_header
from ..input.transcend import platform_due
from .dues import How, deadline_of, timing
from .grouping import Group, cell, group_label
from .rules import RequestRules


def derive_requests(
    lines: Sequence[ReportLine],
    columns: Sequence[str],
    rules: RequestRules,
    today: dt.date,
) -> tuple[Request, ...]:
    """Every request of ``lines`` (input columns ``columns``), in the order of the input."""
    index = {name: i for i, name in enumerate(columns)}

    def col(name: str | None) -> int | None:
        return index.get(name) if name else None

    rid = col(rules.request_column)
    groups: dict[Group, list[ReportLine]] = {}
    for rl in lines:
        line = rl.line
        text = cell(line.cells, rid)
        group: Group = ("id", text, 0) if text else ("row", line.sheet, line.source_row)
        groups.setdefault(group, []).append(rl)
    several = len({rl.line.sheet for rl in lines}) > 1
    labels = {g: group_label(g, several) for g in groups}
    senders: dict[tuple[str, str], tuple[Group, ReportLine]] = {}
    for g, rls in groups.items():
        for rl in rls:
            if rl.line.key and rl.outcome.status.sends_key:
                senders.setdefault(_identity(rl.line), (g, rl))

    def finder(g: Group) -> Find:
        def find(rl: ReportLine) -> tuple[str, Outcome] | None:
            hit = senders.get(_identity(rl.line))
            if hit is None:
                return None
            return (labels[hit[0]] if hit[0] != g else "", hit[1].outcome)

        return find

    making = Making.of(columns, rules, today)
    made = {
        g: making.request(labels[g], g[0] == "row", rls, finder(g)) for g, rls in groups.items()
    }
    # the first of a label wins
    by_label = {r.request: (r.outcome, r.completed_at) for r in reversed(made.values())}
    return tuple(_take_over(r, by_label, today) for r in made.values())


#: Who sent a duplicate line's key: the other request's name ("" when it is this one)
#: and the outcome that counts for it; None when no line sent it.
Find = Callable[[ReportLine], "tuple[str, Outcome] | None"]


@dataclass(frozen=True, slots=True)
class Making:
    """How a request is made from its lines: the columns its rows are read by, the rules,
    and the day (``derive_requests`` and ``requests.stream`` make each request this way)."""

    dates: tuple[int | None, int | None]
    gates: tuple[int | None, ...]
    platform: int | None
    handler: int | None
    rules: RequestRules
    cal: Calendar
    today: dt.date

    @staticmethod
    def of(columns: Sequence[str], rules: RequestRules, today: dt.date) -> Making:
        """The making of the requests of an input with ``columns``."""
        index = {name: i for i, name in enumerate(columns)}

        def col(name: str | None) -> int | None:
            return index.get(name) if name else None

        return Making(
            (col(rules.received_column), col(rules.extension_column)),
            (col(rules.type_column), col(rules.identity_column), col(rules.hold_column)),
            col(rules.platform_days_column),
            col(find_by_header(columns, HANDLER_HEADERS)),
            rules,
            Calendar(rules.holidays),
            today,
        )

    def request(self, label: str, by_row: bool, rls: list[ReportLine], find: Find) -> Request:
        """The request named ``label`` of lines ``rls``, before it takes over another's."""
        how = (self.dates, self.cal, self.today)
        r = _said(_request(label, by_row, rls, find, self.rules, how), rls, self.gates)
        r = _platform_check(r, self.platform, self.today)
        if self.handler is not None:
            r = replace(r, handled_by=_joined(rls, self.handler))
        return r


def _identity(line: Line) -> tuple[str, str]:
    """A key as compared across requests (``core.identity``), with its type."""
    kt = line.key_type
    return (kt.value if kt else "", identity(kt, line.key))


def _request(
    label: str,
    by_row: bool,
    rls: list[ReportLine],
    find: Find,
    rules: RequestRules,
    how: How,
) -> Request:
    own = [rl for rl in rls if not _left_out(rl)]
    entries = []
    for rl in own:
        outcome, via = rl.outcome, ""
        if outcome.status is Status.DUPLICATE:
            hit = find(rl)
            if hit is not None:
                via, outcome = hit
        entries.append(RequestKey(rl.line, outcome, via))
    result = _gated(entries) or _outcome(entries) if own else RequestOutcome.SKIPPED
    rows = tuple(dict.fromkeys((rl.line.sheet, rl.line.source_row) for rl in rls))
    first_cells = {(rl.line.sheet, rl.line.source_row): rl.line.cells for rl in rls}
    received, extended, code, reason = deadline_of(rows, first_cells, rules, how)
    _, cal, today = how
    due = due_date(received, extended=extended, cal=cal) if received else None
    keyed = [e for e in entries if e.line.key]
    distinct = {_identity(e.line): e for e in keyed}
    done = [e.outcome for e in distinct.values() if e.outcome.status is Status.SUCCESS]
    counted = [o.records_before for o in done if o.records_before is not None]
    records = sum(counted) if counted else (0 if result is RequestOutcome.NO_DATA_HELD else None)
    completed = ""
    if result.completed:
        completed = max((e.outcome.finished_at for e in keyed), default="")
    on_time, days_left = timing(result, due, completed, today)
    return Request(
        request=label,
        by_row=by_row,
        rows=rows,
        received=received,
        due=due,
        extended=extended,
        outcome=result,
        key_count=len(distinct),
        records_anonymized=records,
        completed_at=completed,
        on_time=on_time,
        days_left=days_left,
        duplicate_of=tuple(dict.fromkeys(e.via for e in entries if e.via)),
        code=code,
        cells=rls[0].line.cells,
        entries=tuple(entries),
        extension_reason=reason,
    )


def _said(r: Request, rls: list[ReportLine], gates: tuple[int | None, ...]) -> Request:
    """``r`` with what its rows say of its type, identity check and hold."""
    ti, ii, hi = gates
    rows = {(rl.line.sheet, rl.line.source_row): rl.line.cells for rl in rls}

    def joined(i: int) -> str:
        return "; ".join(dict.fromkeys(c for c in (cell(v, i) for v in rows.values()) if c))

    return replace(
        r,
        request_type=None if ti is None else joined(ti),
        identity=None if ii is None else joined(ii),
        hold="" if hi is None else joined(hi),
    )


def _joined(rls: list[ReportLine], i: int) -> str:
    """The distinct filled cells of column ``i`` in the rows of ``rls``, joined by "; "."""
    cells = (cell(rl.line.cells, i) for rl in rls)
    return "; ".join(dict.fromkeys(c for c in cells if c))


def _left_out(rl: ReportLine) -> bool:
    """A line left out by --where: not part of this run's request."""
    return rl.outcome.status is Status.SKIPPED and rl.outcome.code is not Reason.NOT_ERASURE


def _gated(entries: Sequence[RequestKey]) -> RequestOutcome | None:
    """``held`` when any row of the request is held; ``not_erasure`` when every row asks
    for another right; None when its keys decide. A held request is never erased in part
    silently: its outcome stays ``held`` until no row of it is."""
    if any(e.outcome.status is Status.HELD for e in entries):
        return RequestOutcome.HELD
    if all(e.outcome.code is Reason.NOT_ERASURE for e in entries):
        return RequestOutcome.NOT_ERASURE
    return None


#: Days the platform's deadline and the tool's due date may differ by (time zones, counting).
PLATFORM_SLACK = 1


def _platform_check(r: Request, platform: int | None, today: dt.date) -> Request:
    """``platform_deadline`` when the platform's days-left cell (counted from ``today``) puts
    the deadline more than ``PLATFORM_SLACK`` days from the request's due date."""
    if platform is None or r.due is None or r.code is not None:
        return r
    said = platform_due(cell(r.cells, platform), today)
    if said is None or abs((said - r.due).days) <= PLATFORM_SLACK:
        return r
    return replace(r, code=DeadlineCode.PLATFORM_DEADLINE)


def _outcome(entries: Sequence[RequestKey]) -> RequestOutcome:
    entries = [e for e in entries if e.outcome.code is not Reason.NOT_ERASURE]
    statuses = [e.outcome.status for e in entries if e.line.key]
    usable = [s for s in statuses if s is not Status.INVALID]
    if not usable:
        return RequestOutcome.INVALID
    if Status.READY in usable:
        return RequestOutcome.READY
    if len(usable) < len(statuses) or any(not s.settles_request for s in usable):
        return RequestOutcome.INCOMPLETE
    if Status.SUCCESS not in usable and not any(
        e.outcome.code is Reason.GONE_UNVERIFIED for e in entries
    ):
        return RequestOutcome.NO_DATA_HELD
    unverified = any(
        (e.outcome.status is Status.SUCCESS and e.outcome.records_after is None)
        or e.outcome.code is Reason.GONE_UNVERIFIED
        for e in entries
    )
    return RequestOutcome.ANONYMIZED_UNVERIFIED if unverified else RequestOutcome.ERASED


#: What a request takes over from another: its outcome and completion time.
Done = tuple[RequestOutcome, str]


def _take_over(r: Request, by_label: Mapping[str, Done], today: dt.date) -> Request:
    """A request whose keys were all sent by one other request (``by_label``: each
    request's outcome and completion time, by name) takes that request's outcome."""
    keyed = [e for e in r.entries if e.line.key]
    vias = {e.via for e in keyed}
    if not keyed or len(vias) != 1 or "" in vias:
        return r
    (via,) = vias
    outcome, completed_at = by_label[via]
    on_time, days_left = timing(outcome, r.due, completed_at, today)
    return replace(
        r,
        outcome=outcome,
        completed_at=completed_at,
        on_time=on_time,
        days_left=days_left,
    )
