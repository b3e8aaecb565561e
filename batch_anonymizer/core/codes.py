"""Stable reason codes: why a line has the status it has.

Every outcome and every row problem carries one ``Reason`` (or none, for a
plain success or a line ready to send). Code reads codes; messages are for
people and may be reworded freely. The values are written to the report's
``error_code`` column and to the journal, so they are a contract: add new
ones, never rename one.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why a line ended as it did. The value is what the report and the journal hold."""

    # -- the input: nothing was sent ---------------------------------------------------
    INVALID_EMAIL = "invalid_email"
    INVALID_TELEPHONE = "invalid_telephone"
    PHONE_LOST_DIGITS = "phone_lost_digits"
    PHONE_LEADING_ZERO_LOST = "phone_leading_zero_lost"
    PHONE_NEEDS_REGION = "phone_needs_region"
    NO_KEY = "no_key"
    TOO_MANY_KEYS = "too_many_keys"  # one cell holds more keys (or text) than a request can
    DUPLICATE = "duplicate"
    SKIPPED_FILTER = "skipped_filter"
    # status skipped: a Transcend pull line whose identifier type (a user id...) is not sent
    IDENTIFIER_TYPE = "identifier_type"
    # -- the request may not be erased (yet): nothing was sent --------------------------
    NOT_ERASURE = "not_erasure"  # status skipped: the request type is another right
    IDENTITY_UNVERIFIED = "identity_unverified"  # status held: identity not verified
    HOLD = "hold"  # status held: a hold cell (legal hold, Art. 17(3) exception...)

    # -- one attempt that did not settle the key (journal ``try`` records) ---------------
    TIMEOUT = "timeout"  # no answer in time after sending: the vendor may have acted
    CONNECTION = "connection"  # no connection, or it broke before the answer
    RATE_LIMITED = "rate_limited"  # HTTP 429
    SERVER_ERROR = "server_error"  # HTTP 5xx (an HTML page from a proxy, too)
    BAD_ANSWER = "bad_answer"  # a 2xx without a Data body, or a body that cannot be read

    # -- verification: what the lookups found ---------------------------------------------
    NOT_FOUND = "not_found"  # no record for the key in any form: nothing sent
    STILL_PRESENT = "still_present"  # the vendor answered success, records remain
    UNVERIFIED = "unverified"  # the vendor answered success, the lookup after it failed
    # a success for a key the ledger held as erased by an earlier run: records were found again
    REAPPEARED = "reappeared"
    # no record now, for a key an earlier unverified request was sent for without an answer:
    # it may have anonymized them, or there were none; not counted as an erasure
    GONE_UNVERIFIED = "gone_unverified"

    # -- a final answer or the end of the retries ------------------------------------------
    VENDOR_ERROR = "vendor_error"  # an Error body; the vendor's own code is in vendor_code
    HTTP_ERROR = "http_error"  # another 4xx, without an Error body
    REDIRECT = "redirect"  # a 3xx: never followed
    RETRIES_EXHAUSTED = "retries_exhausted"  # transient every time, up to --max-retries
    OUTCOME_UNKNOWN = "outcome_unknown"  # an attempt whose answer was lost decides the line
    V6_FIELD_REFUSED = "v6_field_refused"  # v6 refused the telephone field's name: the run halts

    # -- the run stopped before the line was finished (status pending) -----------------
    HALTED_AUTH = "halted_auth"  # the API refused the credentials
    HALTED_BREAKER = "halted_breaker"  # a circuit breaker (failures, Retry-After too long)
    LOOKUP_REFUSED = "lookup_refused"  # the account refuses lookups: nothing can be verified
    HALTED_JOURNAL = "halted_journal"  # the journal cannot be written: nothing more was sent
    INTERRUPTED = "interrupted"  # Ctrl-C, SIGTERM, or the caller stopped the run
    HALTED_LEDGER = "halted_ledger"  # the erasure ledger cannot be written: nothing more sent


