"""State: the durable journal, and what an earlier run already did (resume, retry).

Its face, the modules the other stages may import (``__all__``): ``journal``
(write it), ``reader`` / ``previous`` / ``resume`` (read an earlier run),
``format`` (its records), ``evidence`` (an earlier run's files checked),
``runlock`` (one process per run), ``ledger`` / ``feed`` / ``prune`` /
``secret`` (the erasure ledger and its secret), ``redactjournal`` and
``messages``. ``ledgerfile`` and ``linesdigest`` are internal to the stage and may change. Only the
top-level ``batch_anonymizer`` package is the supported library face.
"""

__all__ = [
    "evidence",
    "feed",
    "format",
    "journal",
    "ledger",
    "messages",
    "previous",
    "prune",
    "reader",
    "redactjournal",
    "resume",
    "runlock",
    "secret",
]
