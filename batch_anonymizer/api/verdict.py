"""What a key's lookups and anonymize requests prove: one table, read by one pure function.

A key's journey is a few steps (``Step``). At the end of each, two things are
known: how this run's anonymize request ended (``Posted``: not sent yet,
accepted, refused, answer lost, retries exhausted, or the run stopped first)
and what the last lookup found (``Found``: not done, failed, 0 records, n
records). ``TABLE`` says, for every combination that can happen, either the
next move (``Move``: anonymize, look again, send again) or how the key ends
(``End``: its status, its code, and what ``records_before`` and
``records_after`` say). ``decide`` reads it; ``erasure`` walks the journey and
asks it at every step, so no outcome is decided anywhere else.

What the table promises: a ``success`` only after a lookup that answered 0
records, made after the last anonymize request (``AFTER``, ``RECHECK``,
``SETTLE``), or with ``--no-verify`` (``SEND_ONLY``: the vendor's word, and
the line says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..core.codes import Reason
from ..core.records import Phase, Status


class Step(StrEnum):
    """Where a key is in its journey when the table is asked."""

    FIRST = "first"  # the lookup before anonymizing (each form in turn), never sent before
    FIRST_SENT = "first, sent before"  # ... of a key an earlier run sent (form not known)
    SETTLE = "settle"  # the lookup after an earlier run's request, which counted the records
    SETTLE_UNCOUNTED = "settle uncounted"  # ... whose run never counted them (--no-verify)
    AFTER = "after"  # the lookup after this run's anonymize request
    RECHECK = "recheck"  # the second lookup, a while after a success answer left records
    CHECK = "check"  # ``check``: the lookup is all there is
    SEND_ONLY = "send only"  # --no-verify: no lookup, the vendor's answer is all there is
    SEND_ONLY_LOST = "send only, answer lost"  # ... after an answer that was lost

    @property
    def phase(self) -> Phase:
        """The phase this step's lookups are recorded under in the journal."""
        if self in (Step.FIRST, Step.FIRST_SENT, Step.CHECK):
            return Phase.BEFORE
        return Phase.AFTER


class Posted(StrEnum):
    """How this run's anonymize request ended (the lookup afterwards decides what it means)."""

    NOT_SENT = "not sent"  # none in this step
    STOPPED = "stopped"  # the run stopped before it was answered (or sent again)
    ACCEPTED = "accepted"  # the vendor answered success
    REFUSED = "refused"  # the vendor refused (an Error, another 4xx, a redirect)
    LOST = "lost"  # the answer was lost: the vendor may have acted; retries remain
    EXHAUSTED = "exhausted"  # every attempt failed in a way that may pass


class Found(StrEnum):
    """What the step's lookup answered."""

    NOT_DONE = "not done"  # none, or the run stopped before it answered
    FAILED = "failed"  # it could not be done (an Error, retries exhausted)
    ZERO = "0 records"
    SOME = "n records"

    @staticmethod
    def of(records: int | None, *, done: bool) -> Found:
        """The kind of a lookup's answer: ``records`` None is a failure when ``done``."""
        if not done:
            return Found.NOT_DONE
        if records is None:
            return Found.FAILED
        return Found.SOME if records else Found.ZERO


class Go(StrEnum):
    """A move: the key is not settled yet."""

    ANONYMIZE = "anonymize"  # send the anonymize request (with retries)
    SEND_AGAIN = "send again"  # a lost answer, records still there: back off, send again
    RECHECK = "recheck"  # success answered, records listed: wait, look once more


class Count(StrEnum):
    """Where a records figure comes from."""

    UNKNOWN = "unknown"  # None: nobody counted
    ZERO = "zero"
    PRIOR = "prior"  # the count the earlier run's lookup made before it sent
    LOOKED = "looked"  # what this step's lookup found
    KEPT = "kept"  # the count before anonymizing, carried along the journey


class CodeOf(StrEnum):
    """A code taken from an answer, not fixed by the table."""

    LOOKUP = "lookup"  # the failed lookup's (its own code, or retries_exhausted)
    ANSWER = "answer"  # the anonymize answer's
    HALT = "halt"  # what stopped the run


class Words(StrEnum):
    """Which message a line carries (``erasure`` fills in the templates)."""

    PENDING = "pending"
    LOOKUP_FAILED = "lookup failed"
    NOT_FOUND = "not found"
    GONE_UNVERIFIED = "gone unverified"
    VERIFIED = "verified"
    VERIFIED_EARLIER = "verified earlier"
    VERIFIED_ANSWER_LOST = "verified, answer lost"
    VERIFIED_DESPITE = "verified despite"
    UNVERIFIED = "unverified"
    STILL_PRESENT = "still present"
    VENDOR = "vendor"  # the vendor's own words
    GAVE_UP = "gave up"
    MAY_HAVE_ACTED = "gave up, may have acted"
    UNCERTAIN = "uncertain"
    NOT_VERIFIED = "not verified"
    NOT_VERIFIED_AFTER_LOST = "not verified, after lost"
    WOULD_ANONYMIZE = "would anonymize"


