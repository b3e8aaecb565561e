"""A request's outcome in the Data Rights Protocol's words: its status and reason codes.

DSR platforms and agents read request outcomes as fixed codes; the Data Rights
Protocol (DRP, section 3.02 "Request Statuses") names them: ``open``,
``in_progress``, ``fulfilled``, ``revoked``, ``expired``, and ``denied`` with a
reason (``suspected_fraud``, ``insuf_verification``, ``no_match``,
``claim_not_covered``, ``outside_jurisdiction``, ``too_many_requests``,
``other``). ``PROTOCOL`` is the one table from this tool's request outcomes to
those codes (documented in docs/protocol.md); the Requests sheet, its csv twin
and the receipts all read it. Only ``fulfilled`` and ``denied`` are final in the
protocol: a request this tool has not finished is ``in_progress`` (or ``open``
when nothing of it was part of the run).
"""

from __future__ import annotations

from enum import StrEnum

from .requests import RequestOutcome


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


#: Request outcome -> (protocol_status, protocol_reason). Every outcome has one.
PROTOCOL: dict[RequestOutcome, tuple[ProtocolStatus, ProtocolReason]] = {
    # every key anonymized and verified gone (or not held)
    RequestOutcome.ERASED: (ProtocolStatus.FULFILLED, ProtocolReason.NONE),
    # CustomerGauge held nothing: the protocol's own pairing for "no data" is denied/no_match
    RequestOutcome.NO_DATA_HELD: (ProtocolStatus.DENIED, ProtocolReason.NO_MATCH),
    # the vendor said success, no lookup proved it: not fulfilled until verified
    RequestOutcome.ANONYMIZED_UNVERIFIED: (ProtocolStatus.IN_PROGRESS, ProtocolReason.NONE),
    # a key failed, is pending or could not be sent: still being worked on
    RequestOutcome.INCOMPLETE: (ProtocolStatus.IN_PROGRESS, ProtocolReason.NONE),
    # no usable key: the team must find one; the person still needs an answer
    RequestOutcome.INVALID: (ProtocolStatus.IN_PROGRESS, ProtocolReason.NONE),
    # dry run or check: nothing done yet
    RequestOutcome.READY: (ProtocolStatus.OPEN, ProtocolReason.NONE),
    # left out of the run (--where): nothing done yet
    RequestOutcome.SKIPPED: (ProtocolStatus.OPEN, ProtocolReason.NONE),
}


def protocol_codes(outcome: RequestOutcome) -> tuple[str, str]:
    """``(protocol_status, protocol_reason)`` of a request outcome, as written in the report."""
    status, why = PROTOCOL[outcome]
    return status.value, why.value


if set(PROTOCOL) != set(RequestOutcome):  # a new outcome must be given its protocol codes
    raise RuntimeError("core.protocol.PROTOCOL must map every RequestOutcome")
