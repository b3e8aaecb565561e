"""Erasure requests: what the report says per request, as records and fixed values.

A request is what a person asked for once ("erase me"); it holds the keys of
one or more input rows. ``requests.derive`` makes these records from the
report's lines; ``audit`` writes them (the Requests sheet, the Summary, the
certificates). The values of ``RequestOutcome``, ``OnTime`` and
``DeadlineCode`` are written to the report: they are a contract.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from .records import Line, Outcome

#: A request not completed whose due date is at most this many days away is ``due_soon``.
DUE_SOON_DAYS = 7


class RequestOutcome(StrEnum):
    """What happened to a request, from the statuses of its keys."""

    ERASED = "erased"  # every key success or not_found, at least one success (verified)
    NO_DATA_HELD = "no_data_held"  # every key not_found: CustomerGauge held nothing
    ANONYMIZED_UNVERIFIED = "anonymized_unverified"  # as erased, but --no-verify
    INCOMPLETE = "incomplete"  # a key failed, is pending, or could not be sent
    INVALID = "invalid"  # no usable key at all: nothing could be done
    READY = "ready"  # dry run or check: would be sent
    SKIPPED = "skipped"  # every row left out by --where: not a request of this run
    NOT_ERASURE = "not_erasure"  # another right (access...): nothing sent, still owed an answer
    HELD = "held"  # identity not verified, or a hold: nothing of it sent

    @property
    def completed(self) -> bool:
        """The person's request is answered: erased, or no data held."""
        return self in (RequestOutcome.ERASED, RequestOutcome.NO_DATA_HELD)


#: What each outcome means, for people (the Summary, docs/requests.md, the certificates).
OUTCOME_MEANINGS: dict[RequestOutcome, str] = {
    RequestOutcome.ERASED: "every key anonymized and verified gone, or not held",
    RequestOutcome.NO_DATA_HELD: "CustomerGauge held no record for any of its keys",
    RequestOutcome.ANONYMIZED_UNVERIFIED: "the vendor answered success for every key, "
    "not verified by lookup (--no-verify): not counted as completed",
    RequestOutcome.INCOMPLETE: "a key failed, is still pending or could not be sent: "
    "see Needs attention",
    RequestOutcome.INVALID: "no usable email or telephone: nothing could be done; "
    "the person still needs an answer",
    RequestOutcome.READY: "dry run or check: would be sent",
    RequestOutcome.SKIPPED: "every row left out by --where: not processed in this run",
    RequestOutcome.NOT_ERASURE: "not an erasure request (access, rectification...): nothing "
    "was sent; the person still needs an answer to that request",
    RequestOutcome.HELD: "held: identity not verified, or a hold (legal hold, Art. 17(3) "
    "exception); nothing of it was sent: see Needs attention",
}


class OnTime(StrEnum):
    """A request against its due date, as of the report's date."""

    YES = "yes"  # completed on or before the due date
    LATE = "late"  # completed after it
    OVERDUE = "overdue"  # not completed, and the due date has passed
    DUE_SOON = "due_soon"  # not completed, due within DUE_SOON_DAYS days
    OPEN = "open"  # not completed, more time left


ON_TIME_MEANINGS: dict[OnTime, str] = {
    OnTime.YES: "completed on or before the due date",
    OnTime.LATE: "completed after the due date",
    OnTime.OVERDUE: "not completed, and the due date has passed",
    OnTime.DUE_SOON: f"not completed, due within {DUE_SOON_DAYS} days",
    OnTime.OPEN: "not completed, more time left",
}


class DeadlineCode(StrEnum):
    """Why a request's deadline is empty or may be wrong (the sheet's ``deadline_code``)."""

    NO_DATE = "no_date"
    AMBIGUOUS_DATE = "ambiguous_date"
    INVALID_DATE = "invalid_date"
    UNCLEAR_EXTENSION = "unclear_extension"
    LATE_EXTENSION = "late_extension"
    EXTENSION_BEFORE_RECEIPT = "extension_before_receipt"
    FUTURE_DATE = "future_date"
    # the DSR platform's own count of days left (Transcend's daysUntilOverdue) puts the
    # deadline more than a day away from the tool's due date
    PLATFORM_DEADLINE = "platform_deadline"


