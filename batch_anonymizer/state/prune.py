"""The ledger's own retention: ``ledger prune --older-than YEARS``.

Removes the entries of settled requests (every key of the request ``success``
or ``not_found``; an entry without a request id is a request of its own)
that finished before the cut-off, and records in the same transaction how
many it removed per month and outcome, in the table ``pruned``, so a gap in
``ledger stats`` or an empty ``history`` is explained. Failed keys, and the
other keys of a request that has one, are kept: someone still has to act.

The table is created when first needed (``IF NOT EXISTS``): a ledger that was
never pruned is unchanged, and an older version of the tool, which does not
know the table, still reads the ledger.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from ..core.errors import LedgerError, UsageError
from ..core.timefmt import iso_now, utc_now
from .ledger import SETTLING, Ledger

_TABLE = """CREATE TABLE IF NOT EXISTS pruned (
    month TEXT NOT NULL,
    outcome TEXT NOT NULL,
    entries INTEGER NOT NULL,
    before TEXT NOT NULL,
    pruned_at TEXT NOT NULL
)"""
# An entry of a settled request, finished before the cut-off (the one parameter).
_PRUNABLE = f"""finished_at < ? AND outcome IN {SETTLING!r} AND NOT (
    request_id != '' AND EXISTS (
        SELECT 1 FROM entries AS other WHERE other.run_id = entries.run_id
        AND other.request_id = entries.request_id AND other.outcome NOT IN {SETTLING!r}
    )
)"""  # noqa: S608 -- SETTLING is this module's constant, never text from outside


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one ``prune`` removed (or, from ``pruned``, what every prune removed)."""

    month: str  # YYYY-MM the entries finished in
    outcome: str
    entries: int
    before: str  # the cut-off: entries finished before it
    pruned_at: str


def cutoff(years: int, now: datetime | None = None) -> str:
    """The UTC time ``years`` years before ``now``, as the ledger writes times."""
    if years < 1:
        raise UsageError("ledger prune --older-than takes a number of years, 1 or more")
    now = now or utc_now()
    try:
        then = now.replace(year=now.year - years)
    except ValueError:  # 29 February
        then = now.replace(year=now.year - years, day=28)
    return then.strftime("%Y-%m-%dT%H:%M:%SZ")


def prune(ledger: Ledger, years: int, now: datetime | None = None) -> list[Pruned]:
    """Remove the entries of settled requests older than ``years``; what was removed.

    ``ledger`` is opened for writing (its kind and integrity checked on opening).
    """
    before, at = cutoff(years, now), iso_now()
    if ledger.readonly:
        raise LedgerError(f"the ledger {ledger.path} is open read-only: nothing was pruned")
    db = ledger.db
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute(_TABLE)
        counts = db.execute(
            "SELECT substr(finished_at, 1, 7) AS month, outcome, count(*) FROM entries "  # noqa: S608
            f"WHERE {_PRUNABLE} GROUP BY month, outcome ORDER BY month, outcome",
            (before,),
        ).fetchall()
        done = [Pruned(str(m), str(o), int(n), before, at) for m, o, n in counts]
        db.executemany(
            "INSERT INTO pruned VALUES (?, ?, ?, ?, ?)",
            [(p.month, p.outcome, p.entries, p.before, p.pruned_at) for p in done],
        )
        db.execute(f"DELETE FROM entries WHERE {_PRUNABLE}", (before,))  # noqa: S608
        db.execute("COMMIT")
    except sqlite3.Error as exc:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise LedgerError(f"cannot prune the ledger {ledger.path}: {exc}") from None
    return done


def pruned(ledger: Ledger) -> list[Pruned]:
    """Every count ``prune`` recorded, oldest month first ([] for a ledger never pruned)."""
    db = ledger.db
    try:
        has = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pruned'"
        ).fetchone()
        if not has:
            return []
        rows = db.execute(
            "SELECT month, outcome, entries, before, pruned_at FROM pruned "
            "ORDER BY month, outcome, pruned_at"
        ).fetchall()
    except sqlite3.Error as exc:
        raise LedgerError(f"cannot read the ledger {ledger.path}: {exc}") from None
    return [Pruned(str(m), str(o), int(n), str(b), str(a)) for m, o, n, b, a in rows]
