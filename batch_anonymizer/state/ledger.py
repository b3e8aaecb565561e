"""The erasure ledger: every finished key of every run, as a keyed hash, in one SQLite file.

It answers "was this person erased, and when?" long after the reports are
gone, and lets ``screen`` keep erased people out of the next upload. It holds
only what suppression and proof need, and never a key: per finished key, the
HMAC-SHA-256 of its identity (``core.identity.pseudonym``: the email
lower-cased, the telephone in the vendor's stored form), the key type, a
masked hint (``j***@example.com``), the outcome and its code, the records
before and after, when it finished, the run id, the input's SHA-256, the
request id (or, when the id holds an email or a telephone, ``withheld:`` and
its keyed hash: never a key in plain text), and whether it went on the
vendor's stop list.

One file (standard library ``sqlite3``), in WAL mode with a busy timeout, so
two runs writing it at the same time both succeed; each batch of entries is
one ``BEGIN IMMEDIATE`` transaction. ``UNIQUE (run_id, key_type, key_hmac)``
makes recording idempotent: a resume records again what its journal holds,
and what the ledger had already is left as it was. ``meta`` records the
secret's fingerprint (a ledger refuses another secret) and whether it is a
sandbox ledger (fictional people). The file itself: ``ledgerfile``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from operator import attrgetter
from pathlib import Path
from typing import Any

from ..core.errors import LedgerError
from ..core.identity import guess_type, pseudonym
from ..core.records import STOP_ADDED, STOP_FAILED, KeyType, Line, Status
from ..core.timefmt import iso_now
from .ledgerfile import (
    KIND_SANDBOX,
    MIGRATIONS,
    SCHEMA_VERSION,
    check_integrity,
    check_kind,
    connect,
    create_ledger,
    meta_value,
    schema_version,
)
from .secret import fingerprint

#: Outcomes that settle an erasure request (``Status.settles_request``): the person asked to
#: be forgotten, and was (``success``), or CustomerGauge held nothing of them (``not_found``).
SETTLING = tuple(s.value for s in Status if s.settles_request)
_SETTLING_MARKS = ", ".join("?" * len(SETTLING))
_CHUNK = 500  # host parameters per query: well below SQLite's limit


#: How an entry's ``request_id`` starts when the id held a key: its keyed hash follows.
WITHHELD = "withheld:"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One finished key of one run, as the ledger holds it (never the key itself)."""

    key_hmac: str
    key_type: str
    key_hint: str
    outcome: str  # the report's status: success, not_found or failed
    code: str  # the report's error_code ("" for a plain success)
    records_before: int | None
    records_after: int | None
    finished_at: str  # UTC ISO 8601
    run_id: str
    input_sha256: str
    request_id: str = ""  # or WITHHELD + its keyed hash, when the id held a key
    stop_list: str = ""  # added, failed, or "" when not asked

    @property
    def request_withheld(self) -> bool:
        """Whether the run's request id held a key, so only its keyed hash is kept."""
        return self.request_id.startswith(WITHHELD)

    def cited(self) -> str:
        """How a report line cites this entry: ``<finished_at> run <run_id> (<outcome>)``."""
        return f"{self.finished_at} run {self.run_id} ({self.outcome})"


ENTRY_COLUMNS = tuple(f.name for f in fields(LedgerEntry))
_row = attrgetter(*ENTRY_COLUMNS)  # an entry's values in column order (astuple copies deeply)
# Column names from the dataclass, values always as parameters: no text from outside.
_SELECT = f"SELECT {', '.join(ENTRY_COLUMNS)} FROM entries"  # noqa: S608