DEADLINE_MEANINGS: dict[DeadlineCode, str] = {
    DeadlineCode.NO_DATE: "the date received is empty: no due date",
    DeadlineCode.AMBIGUOUS_DATE: "a typed date such as 05/03/2024 may be day-first or "
    "month-first: give --day-first or --month-first; no due date until then",
    DeadlineCode.INVALID_DATE: "the date received is not a date (or has a two-digit year): "
    "no due date",
    DeadlineCode.UNCLEAR_EXTENSION: "the extension cell cannot be read (neither yes/no, a date "
    "nor a reason; or a typed date whose two readings judge differently): counted as not "
    "extended",
    DeadlineCode.LATE_EXTENSION: "the person was told of the extension after the one-month due "
    "date: it does not count (Art. 12(3)), the due date is the one-month date",
    DeadlineCode.EXTENSION_BEFORE_RECEIPT: "the extension is dated before the request was "
    "received, which cannot be right: counted as not extended; correct the cell",
    DeadlineCode.FUTURE_DATE: "the date received is after the day of the report, which cannot "
    "be right: no due date; correct the cell",
    DeadlineCode.PLATFORM_DEADLINE: "the DSR platform's deadline (Transcend's daysUntilOverdue, "
    "counted from the report's date) differs from the due date by more than a day: check "
    "which one is right (a regime, an extension the platform knows of)",
}

#: Codes that put a request's lines on Needs attention: the deadline needs a person's look.
DEADLINE_ATTENTION = frozenset(
    {
        DeadlineCode.UNCLEAR_EXTENSION,
        DeadlineCode.LATE_EXTENSION,
        DeadlineCode.EXTENSION_BEFORE_RECEIPT,
        DeadlineCode.FUTURE_DATE,
        DeadlineCode.PLATFORM_DEADLINE,
    }
)


@dataclass(frozen=True, slots=True)
class RequestKey:
    """One line of a request, with the outcome that counts for it.

    For a duplicate key that is the outcome of the line that sent it;
    ``via`` names the other request that line belongs to ("" when it is this one).
    """

    line: Line
    outcome: Outcome
    via: str = ""


@dataclass(frozen=True, slots=True)
class Request:
    """One erasure request of the report (one line of the Requests sheet).

    ``rows`` are its input rows as (sheet, row number); ``cells`` the input
    cells of its first row; ``entries`` its lines in input order (lines left
    out by --where excepted). ``duplicate_of`` names the other requests that
    sent some of its keys. ``on_time`` and ``days_left`` are as of the
    report's date; both are None without a due date. ``extension_reason`` is
    the reason its extension cell gives (``Yes (complex)``: ``complex``).
    """

    request: str
    by_row: bool  # identified by its input row (no request id)
    rows: tuple[tuple[str | None, int], ...]
    received: dt.date | None
    due: dt.date | None
    extended: bool
    outcome: RequestOutcome
    key_count: int
    records_anonymized: int | None
    completed_at: str  # UTC ISO 8601; "" unless completed
    on_time: OnTime | None
    days_left: int | None
    duplicate_of: tuple[str, ...]
    code: DeadlineCode | None
    cells: tuple[str, ...]
    entries: tuple[RequestKey, ...]
    extension_reason: str = ""
    # what the input says may be done, as written in its rows (distinct cells joined by
    # "; "): the request type and the identity check (None: the input has no such column),
    # the hold ("" when none)
    request_type: str | None = None
    identity: str | None = None
    hold: str = ""
    # who handles it, as the input's Handled by / Owner / Assignee cells say ("": no such
    # column, or empty: the register names the operator)
    handled_by: str = ""


#: What a request without a type column, or without an identity column, is said to be.
NO_TYPE_COLUMN = "no request-type column: every row treated as an erasure request"
NO_IDENTITY_COLUMN = "identity verification: not recorded in the input"
#: The run-fact settings naming the columns that decided which rows may be erased (the
#: request type, the identity check, the hold). Named apart from the options' own settings
#: (``setting.type_column`` is --type-column as given, which a resume compares).
GATE_SETTINGS = ("types_from", "identity_from", "holds_from")