@dataclass(frozen=True, slots=True)
class Move:
    """Not settled yet: ``go``, carrying ``before`` as the count before anonymizing."""

    go: Go
    before: Count = Count.KEPT


@dataclass(frozen=True, slots=True)
class End:
    """How the key ends: the line's status, code, records figures and words."""

    status: Status
    code: Reason | CodeOf | None
    before: Count
    after: Count
    words: Words
    found: Count = Count.UNKNOWN  # ``records_found`` (``check`` only)


def _table() -> dict[tuple[Step, Posted, Found], Move | End]:
    """The table, written with short local names so that each row reads on one line."""
    FIRST, FIRST_SENT, SETTLE, SETTLE_UNCOUNTED = (
        Step.FIRST,
        Step.FIRST_SENT,
        Step.SETTLE,
        Step.SETTLE_UNCOUNTED,
    )
    AFTER, RECHECK, CHECK, SEND_ONLY, SEND_ONLY_LOST = (
        Step.AFTER,
        Step.RECHECK,
        Step.CHECK,
        Step.SEND_ONLY,
        Step.SEND_ONLY_LOST,
    )
    N, P, A, R, L, X = (
        Posted.NOT_SENT,
        Posted.STOPPED,
        Posted.ACCEPTED,
        Posted.REFUSED,
        Posted.LOST,
        Posted.EXHAUSTED,
    )
    ND, FAILED, NO_RECORDS, RECORDS = Found.NOT_DONE, Found.FAILED, Found.ZERO, Found.SOME
    UNK, ZERO, PRIOR = Count.UNKNOWN, Count.ZERO, Count.PRIOR
    LOOKED, KEPT = Count.LOOKED, Count.KEPT
    GONE, EXHAUSTED = Reason.GONE_UNVERIFIED, Reason.RETRIES_EXHAUSTED
    S, W = Status, Words
    LOOKUP, ANSWER = CodeOf.LOOKUP, CodeOf.ANSWER

    def pending(before: Count, after: Count = UNK) -> End:
        return End(S.PENDING, CodeOf.HALT, before, after, W.PENDING)

    return {
        # -- before anonymizing: the lookup in each form in turn -------------------------------
        (FIRST, N, ND): pending(UNK),
        (FIRST, N, FAILED): End(S.FAILED, LOOKUP, UNK, UNK, W.LOOKUP_FAILED),
        (FIRST, N, NO_RECORDS): End(S.NOT_FOUND, Reason.NOT_FOUND, ZERO, UNK, W.NOT_FOUND),
        (FIRST, N, RECORDS): Move(Go.ANONYMIZE, LOOKED),
        # sent by an earlier run that never looked (or left no form): no record proves nothing
        (FIRST_SENT, N, ND): pending(UNK),
        (FIRST_SENT, N, FAILED): End(S.FAILED, LOOKUP, UNK, UNK, W.LOOKUP_FAILED),
        (FIRST_SENT, N, NO_RECORDS): End(S.NOT_FOUND, GONE, UNK, ZERO, W.GONE_UNVERIFIED),
        (FIRST_SENT, N, RECORDS): Move(Go.ANONYMIZE, LOOKED),
        # -- a key an earlier run sent, its answer unsettled: look before sending again ---------
        (SETTLE, N, ND): pending(PRIOR),
        (SETTLE, N, FAILED): End(S.FAILED, LOOKUP, PRIOR, UNK, W.LOOKUP_FAILED),
        (SETTLE, N, NO_RECORDS): End(S.SUCCESS, None, PRIOR, ZERO, W.VERIFIED_EARLIER),
        (SETTLE, N, RECORDS): Move(Go.ANONYMIZE, PRIOR),
        (SETTLE_UNCOUNTED, N, ND): pending(UNK),
        (SETTLE_UNCOUNTED, N, FAILED): End(S.FAILED, LOOKUP, UNK, UNK, W.LOOKUP_FAILED),
        (SETTLE_UNCOUNTED, N, NO_RECORDS): End(S.NOT_FOUND, GONE, UNK, ZERO, W.GONE_UNVERIFIED),
        (SETTLE_UNCOUNTED, N, RECORDS): Move(Go.ANONYMIZE, LOOKED),
        # -- after this run's anonymize request -------------------------------------------------
        (AFTER, P, ND): pending(KEPT),
        (AFTER, P, RECORDS): pending(KEPT, LOOKED),  # stopped while backing off to send again
        (AFTER, A, ND): pending(KEPT),
        (AFTER, A, FAILED): End(S.FAILED, Reason.UNVERIFIED, KEPT, UNK, W.UNVERIFIED),
        (AFTER, A, NO_RECORDS): End(S.SUCCESS, None, KEPT, ZERO, W.VERIFIED),
        (AFTER, A, RECORDS): Move(Go.RECHECK),
        (AFTER, R, ND): pending(KEPT),
        (AFTER, R, FAILED): End(S.FAILED, ANSWER, KEPT, UNK, W.VENDOR),
        (AFTER, R, NO_RECORDS): End(S.SUCCESS, None, KEPT, ZERO, W.VERIFIED_DESPITE),
        (AFTER, R, RECORDS): End(S.FAILED, ANSWER, KEPT, LOOKED, W.VENDOR),
        (AFTER, L, ND): pending(KEPT),
        (AFTER, L, FAILED): End(S.FAILED, ANSWER, KEPT, UNK, W.VENDOR),
        (AFTER, L, NO_RECORDS): End(S.SUCCESS, None, KEPT, ZERO, W.VERIFIED_ANSWER_LOST),
        (AFTER, L, RECORDS): Move(Go.SEND_AGAIN),
        (AFTER, X, ND): pending(KEPT),
        (AFTER, X, FAILED): End(S.FAILED, EXHAUSTED, KEPT, UNK, W.GAVE_UP),
        (AFTER, X, NO_RECORDS): End(S.SUCCESS, None, KEPT, ZERO, W.VERIFIED_DESPITE),
        (AFTER, X, RECORDS): End(S.FAILED, EXHAUSTED, KEPT, LOOKED, W.GAVE_UP),
        # success answered, records listed: the vendor may be slow, look once more
        (RECHECK, A, ND): pending(KEPT),
        (RECHECK, A, FAILED): End(S.FAILED, Reason.UNVERIFIED, KEPT, UNK, W.UNVERIFIED),
        (RECHECK, A, NO_RECORDS): End(S.SUCCESS, None, KEPT, ZERO, W.VERIFIED),
        (RECHECK, A, RECORDS): End(S.FAILED, Reason.STILL_PRESENT, KEPT, LOOKED, W.STILL_PRESENT),
        # -- check: nothing is changed ----------------------------------------------------------
        (CHECK, N, ND): pending(UNK),
        (CHECK, N, FAILED): End(S.FAILED, LOOKUP, UNK, UNK, W.LOOKUP_FAILED),
        (CHECK, N, NO_RECORDS): End(S.NOT_FOUND, Reason.NOT_FOUND, ZERO, UNK, W.NOT_FOUND),
        (CHECK, N, RECORDS): End(S.READY, None, LOOKED, UNK, W.WOULD_ANONYMIZE, found=LOOKED),
        # -- --no-verify: the vendor's word, and the line says so --------------------------------
        (SEND_ONLY, P, ND): pending(UNK),
        (SEND_ONLY, A, ND): End(S.SUCCESS, None, UNK, UNK, W.NOT_VERIFIED),
        (SEND_ONLY, R, ND): End(S.FAILED, ANSWER, UNK, UNK, W.VENDOR),
        (SEND_ONLY, X, ND): End(S.FAILED, EXHAUSTED, UNK, UNK, W.GAVE_UP),
        (SEND_ONLY_LOST, P, ND): pending(UNK),
        (SEND_ONLY_LOST, A, ND): End(S.SUCCESS, None, UNK, UNK, W.NOT_VERIFIED_AFTER_LOST),
        (SEND_ONLY_LOST, R, ND): End(S.FAILED, Reason.OUTCOME_UNKNOWN, UNK, UNK, W.UNCERTAIN),
        (SEND_ONLY_LOST, L, ND): Move(Go.SEND_AGAIN),
        (SEND_ONLY_LOST, X, ND): End(S.FAILED, EXHAUSTED, UNK, UNK, W.MAY_HAVE_ACTED),
    }  # fmt: skip


