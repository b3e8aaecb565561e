"""A request's outcome in the Data Rights Protocol's words: its status and reason codes.

DSR platforms and agents read request outcomes as fixed codes; the Data Rights
Protocol (DRP, section 3.02 "Request Statuses") names them: ``open``,
``in_progress``, ``fulfilled``, ``revoked``, ``expired``, and ``denied`` with a
reason (``suspected_fraud``, ``insuf_verification``, ``no_match``,
``claim_not_covered``, ``outside_jurisdiction``, ``too_many_requests``,
``other``). ``PROTOCOL`` is the one table from this tool's request outcomes (a
held request by why it is held) to those codes (documented in docs/protocol.md);
the Requests sheet, its csv twin and the receipts all read it. Only
``fulfilled`` and ``denied`` are final in the protocol: a request this tool has
not finished is ``in_progress`` (or ``open`` when nothing of it was part of the
run, or it asks for another right).
"""

from __future__ import annotations

from enum import StrEnum

from .codes import Reason
from .requests import Request, RequestOutcome


class ProtocolStatus(StrEnum):
    """DRP request states used here (values as the protocol writes them)."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    FULFILLED = "fulfilled"
    DENIED = "denied"


class ProtocolReason(StrEnum):
    """DRP reasons used here ("" is no reason)."""

    NONE = ""
    NO_MATCH = "no_match"  # the business could not match the person to any data
    INSUF_VERIFICATION = "insuf_verification"  # the identity could not be verified


Cell = tuple[ProtocolStatus, ProtocolReason]

#: (request outcome, why held) -> (protocol_status, protocol_reason). Every outcome has a
#: row; a held request has one per reason it may be held for (identity first).
PROTOCOL: dict[tuple[RequestOutcome, Reason | None], Cell] = {
    # every key anonymized and verified gone (or not held)
    (RequestOutcome.ERASED, None): (ProtocolStatus.FULFILLED, ProtocolReason.NONE),
    # CustomerGauge held nothing: the protocol's own pairing for "no data" is denied/no_match
    (RequestOutcome.NO_DATA_HELD, None): (ProtocolStatus.DENIED, ProtocolReason.NO_MATCH),
    # the vendor said success, no lookup proved it: not fulfilled until verified
    (RequestOutcome.ANONYMIZED_UNVERIFIED, None): (ProtocolStatus.IN_PROGRESS, ProtocolReason.NONE),
    # a key failed, is pending or could not be sent: still being worked on
    (RequestOutcome.INCOMPLETE, None): (ProtocolStatus.IN_PROGRESS, ProtocolReason.NONE),
    # no usable key: the team must find one; the person still needs an answer
    (RequestOutcome.INVALID, None): (ProtocolStatus.IN_PROGRESS, ProtocolReason.NONE),
    # dry run or check: nothing done yet
    (RequestOutcome.READY, None): (ProtocolStatus.OPEN, ProtocolReason.NONE),
    # left out of the run (--where): nothing done yet
    (RequestOutcome.SKIPPED, None): (ProtocolStatus.OPEN, ProtocolReason.NONE),
    # another right (access...): nothing for this erasure tool to do; the answer is owed
    # elsewhere, so the request stays as it was received
    (RequestOutcome.NOT_ERASURE, None): (ProtocolStatus.OPEN, ProtocolReason.NONE),
    # held because the requester's identity is not verified (GDPR Art. 12(6))
    (RequestOutcome.HELD, Reason.IDENTITY_UNVERIFIED): (
        ProtocolStatus.DENIED,
        ProtocolReason.INSUF_VERIFICATION,
    ),
    # held by a hold cell (a legal hold, an Art. 17(3) ground, a dispute): a person decides;
    # the protocol's denials are final, and a hold may be lifted
    (RequestOutcome.HELD, Reason.HOLD): (ProtocolStatus.IN_PROGRESS, ProtocolReason.NONE),
}


def held_for(r: Request) -> Reason | None:
    """Why a held request is held (identity first: it is the one the protocol names);
    None for a request that is not held."""
    if r.outcome is not RequestOutcome.HELD:
        return None
    codes = {e.outcome.code for e in r.entries}
    return Reason.IDENTITY_UNVERIFIED if Reason.IDENTITY_UNVERIFIED in codes else Reason.HOLD


def protocol_cell(outcome: RequestOutcome, held: Reason | None = None) -> tuple[str, str]:
    """``(protocol_status, protocol_reason)`` of an outcome (a held one: by why it is held)."""
    status, why = PROTOCOL[(outcome, held)]
    return status.value, why.value


def protocol_codes(r: Request) -> tuple[str, str]:
    """``(protocol_status, protocol_reason)`` of a request, as written in the report."""
    return protocol_cell(r.outcome, held_for(r))


_OUTCOMES = {outcome for outcome, _ in PROTOCOL}
if set(RequestOutcome) != _OUTCOMES:  # a new outcome must be given its protocol codes
    raise RuntimeError("core.protocol.PROTOCOL must map every RequestOutcome")
