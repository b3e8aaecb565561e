"""The requests of a run's report made one at a time, as the report reads them.

``derive_requests`` holds every line of the report, grouped, and a ``Request``
per request: at a million rows, gigabytes. ``stream_requests`` gives the same
requests, in the same order, each made from its own lines when it is read: the
plan's columns say which lines form each request and, for each duplicate
line, which earlier line sent its key; the lines are read straight through,
a request's lines at a time, and only what a later request needs of an earlier
one is kept (the outcome of each line that sent a key another line repeats,
and the outcome and completion time of each request those lines belong to).

That holds when each request's lines follow each other in the input (the usual
sheet: one row per request, or a request's rows together). When they do not (a
request id on rows far apart), or a request id reads like a row's name
(``row 5``), the requests are derived as before, all at once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

from ..core.identity import identity
from ..core.lines import KEY_TYPES, Lines
from ..core.records import Outcome, ReportLine, Status
from ..core.reportlines import Remade, ReportLines
from ..core.requests import Request, RequestOutcome
from ..core.table import RowColumns, iter_cells, row_places
from .derive import Done, Making, _take_over, derive_requests
from .grouping import cell, group_label
from .rules import RequestRules

#: A request id that reads like a request named by its row: names could then clash.
_ROW_NAME = re.compile(r"(?:.* )?row \d+\Z", re.DOTALL)
_SENDS = frozenset(s for s in Status if s.sends_key)


def stream_requests(
    lines: Sequence[ReportLine], columns: Sequence[str], rules: RequestRules, today: dt.date
) -> Sequence[Request]:
    """``derive_requests(lines, ...)``, each request made when read when ``lines`` are a
    plan's ``ReportLines`` whose requests' lines follow each other; else all at once."""
    plan = _plan(lines, columns, rules)
    if plan is None:
        return derive_requests(lines, columns, rules, today)
    making = Making.of(columns, rules, today)
    return Remade(plan.count, lambda: _requests(plan, making, today))


class _Plan:
    """Where the requests' lines are: ``lines`` in order, ``count`` requests, each run of
    lines one request; ``sender`` per line: the earlier line that sent a duplicate's key
    (-1: none); ``sends``: the lines that did so for a duplicate."""

    __slots__ = ("count", "lines", "rid", "sender", "sends", "several")

    def __init__(
        self,
        lines: ReportLines,
        count: int,
        rid: int | None,
        several: bool,
        sender: npt.NDArray[np.int32],
    ) -> None:
        self.lines, self.count, self.rid, self.several = lines, count, rid, several
        self.sender = sender
        sends = np.zeros(len(sender), dtype=np.bool_)
        sends[sender[sender >= 0]] = True
        self.sends = sends


def _plan(lines: Sequence[ReportLine], columns: Sequence[str], rules: RequestRules) -> _Plan | None:
    if not isinstance(lines, ReportLines) or not isinstance(lines.lines, Lines) or not len(lines):
        return None
    plan = lines.lines
    rid = columns.index(rules.request_column) if rules.request_column in columns else None
    count = _runs(plan, rid)
    if count is None:
        return None
    rows = plan.rows
    sheets = rows.sheets_of() if isinstance(rows, RowColumns) else row_places(rows)[0]
    several = len(set(sheets)) > 1
    sender = _senders(lines, plan)
    if sender is None:
        return None
    return _Plan(lines, count, rid, several, sender)


def _runs(plan: Lines, rid: int | None) -> int | None:
    """How many requests the lines make, when each request's lines follow each other
    (None when they do not, when a row has no line, or when a request id reads like a
    row's name). A row starts a request unless it has the id of the row before it; one
    cell at a time, each id only fingerprinted (two runs of one fingerprint: None)."""
    rows, row_of = plan.rows, plan.row_of
    n = len(rows)
    steps = np.diff(row_of)
    if row_of[0] != 0 or row_of[-1] != n - 1 or ((steps != 0) & (steps != 1)).any():
        return None  # every row has its lines, in order (as a plan makes them)
    starts = np.ones(n, dtype=np.bool_)  # the row starts a request
    prints = np.zeros(n, dtype=np.int64)  # a named request's fingerprint, at its first row
    if rid is not None:
        before = ""
        for r, written in enumerate(iter_cells(rows, rid)):
            text = cell((written,), 0)
            if text and _ROW_NAME.match(text):
                return None
            if text and text == before:
                starts[r] = False
            elif text:
                prints[r] = hash(text) or 1  # 0: a request named by its row
            before = text
    firsts = np.flatnonzero(starts)
    named = prints[firsts]
    named = named[named != 0]
    if len(np.unique(named)) != len(named):
        return None  # a request id again further down: derived all at once
    return len(firsts)


def _senders(lines: ReportLines, plan: Lines) -> npt.NDArray[np.int32] | None:
    """Per duplicate line, the first line before it that sent its key (by ``identity``,
    with its type), as ``derive_requests`` finds it; -1 for the other lines. None when
    two keys' fingerprints clash (then the requests are derived all at once)."""
    e = plan.entries
    # each distinct key once: its identity's fingerprint (Python's hash, checked below)
    prints = np.fromiter(
        (
            hash((KEY_TYPES[t].value, identity(KEY_TYPES[t], k)))
            for t, k in zip(e.key_type.tolist(), e.key, strict=True)
        ),
        dtype=np.int64,
        count=len(e.key),
    )
    n = len(lines)
    status = np.zeros(n, dtype=np.int8)  # 1: sends its key, 2: duplicate
    for i, rl in enumerate(lines):
        s = rl.outcome.status
        if rl.line.key:
            status[i] = 1 if s in _SENDS else 2 if s is Status.DUPLICATE else 0
    keyed = plan.entry_of >= 0
    sender = np.full(n, -1, dtype=np.int32)
    dup = np.flatnonzero((status == 2) & keyed)
    sending = np.flatnonzero((status == 1) & keyed)
    if not len(dup) or not len(sending):
        return sender
    sent = prints[plan.entry_of[sending]]
    unique, first = np.unique(sent, return_index=True)  # the first line of each key
    wanted = prints[plan.entry_of[dup]]
    at = np.searchsorted(unique, wanted).clip(0, len(unique) - 1)
    hit = unique[at] == wanted
    dup, at = dup[hit], at[hit]
    found = sending[first[at]]
    if (found > dup).any():
        return None  # a key sent only after its duplicate: derived all at once
    # a fingerprint's clash is caught by comparing the keys
    entry = plan.entry_of
    for d, f in zip(dup.tolist(), found.tolist(), strict=True):
        a, b = int(entry[d]), int(entry[f])
        if a != b and _identity_of(plan, a) != _identity_of(plan, b):
            return None
    sender[dup] = found
    return sender


def _identity_of(plan: Lines, k: int) -> tuple[str, str]:
    kt = KEY_TYPES[int(plan.entries.key_type[k])]
    return (kt.value, identity(kt, plan.entries.key[k]))


def _requests(plan: _Plan, making: Making, today: dt.date) -> Iterator[Request]:
    """The requests, in order, each made from its run of lines."""
    rid, several, sender, sends = plan.rid, plan.several, plan.sender, plan.sends
    # What later requests need of earlier ones, kept per line and per request in lists,
    # not dicts (at a million rows, half a million lines send a key a later line repeats):
    # per sending line its request (by number) and its outcome; per such request its name
    # and its outcome and completion time as made (before it takes over another's).
    n = len(sender)
    of_request = np.full(n, -1, dtype=np.int32)
    outcome_of: list[Outcome | None] = [None] * n
    names: list[str] = []
    done: list[Done] = []
    run: list[ReportLine] = []
    key: tuple[str, str | None, int] | None = None

    def made(rls: list[ReportLine], g: tuple[str, str | None, int]) -> Request:
        label, number = group_label(g, several), len(names)
        vias: dict[str, Done] = {}

        def find(rl: ReportLine) -> tuple[str, Outcome] | None:
            s = int(sender[rl.line.index])
            if s < 0:
                return None
            k = int(of_request[s])
            if k < 0:  # the sender is of this very request, further up
                return ("", next(x.outcome for x in rls if x.line.index == s))
            outcome = outcome_of[s]
            assert outcome is not None
            vias[names[k]] = done[k]
            return (names[k], outcome)

        r = making.request(label, g[0] == "row", rls, find)
        mine = [x for x in rls if sends[x.line.index]]
        names.append(label if mine else "")
        done.append((r.outcome, r.completed_at) if mine else _NOTHING)
        for x in mine:
            of_request[x.line.index] = number
            outcome_of[x.line.index] = x.outcome
        return _take_over(r, vias, today)

    for rl in plan.lines:
        line = rl.line
        text = cell(line.cells, rid)
        g = ("id", text, 0) if text else ("row", line.sheet, line.source_row)
        if g != key and run:
            assert key is not None
            yield made(run, key)
            run = []
        key = g
        run.append(rl)
    if run:
        assert key is not None
        yield made(run, key)


_NOTHING: Done = (RequestOutcome.SKIPPED, "")  # a request no later one takes over from