#: Every combination a key's journey can reach, and what it means. Nothing else decides.
TABLE = _table()


@dataclass(frozen=True, slots=True)
class Facts:
    """The figures and codes a cell may take its values from."""

    looked: int | None = None  # what this step's lookup found
    kept: int | None = None  # the count before anonymizing, carried along
    prior: int | None = None  # the count an earlier run's lookup made before it sent
    lookup_code: Reason | None = None  # the failed lookup's code
    answer_code: Reason | None = None  # the anonymize answer's code
    halt_code: Reason | None = None  # what stopped the run


@dataclass(frozen=True, slots=True)
class Decision:
    """A cell with its values filled in: the key ends (``status`` set) or moves (``go``)."""

    go: Go | None
    status: Status | None
    code: Reason | None
    before: int | None
    after: int | None
    found: int | None
    words: Words | None


def decide(step: Step, posted: Posted, found: Found, facts: Facts) -> Decision:
    """What ``step`` ending with ``posted`` and ``found`` means, its figures taken from ``facts``.

    A combination the journey cannot reach raises ``KeyError``: a bug, never an outcome.
    """
    cell = TABLE[step, posted, found]

    def count(c: Count) -> int | None:
        return {
            Count.UNKNOWN: None,
            Count.ZERO: 0,
            Count.PRIOR: facts.prior,
            Count.LOOKED: facts.looked,
            Count.KEPT: facts.kept,
        }[c]

    if isinstance(cell, Move):
        return Decision(cell.go, None, None, count(cell.before), None, None, None)
    code = cell.code
    if isinstance(code, CodeOf):
        code = {
            CodeOf.LOOKUP: facts.lookup_code,
            CodeOf.ANSWER: facts.answer_code,
            CodeOf.HALT: facts.halt_code,
        }[code]
    return Decision(
        None,
        cell.status,
        code,
        count(cell.before),
        count(cell.after),
        count(cell.found),
        cell.words,
    )
