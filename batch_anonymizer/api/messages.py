"""What the worker pool says to people about a key or a halted run.

Templates only, filled with ``str.format``. Nothing in the package reads a
message back: behaviour follows the outcome's ``Reason`` code, so any of
these can be reworded freely (a test rewords every one and checks that
resume and retry still choose the same keys).
"""

from __future__ import annotations

GAVE_UP = "gave up after {attempts} attempts: {last}"
MAY_HAVE_ACTED = " ({unknown} attempt(s) with no known answer: the vendor may have acted)"
AFTER_LOST = " (after {unknown} earlier attempt(s) whose answer was lost)"
UNCERTAIN = (
    "outcome uncertain: {unknown} earlier attempt(s) got no answer and may have "
    "anonymized this key; the last attempt answered: {last}. "
    "Check with `batch-anonymizer check` before sending again"
)
PRECHECK_SETTLED = (
    "verified by pre-check: no records remain for this key; an earlier attempt "
    "whose answer was lost anonymized them (last answer: {last})"
)
CREDENTIALS_REFUSED = "not anonymized: credentials refused ({last}); run halted"

PENDING_ANSWER_LOST = "sent {attempts} time(s), answer lost (outcome unknown); run halted: {halted}"
PENDING_UNFINISHED = "not finished: {last}; run halted: {halted}"
PENDING_NOT_SENT = "not sent: run halted: {halted}"

HALT_AUTH = "the API refused the credentials (HTTP {status} {last})"
HALT_WAIT = (
    "the API asked to wait {wait:.0f} s (Retry-After), longer than --max-wait {max_wait:g} s"
)
HALT_CONSECUTIVE = "{failed} keys failed in a row (--max-consecutive-failures {limit})"
HALT_FAILURE_RATE = "{failed} of {finished} finished keys failed (--max-failure-rate {limit:.0%})"

LOG_OUTCOME = "row {row} {key_type} {key}: {status} (HTTP {http}, {attempts} attempt(s)) {message}"