class Ledger:
    """An open ledger file. ``bind`` gives it the secret (checked against the fingerprint).

    ``readonly``: opened ``mode=ro`` for reading (never created, migrated or written).

    Not for concurrent use from several threads at once; one call at a time
    from any thread is fine (a run writes from a worker thread).
    """

    def __init__(
        self,
        path: Path,
        *,
        create: bool,
        sandbox: bool = False,
        busy_timeout: float = 30.0,
        readonly: bool = False,
    ) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self.readonly = readonly
        self._secret: bytes | None = None
        self._full = False  # commits are fsynced (synchronous=FULL; set on opening to write)
        self._unsynced = False  # a commit since the last fsync was not fsynced
        if not path.exists():
            if not create or readonly:
                raise LedgerError(
                    f"there is no ledger at {path}: no run has recorded into it yet "
                    "(give another with --ledger PATH or BATCH_ANONYMIZER_LEDGER)"
                )
            create_ledger(path, sandbox)
        try:
            self._db = connect(path, busy_timeout, readonly)
        except sqlite3.Error as exc:
            raise self._error("open", exc) from None
        try:
            check_kind(self._db, self.path)  # before anything writes to what is no ledger
            if not readonly:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                self._full = True
                check_integrity(self._db, self.path)
                self._migrate()
        except sqlite3.Error as exc:
            self._db.close()
            raise self._error("open", exc) from None
        except LedgerError:
            self._db.close()
            raise

    # -- opening -----------------------------------------------------------------------

    def _migrate(self) -> None:
        if self.schema_version() == SCHEMA_VERSION:
            return
        with self._write():
            version = self.schema_version()  # another run may have migrated it meanwhile
            for step in MIGRATIONS[version:]:
                for statement in step:
                    self._db.execute(statement)
            self._db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    @property
    def db(self) -> sqlite3.Connection:
        """The open connection, for the ledger's own state modules (``prune``)."""
        return self._db

    def schema_version(self) -> int:
        """The schema of the file: 0 for a new, empty one."""
        return schema_version(self._db)

    def meta(self, name: str) -> str:
        """A ``meta`` value ("" when unset): ``kind``, ``secret_fingerprint``, ``created_at``."""
        return meta_value(self._db, name)

    @property
    def sandbox(self) -> bool:
        """Whether this ledger records test runs (the built-in sandbox, a test server)."""
        return self.meta("kind") == KIND_SANDBOX

    def bind(self, secret: bytes, *, source: str = "", write: bool = True) -> None:
        """Use ``secret`` from now on; the first secret bound to a ledger is its only one.

        ``write`` False (a dry run): a ledger with no fingerprint yet is not given one.
        Raises ``LedgerError`` (nothing sent) when the ledger was made with another.
        """
        mine = fingerprint(secret)
        theirs = self.meta("secret_fingerprint")
        if not theirs and (not write or self.readonly):
            theirs = mine
        elif not theirs:
            try:
                with self._write():
                    self._db.executemany(
                        "INSERT OR IGNORE INTO meta VALUES (?, ?)",
                        # where it was kept: said when it goes missing (a path, never the secret)
                        [("secret_fingerprint", mine), ("secret_source", source)],
                    )
            except sqlite3.Error as exc:
                raise self._error("write", exc) from None
            theirs = self.meta("secret_fingerprint")
        if theirs != mine:
            where = f" (from {source})" if source else ""
            raise LedgerError(
                f"the ledger {self.path} was made with another secret (fingerprint {theirs}; "
                f"the one given{where} has {mine}): give the secret it was made with "
                "(--hmac-secret-file PATH or BATCH_ANONYMIZER_HMAC_KEY), or use another "
                "--ledger; nothing was sent or written"
            )
        self._secret = secret

    def hmac(self, key_type: KeyType, key: str, norm: str = "") -> str:
        """The keyed hash the ledger holds for a key (``bind`` first): of its
        ``core.identity.vendor_identity``, whatever form ``key`` is written in."""
        if self._secret is None:
            raise RuntimeError("Ledger.bind() was not called")
        return pseudonym(self._secret, key, key_type, norm)

    def hmac_of(self, line: Line) -> str:
        """The keyed hash the ledger holds for ``line``'s key (a line with a key type)."""
        assert line.key_type is not None
        return self.hmac(line.key_type, line.key, line.norm)

    def hmacs(self, keys: Iterable[tuple[KeyType, str]]) -> list[str]:
        """``hmac`` of each (type, identity) of a column of keys, in order."""
        return [self.hmac(kt, identity) for kt, identity in keys]

    def withheld(self, request_id: str) -> str:
        """What the ledger keeps of a request id that holds a key: ``withheld:`` and the
        keyed hash of the id (as of a key: an id that is a telephone hashes as that
        telephone's digits), so whoever holds the secret can still match it."""
        return WITHHELD + self.hmac(guess_type(request_id), request_id)

    # -- writing -----------------------------------------------------------------------

    def record(self, entries: Sequence[LedgerEntry], *, synced: bool = True) -> int:
        """Add ``entries`` in one transaction; return how many were new (the rest were there).

        ``synced`` False: the commit is not fsynced (``synchronous=NORMAL``), for
        entries a journal already holds on disk, which a resume records again
        (``LedgerFeed``); the next synced commit, or ``sync()``, makes them durable.
        Raises ``LedgerError`` when they cannot be written (locked past the busy
        timeout, a full disk); then none of them is.
        """
        if not entries:
            return 0
        if self.readonly:
            raise RuntimeError("Ledger.record() on a ledger opened read-only")
        self._synchronous(synced)
        now = iso_now()
        columns = ", ".join(ENTRY_COLUMNS)
        marks = ", ".join("?" * (len(ENTRY_COLUMNS) + 1))
        # an entry already there is left as it was, but for its stop list: a retry that
        # made the addition a run could not says so (``added`` only ever replaces ``failed``)
        sql = (
            f"INSERT INTO entries ({columns}, recorded_at) VALUES ({marks}) "  # noqa: S608
            "ON CONFLICT (run_id, key_type, key_hmac) DO UPDATE SET "
            f"stop_list = '{STOP_ADDED}' WHERE excluded.stop_list = '{STOP_ADDED}' "
            f"AND entries.stop_list = '{STOP_FAILED}'"
        )
        try:
            with self._write():
                before = self._db.total_changes
                self._db.executemany(sql, [(*_row(e), now) for e in entries])
                return self._db.total_changes - before
        except sqlite3.Error as exc:
            raise self._error("write", exc) from None

    def _synchronous(self, full: bool) -> None:
        if full != self._full:
            self._db.execute(f"PRAGMA synchronous={'FULL' if full else 'NORMAL'}")
            self._full = full
            self._unsynced |= not full

    def sync(self) -> None:
        """Make every commit so far durable, and the next ones fsynced again (FULL).

        In WAL mode a commit appends to the ``-wal`` file: fsyncing that file makes the
        unsynced commits before it durable. Raises ``LedgerError`` when it cannot.
        """
        try:
            self._synchronous(True)
            if self._unsynced:
                fd = os.open(f"{self.path}-wal", os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
                self._unsynced = False
        except (sqlite3.Error, OSError) as exc:
            raise LedgerError(f"cannot write the ledger {self.path}: {exc}") from None

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction, taken at once (``BEGIN IMMEDIATE``), waiting up to the timeout."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- reading -----------------------------------------------------------------------

    def settled(
        self, hmacs: Iterable[str], *, besides: Iterable[str] = ()
    ) -> dict[str, LedgerEntry]:
        """For each hash the ledger holds as settled, its newest settling entry.

        ``besides``: run ids whose entries do not count (the runs a resume continues).
        """
        skip = set(besides)
        found: dict[str, LedgerEntry] = {}
        wanted = list(dict.fromkeys(hmacs))
        try:
            for rows in self._rows_of(wanted):
                for row in rows:
                    e = LedgerEntry(*row)
                    if e.run_id not in skip:
                        found[e.key_hmac] = e  # ordered: the newest wins
        except sqlite3.Error as exc:
            raise self._error("read", exc) from None
        return found

    def settled_count(self) -> int:
        """How many entries settle a key (success, not_found), in every run."""
        try:
            counted = f"SELECT count(*) FROM entries WHERE outcome IN ({_SETTLING_MARKS})"  # noqa: S608
            row = self._db.execute(counted, SETTLING)
            return int(row.fetchone()[0])
        except sqlite3.Error as exc:
            raise self._error("read", exc) from None

    def _rows_of(self, wanted: list[str]) -> Iterator[Iterable[Any]]:
        """The settling entries of the hashes ``wanted``, oldest first: a few hashes by
        ``IN (...)``; a run's column of them in one query (a million keys would be 2,000
        queries of ``_CHUNK``): every settled entry, when the ledger holds fewer than the
        keys asked about, else joined to a temporary table of the hashes."""
        where = f"AND outcome IN ({_SETTLING_MARKS}) ORDER BY finished_at, id"
        if len(wanted) <= _CHUNK:
            marks = ", ".join("?" * len(wanted))
            yield self._db.execute(
                f"{_SELECT} WHERE key_hmac IN ({marks}) {where}", (*wanted, *SETTLING)
            )
            return
        db = self._db
        if self.settled_count() <= len(wanted):  # fewer settled entries than keys: read them all
            want, at = set(wanted), ENTRY_COLUMNS.index("key_hmac")
            rows = db.execute(f"{_SELECT} WHERE 1 {where}", SETTLING)
            yield (row for row in rows if row[at] in want)
            return
        db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (h TEXT PRIMARY KEY) WITHOUT ROWID")
        try:
            # in order: appended to the temporary B-tree, not inserted all over it (~5x faster)
            db.executemany("INSERT OR IGNORE INTO temp.wanted VALUES (?)", zip(sorted(wanted)))
            yield db.execute(
                f"{_SELECT} JOIN temp.wanted ON temp.wanted.h = key_hmac WHERE 1 {where}",
                SETTLING,
            ).fetchall()
        finally:
            db.execute("DELETE FROM temp.wanted")

    def history(self, key_hmac: str) -> list[LedgerEntry]:
        """Every entry for one key, newest first."""
        return self._query(
            f"{_SELECT} WHERE key_hmac = ? ORDER BY finished_at DESC, id DESC", (key_hmac,)
        )

    def entries(self) -> list[LedgerEntry]:
        """Every entry, oldest first."""
        return self._query(f"{_SELECT} ORDER BY finished_at, id", ())

    def stats(self) -> list[tuple[str, str, int]]:
        """(month ``YYYY-MM``, outcome, entries) for every month and outcome, oldest first."""
        try:
            rows = self._db.execute(
                "SELECT substr(finished_at, 1, 7) AS month, outcome, count(*) FROM entries "
                "GROUP BY month, outcome ORDER BY month, outcome"
            ).fetchall()
        except sqlite3.Error as exc:
            raise self._error("read", exc) from None
        return [(str(m), str(o), int(n)) for m, o, n in rows]

    def _query(self, sql: str, params: tuple[str, ...]) -> list[LedgerEntry]:
        try:
            return [LedgerEntry(*row) for row in self._db.execute(sql, params)]
        except sqlite3.Error as exc:
            raise self._error("read", exc) from None

    def close(self) -> None:
        """Close the file (idempotent)."""
        with contextlib.suppress(sqlite3.Error):
            self._db.close()

    def _error(self, what: str, exc: sqlite3.Error) -> LedgerError:
        text = str(exc)
        if getattr(exc, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED"):
            text = f"locked by another program for more than {self.busy_timeout:g} s"
        elif what == "open" and not self.readonly and "unable to open" in text:
            text += (
                " (a run writes beside the ledger: is its folder writable? history, screen "
                "--check and ledger export read it as it is)"
            )
        return LedgerError(f"cannot {what} the ledger {self.path}: {text}")
