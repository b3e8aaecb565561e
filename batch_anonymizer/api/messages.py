"""What the worker pool says to people about a key or a halted run.

Templates only, filled with ``str.format``. Nothing in the package reads a
message back: behaviour follows the outcome's ``Reason`` code, so any of
these can be reworded freely (a test rewords every one and checks that
resume and retry still choose the same keys).
"""

from __future__ import annotations

# -- verified erasure ----------------------------------------------------------------------
VERIFIED = "{vendor}; {before} record(s) anonymized, none left (verified by lookup)"
VERIFIED_ANSWER_LOST = (
    "the answer was lost, but the lookup shows none left: {before} record(s) anonymized "
    "(verified by lookup)"
)
VERIFIED_EARLIER = (
    "none left (verified by lookup): an earlier request for this key, whose answer was "
    "lost, anonymized the records"
)
GONE_UNVERIFIED = (
    "CustomerGauge holds no record for this key now; an earlier request, sent without "
    "verification and whose answer was lost, may have anonymized them, or there were none "
    "(not verified; nothing was sent again)"
)
VERIFIED_DESPITE = "none left (verified by lookup), although the vendor answered: {last}"
NOT_FOUND = "CustomerGauge holds no record for this key; nothing was anonymized"
LOOKED_UP_AS = " (looked up in each form: {forms})"  # form names (key_form), never the values
STILL_PRESENT = "the vendor answered success but {after} record(s) remain (looked up twice)"
UNVERIFIED = (
    "the vendor answered success, but the lookup afterwards failed ({last}): "
    "not verified; retry to verify"
)
REMAIN = "{last}; {after} record(s) remain"
NOT_VERIFIED = "vendor answered success (not verified)"
LOOKUP_FAILED = "could not look the key up ({last}); nothing was sent"
WOULD_ANONYMIZE = "{before} record(s) would be anonymized"

# -- unverified runs (--no-verify) -----------------------------------------------------------
GAVE_UP = "gave up after {attempts} attempts: {last}"
MAY_HAVE_ACTED = " ({unknown} attempt(s) with no known answer: the vendor may have acted)"
AFTER_LOST = " (after {unknown} earlier attempt(s) whose answer was lost)"
UNCERTAIN = (
    "outcome uncertain: {unknown} earlier attempt(s) got no answer and may have "
    "anonymized this key; the last attempt answered: {last}. "
    "Run again with verification (without --no-verify) to settle it"
)

PENDING_ANSWER_LOST = "sent {attempts} time(s), answer lost (outcome unknown); run halted: {halted}"
PENDING_UNFINISHED = "not finished: {last}; run halted: {halted}"
PENDING_NOT_SENT = "not sent: run halted: {halted}"

HALT_AUTH = "the API refused the credentials (HTTP {status} {last})"
HALT_LOOKUP = (
    "the account refuses lookups (HTTP {status} {last}), so no erasure can be verified; "
    "nothing more was sent. Ask CustomerGauge to allow the lookup, or run again with "
    "--no-verify to rely on the vendor's answers alone"
)
HALT_JOURNAL = "the journal could not be written, so the run stopped: {error}"
HALT_WAIT = (
    "the API asked to wait {wait:.0f} s (Retry-After), longer than --max-wait {max_wait:g} s"
)
HALT_CONSECUTIVE = "{failed} keys failed in a row (--max-consecutive-failures {limit})"
HALT_FAILURE_RATE = "{failed} of {finished} finished keys failed (--max-failure-rate {limit:.0%})"

LOG_OUTCOME = "row {row} {key_type} {key}: {status} (HTTP {http}, {attempts} attempt(s)) {message}"

# -- keys an earlier run erased (the ledger) -------------------------------------------------
REAPPEARED = (
    "re-appeared in CustomerGauge after an earlier erasure ({earlier}): anonymized again; "
    "check the import that brought them back. {message}"
)
ERASED_BEFORE = " (erased earlier: {earlier})"

# -- the vendor's stop list (--stop-list) ----------------------------------------------------
STOP_ADDED = "; added to the vendor's stop list"
STOP_FAILED = "; NOT added to the vendor's stop list ({last}): add it by hand"

# -- the v6 API ----------------------------------------------------------------------------
V6_FIELD_REFUSED = (
    "the v6 API refused the telephone field name '{sent}' (HTTP {status}: {vendor}); "
    "if this account takes '{other}', send again with --v6-phone-field {other}"
)
V6_UNKNOWN_SHAPE = (
    "HTTP {status} with an answer of a shape the v6 API is not known to give "
    "(its answers are not published): {excerpt}"
)
V6_CONTRADICTS = (
    "HTTP {status} with a body that contradicts itself (an error and a success, "
    "or a key twice): {excerpt}"
)
V6_NO_CONTENT = "HTTP 204: done (no content)"
V6_DONE = "anonymized"
HALT_AT_ONCE = "every telephone key would be refused alike, so nothing more was sent: {message}"