#: What each code means, for people (docs/report.md, the workbook). Every code has one.
MEANINGS: dict[Reason, str] = {
    Reason.INVALID_EMAIL: "not a valid email address; nothing was sent",
    Reason.INVALID_TELEPHONE: "cannot be a telephone number; nothing was sent",
    Reason.PHONE_LOST_DIGITS: "Excel turned the number into 4.47E+11 or a fraction; nothing sent",
    Reason.PHONE_LEADING_ZERO_LOST: "a national number whose leading 0 Excel dropped; nothing sent",
    Reason.PHONE_NEEDS_REGION: "a national number without --default-region: its country is "
    "unknown; nothing sent",
    Reason.NO_KEY: "the row holds neither an email nor a telephone",
    Reason.TOO_MANY_KEYS: "one cell holds more than 1,000 keys (or 1,000,000 characters); "
    "nothing of that cell was sent",
    Reason.DUPLICATE: "the same key as an earlier row: sent once, for that row",
    Reason.SKIPPED_FILTER: "left out by a --where filter; nothing was sent",
    Reason.IDENTIFIER_TYPE: "a Transcend pull line whose identifier type is neither an email "
    "nor a telephone (a user id, an advertising id...): CustomerGauge cannot be asked for it; "
    "nothing was sent",
    Reason.NOT_ERASURE: "the request type is another right (access, rectification...), not "
    "erasure: nothing was sent, nothing recorded as erased; the person still needs an answer",
    Reason.IDENTITY_UNVERIFIED: "the requester's identity is not recorded as verified "
    "(GDPR Art. 12(6)): held, nothing was sent; verify it, mark the row, and run again",
    Reason.HOLD: "the row's hold cell is filled (a legal hold, an Art. 17(3) exception, a "
    "dispute; its text is in the message): held, nothing was sent",
    Reason.TIMEOUT: "no answer in time after sending: the vendor may have acted",
    Reason.CONNECTION: "the connection failed or broke before the answer",
    Reason.RATE_LIMITED: "the API answered 429 (too many requests)",
    Reason.SERVER_ERROR: "the API answered with a server error (5xx)",
    Reason.BAD_ANSWER: "a 2xx answer without a Data body, or one that cannot be read or trusted",
    Reason.NOT_FOUND: "CustomerGauge holds no record for the key, in any form; nothing was sent",
    Reason.STILL_PRESENT: "the vendor answered success, but records remain (looked up twice)",
    Reason.UNVERIFIED: "the vendor answered success, but the lookup afterwards failed",
    Reason.REAPPEARED: "anonymized again: an earlier run had erased this key (see "
    "previously_erased), and CustomerGauge held records for it again; check the import "
    "that brought them back",
    Reason.GONE_UNVERIFIED: "CustomerGauge holds no record for the key now; an earlier request "
    "(--no-verify), whose answer was lost, may have anonymized them, or there were none: "
    "not counted as an erasure; nothing was sent again",
    Reason.VENDOR_ERROR: "the API refused the key with an Error (its code is in vendor_code)",
    Reason.HTTP_ERROR: "the API refused the request (4xx) without an Error body",
    Reason.REDIRECT: "the API answered with a redirect, which is never followed",
    Reason.RETRIES_EXHAUSTED: "every attempt failed in a way that may pass (timeouts, 429, 5xx)",
    Reason.OUTCOME_UNKNOWN: "an attempt got no answer and may have anonymized the key",
    Reason.V6_FIELD_REFUSED: "the v6 API refused the name of the telephone field "
    "(--v6-phone-field); the run halted at this first refusal",
    Reason.HALTED_AUTH: "not finished: the API refused the credentials and the run halted",
    Reason.HALTED_BREAKER: "not finished: a circuit breaker halted the run",
    Reason.LOOKUP_REFUSED: "not finished: the account refuses lookups, so nothing can be "
    "verified (see --no-verify)",
    Reason.HALTED_JOURNAL: "not finished: the journal could not be written (a full disk?), "
    "so nothing more was sent",
    Reason.INTERRUPTED: "not finished: the run was interrupted",
    Reason.HALTED_LEDGER: "not finished: the erasure ledger could not be written, so nothing "
    "more was sent (the journal holds every outcome)",
}

#: Codes of failures that were transient every time: ``retry --only-transient`` sends these.
TRANSIENT_FAILURES = frozenset({Reason.RETRIES_EXHAUSTED, Reason.UNVERIFIED})


def reason(value: str) -> Reason | None:
    """The ``Reason`` of a code as written in a report or journal; None for "" or unknown."""
    return _BY_VALUE.get(value)


_BY_VALUE = {r.value: r for r in Reason}
