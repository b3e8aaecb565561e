"""What was decided for a request, in the register's words: the one table of decisions.

The Requests sheet's ``decision`` column, its ``decision_note`` and the
certificate's Decision line come from here. The words are a contract (scripts
and registers read them): ``erased``, ``no data held``, ``held``, ``not an
erasure``, ``invalid``, ``incomplete``. A request no decision was taken on in
this run (a dry run's ``ready``, one left out by --where) has none ("").
A success the vendor answered but no lookup verified (``--no-verify``) is not
called erased: it is ``incomplete`` until a lookup shows nothing is left, as
the Summary does not count it completed either.
"""

from __future__ import annotations

from enum import StrEnum

from .codes import Reason
from .records import RunFacts
from .requests import DeadlineCode, Request, RequestOutcome


class Decision(StrEnum):
    """The decision on a request, as the register writes it."""

    ERASED = "erased"
    NO_DATA_HELD = "no data held"
    HELD = "held"
    NOT_ERASURE = "not an erasure"
    INVALID = "invalid"
    INCOMPLETE = "incomplete"


#: Deadline codes that say an extension cell was not counted.
EXTENSION_NOT_COUNTED = frozenset(
    {
        DeadlineCode.LATE_EXTENSION,
        DeadlineCode.EXTENSION_BEFORE_RECEIPT,
        DeadlineCode.UNCLEAR_EXTENSION,
    }
)

#: The decision per outcome (None: no decision in this run). Every outcome is a row here.
DECISIONS: dict[RequestOutcome, Decision | None] = {
    RequestOutcome.ERASED: Decision.ERASED,
    RequestOutcome.NO_DATA_HELD: Decision.NO_DATA_HELD,
    RequestOutcome.ANONYMIZED_UNVERIFIED: Decision.INCOMPLETE,
    RequestOutcome.INCOMPLETE: Decision.INCOMPLETE,
    RequestOutcome.INVALID: Decision.INVALID,
    RequestOutcome.READY: None,
    RequestOutcome.SKIPPED: None,
    RequestOutcome.NOT_ERASURE: Decision.NOT_ERASURE,
    RequestOutcome.HELD: Decision.HELD,
}


def decision(r: Request) -> str:
    """The register's ``decision`` of ``r`` ("" when none was taken in this run)."""
    said = DECISIONS[r.outcome]
    return said.value if said is not None else ""


def decision_note(r: Request) -> str:
    """Why the decision is what it is, in a few words joined by "; ": the hold and its
    reason, an identity not verified, an anonymization not verified, the extension and its
    reason (or that none was given, or that it does not count), the request type of
    another right. "" when there is nothing to add."""
    notes = []
    if r.hold:
        notes.append(f"hold: {r.hold}")
    if any(e.outcome.code is Reason.IDENTITY_UNVERIFIED for e in r.entries):
        notes.append(f"identity not verified ({r.identity or 'empty'})")
    if r.outcome is RequestOutcome.ANONYMIZED_UNVERIFIED:
        notes.append("anonymized on the vendor's answer, not verified by lookup (--no-verify)")
    if r.outcome is RequestOutcome.NOT_ERASURE and r.request_type:
        notes.append(f"request type: {r.request_type}")
    if r.code in EXTENSION_NOT_COUNTED:
        notes.append(
            f"extension not counted ({_code(r.code)})"
            + (f": {r.extension_reason}" if r.extension_reason else "")
        )
    elif r.extended:
        notes.append(f"extended: {r.extension_reason or 'no reason given'}")
    elif r.extension_reason:
        notes.append(f"not extended; extension reason given: {r.extension_reason}")
    return "; ".join(notes)


#: The run-facts settings of ``--approved-by NAME`` and of a run that writes the reply
#: drafts (``--certificates``): a report rebuilt or certified later says the same.
APPROVED_BY, DRAFTS = "approved_by", "certificates"


def run_by(facts: RunFacts) -> str:
    """Who ran the run: ``user on host`` (the OS user and computer the run recorded)."""
    who = facts.operator or "not recorded"
    return f"{who} on {facts.host_name}" if facts.host_name else who


def handled_by(r: Request, facts: RunFacts) -> str:
    """Who handles ``r``: the input's handler column, else the operator of the run."""
    return r.handled_by or run_by(facts)


def approved_by(facts: RunFacts) -> str:
    """The approver the run recorded (``--approved-by``), "" when none."""
    return dict(facts.settings).get(APPROVED_BY, "")


def with_drafts(facts: RunFacts) -> bool:
    """Whether the run writes a reply draft per request (``--certificates``)."""
    return any(name == DRAFTS for name, _ in facts.settings)


def _code(code: DeadlineCode | None) -> str:
    return code.value if code is not None else ""
