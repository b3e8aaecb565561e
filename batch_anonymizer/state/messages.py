"""What the state stage says to people: resend notes and lines a journal left unfinished.

Templates only (``str.format``); nothing reads them back, so any can be
reworded (a test rewords every one and checks resume and retry still choose
the same keys).
"""

from __future__ import annotations

RESENT_UNKNOWN = (
    "resent after an interrupted run: {unknown} earlier attempt(s) had no recorded answer "
    "(outcome unknown)"
)
RESENT = "resent: earlier run left it {status} ({message})"
JOURNAL_ANSWER_LOST = "sent {attempts} time(s), answer lost (outcome unknown)"
JOURNAL_UNFINISHED = "sent, not finished"
NOT_SENT_INTERRUPTED = "not sent: the run was interrupted"

HALT_LEDGER = (
    "the erasure ledger could not be written, so the run stopped ({error}); the journal "
    "holds every outcome: once the ledger can be written, the same command and options "
    "plus `--resume JOURNAL` record them in it, and send any key the run did not finish "
    "(or add --no-ledger)"
)
