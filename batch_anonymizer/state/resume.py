"""Resume and retry: which keys an earlier run settled, and which to send (again).

``carry_over`` matches an earlier run to a fresh plan: keys the vendor gave a
final answer (``Status.settled``) keep their outcome, with their original
``finished_at`` and ``run_id``; keys that were sent without a known answer
are sent again once, and say so; the rest is sent. ``retry_jobs`` picks the
failed and pending keys of a report. Both give back a verified erasure whose
stop-list addition failed as a job for that step alone (``Job.stop_list_only``).
Both decide from codes, never messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..api.pool import ReadyJobs
from ..api.stoplist import owed, owes
from ..core.codes import TRANSIENT_FAILURES
from ..core.errors import ResumeMismatchError, UsageError
from ..core.gcpause import gc_paused
from ..core.identity import identity, sent_key
from ..core.job import Job
from ..core.lines import KEY_TYPES, Lines
from ..core.records import KeyForm, Line, Outcome, Plan, Status
from ..core.table import row_places
from . import messages
from .previous import Previous, PreviousEntry


@dataclass(frozen=True, slots=True)
class Carried:
    """A plan after resume: outcomes carried over, and the jobs still to send."""

    carried: dict[int, Outcome]
    jobs: Sequence[Job]  # matched by line index: a ``ReadyJobs``, each made when taken


def _resend_job(line: Line, prev: Outcome) -> Job:
    if prev.unknown_attempts:
        note = messages.RESENT_UNKNOWN.format(unknown=prev.unknown_attempts)
    else:
        note = messages.RESENT.format(status=prev.status.value, message=prev.message)
    return Job(
        line,
        prev.attempts,
        prev.unknown_attempts,
        note,
        prior_form=prev.key_form,
        prior_records=prev.records_before,
    )


def carry_over(plan: Plan, previous: Previous, *, allow_changed_input: bool) -> Carried:
    """Match an earlier run to ``plan``; refuse if the input changed, unless allowed."""
    with gc_paused():
        return _carry_over(plan, previous, allow_changed_input)


def _carry_over(plan: Plan, previous: Previous, allow_changed_input: bool) -> Carried:
    by_value = _input_changed(plan, previous)
    if by_value and not allow_changed_input:
        raise ResumeMismatchError(
            f"the input {plan.table.path.name} is not the file the earlier run "
            f"({previous.source.name}) was made from; nothing sent. Resume with the original "
            "file, or add --allow-changed-input to match keys by value and send new rows"
        )
    known = previous.plan_outcomes
    if known is not None and isinstance(plan.lines, Lines):
        return _by_index(plan.lines, known)  # the journal holds this very plan
    ready = [ln for ln in plan.lines if ln.status is Status.READY and ln.key_type]
    if known is not None:  # the journal holds this very plan: match lines by index
        earlier = list(map(known.get, [ln.index for ln in ready]))
    else:
        earlier, left = _match(ready, previous, by_value)
        if not by_value:
            _refuse_lost(previous, left)
    carried: dict[int, Outcome] = {}
    jobs: list[Job] = []
    for line, prev in zip(ready, earlier, strict=True):
        if prev is None:
            jobs.append(Job(line))
        elif owed(line, prev):
            jobs.append(Job(line, stop_list_only=prev))
        elif prev.status.settled:
            carried[line.index] = prev
        elif prev.attempts:
            jobs.append(_resend_job(line, prev))
        else:
            jobs.append(Job(line))
    return Carried(carried, jobs)


def _by_index(lines: Lines, known: dict[int, Outcome]) -> Carried:
    """``carry_over`` of a journal of this very plan, over the plan's columns: the
    earlier outcomes matched by line index, the lines left to send a ``ReadyJobs`` of
    their indices. Only the lines an earlier run left unfinished (sent without a final
    answer, or owing their stop-list step) are made here; the rest when the pool takes
    them. The same decisions, in the same order, as the per-line loop of
    ``_carry_over``; a million ready lines made up front cost ~8 s."""
    ready = lines.indices(Status.READY)
    sending = np.zeros(len(lines), dtype=np.bool_)
    sending[ready[lines.entry_of[ready] >= 0]] = True  # a ready line with a key
    found = np.fromiter(known, dtype=np.int64, count=len(known))
    found = np.sort(found[(found >= 0) & (found < len(lines))])
    found = found[sending[found]]
    types = lines.entries.key_type[lines.entry_of[found]].tolist()
    carried: dict[int, Outcome] = {}
    owing: dict[int, Outcome] = {}
    resent: dict[int, Outcome] = {}
    for i, t in zip(found.tolist(), types, strict=True):
        prev = known[i]
        if owes(KEY_TYPES[t], prev):
            owing[i] = prev
        elif prev.status.settled:
            carried[i] = prev
        elif prev.attempts:
            resent[i] = prev
        # else: never sent, sent as a new line is
    again: dict[int, Job] = {}
    for line in lines.at(sorted(owing.keys() | resent.keys())):
        i = line.index
        owed_step = owing.get(i)
        again[i] = (
            _resend_job(line, resent[i])
            if owed_step is None
            else Job(line, stop_list_only=owed_step)
        )
    sending[np.fromiter(carried, dtype=np.int64, count=len(carried))] = False
    at = np.flatnonzero(sending).astype(np.int32)
    return Carried(carried, ReadyJobs(lines, at=at, again=again))


def _refuse_lost(previous: Previous, left: list[PreviousEntry]) -> None:
    """Refuse a resume of the same input that would lose a settled or sent earlier line.

    The input is the same file: an earlier line that matches no line ready now
    was read with other options. Its settled outcome would vanish from the new
    report, or its key, sent without an answer, would go again unannounced.
    """
    lost = [e for e in left if e.outcome.status.settled or e.outcome.attempts]
    if not lost:
        return
    first = lost[0].line
    where = f"{first.sheet} row {first.source_row}" if first.sheet else f"row {first.source_row}"
    kind = {"email": "an email", "telephone": "a telephone"}.get(
        first.key_type.value if first.key_type else "", "a key"
    )
    raise ResumeMismatchError(
        f"{len(lost)} line(s) that the run it resumes ({previous.source.name}) settled or sent "
        f"match no line ready in this run (the first: {where}, {kind}, "
        f"{lost[0].outcome.status.value} then): the input was read with other options "
        "(--default-region, --phone-form, --where, --sheet, the key columns). Repeat the "
        "earlier run's options (its Summary lists them under settings) with --resume; "
        "nothing was sent"
    )


def _match(
    ready: list[Line], previous: Previous, by_value: bool
) -> tuple[list[Outcome | None], list[PreviousEntry]]:
    """The earlier outcome of each ready line (by key value, or by row and key), and the
    earlier lines that matched none."""

    def ident(line: Line, key: str) -> object:
        if by_value:
            return (line.key_type, identity(line.key_type, key))
        return (line.sheet, line.source_row, line.key_type, key)

    index: dict[object, PreviousEntry] = {}
    for e in previous.entries:
        if e.line.key_type is not None:
            index.setdefault(ident(e.line, e.line.key), e)

    def earlier(line: Line) -> PreviousEntry | None:
        # A report's key is the form that was sent (key_form), which may not be the plan's.
        for key in dict.fromkeys(sent_key(line, form) for form in (None, *KeyForm)):
            found = index.pop(ident(line, key), None)
            if found is not None:
                return found
        return None

    # pop: a value matches one line, later copies are duplicates
    matched = [earlier(line) for line in ready]
    return [e.outcome if e is not None else None for e in matched], list(index.values())


def _input_changed(plan: Plan, previous: Previous) -> bool:
    if previous.input_sha256:
        return previous.input_sha256 != plan.table.sha256
    # A .csv alone does not record the hash: compare the rows it carries instead.
    rows = plan.table.rows
    cols = plan.table.columns
    if tuple(previous.input_columns) != tuple(cols):
        return True
    # where each row is; a row's cells are made only when a line of the report names it
    at = {place: i for i, place in enumerate(zip(*row_places(rows), strict=True))}

    def differs(line: Line) -> bool:
        i = at.get((line.sheet, line.source_row))
        return i is None or rows[i].cells != line.cells

    return any(differs(e.line) for e in previous.entries)


def retry_jobs(previous: Previous, *, only_transient: bool) -> Carried:
    """For ``retry``: which earlier lines to send again (failed or pending).

    ``only_transient`` keeps the failures whose code says every attempt was
    transient (``TRANSIENT_FAILURES``); a 0.1 report has no such codes, so it
    is refused for that choice rather than guessed.
    """
    if only_transient and previous.format_version < 2:
        raise UsageError(
            f"{previous.source.name} was written by batch-anonymizer 0.1, whose reports do not "
            "record why a key failed; run retry without --only-transient (nothing was sent)"
        )
    carried: dict[int, Outcome] = {}
    jobs: list[Job] = []
    for e in previous.entries:
        o = e.outcome
        wanted = o.status.retried and (
            o.status is Status.PENDING or not only_transient or o.code in TRANSIENT_FAILURES
        )
        if owed(e.line, o):
            line = replace(e.line, status=Status.READY, code=None, message="")
            jobs.append(Job(line, stop_list_only=o))
            continue
        if e.line.key_type is None or not wanted:
            carried[e.line.index] = o
            continue
        line = replace(e.line, status=Status.READY, code=None, message="")
        jobs.append(_resend_job(line, o))
    return Carried(carried, jobs)
