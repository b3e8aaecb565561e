"""``Job``: a line to send, with what earlier runs already did for its key.

Every stage uses it: ``app`` plans the jobs (a resume or retry fills in the
earlier attempts, the ledger the earlier erasure), ``api`` sends them, ``state``
rebuilds them from a journal.
"""

from __future__ import annotations

from dataclasses import dataclass

from .records import KeyForm, Line, Outcome


@dataclass(frozen=True, slots=True)
class Job:
    """A line to send, with what earlier runs already tried."""

    line: Line
    prior_attempts: int = 0
    prior_unknown: int = 0  # earlier attempts whose answer was lost
    prior_message: str = ""
    prior_form: KeyForm | None = None  # the form earlier attempts sent the key in
    prior_records: int | None = None  # records an earlier lookup found before anonymizing
    # the earlier erasure the ledger holds for the key (``LedgerEntry.cited``), "" if none
    prior_erasure: str = ""
    # a verified erasure of an earlier run whose stop-list addition did not happen: only
    # the stop-list step is owed (``api.stoplist``), never another anonymize call
    stop_list_only: Outcome | None = None
