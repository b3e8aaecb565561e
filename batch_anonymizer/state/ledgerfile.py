"""The ledger's file: its schema, how a new one is made, and how it is opened.

``state.ledger`` reads and writes entries; this module owns the file itself:
the numbered migrations, the making of a new ledger (whole, in a temporary
file linked into place, so no run ever sees a half-made one), and the
connections (a read-only one never writes, even on read-only storage). The schema
has a version table and numbered migrations; a ledger of a newer schema is refused.
The file is created 0600 in a 0700 folder (SQLite gives its ``-wal`` and ``-shm``
files the same mode).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import tempfile
from pathlib import Path
from urllib.parse import quote

from ..core.errors import LedgerError
from ..core.files import private_dir
from ..core.timefmt import iso_now
from ..core.version import __version__

KIND_REAL = "real"
KIND_SANDBOX = "sandbox"
SCHEMA_VERSION = 1
#: ``MIGRATIONS[n]`` takes a ledger from schema n to n + 1 (0: a new, empty file).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE schema_version (version INTEGER NOT NULL)",
        "INSERT INTO schema_version VALUES (0)",
        "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE entries (
            id INTEGER PRIMARY KEY,
            key_hmac TEXT NOT NULL,
            key_type TEXT NOT NULL,
            key_hint TEXT NOT NULL,
            outcome TEXT NOT NULL,
            code TEXT NOT NULL,
            records_before INTEGER,
            records_after INTEGER,
            finished_at TEXT NOT NULL,
            run_id TEXT NOT NULL,
            input_sha256 TEXT NOT NULL,
            request_id TEXT NOT NULL,
            stop_list TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            UNIQUE (run_id, key_type, key_hmac)
        )""",
        "CREATE INDEX entries_by_key ON entries (key_hmac)",
    ),
)


def connect(path: Path, busy_timeout: float, readonly: bool) -> sqlite3.Connection:
    """A connection; read-only ones never write (see ``_readonly_uri``)."""
    if not readonly:
        return sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
    return sqlite3.connect(
        _readonly_uri(path),
        uri=True,
        timeout=busy_timeout,
        isolation_level=None,
        check_same_thread=False,
    )


def _readonly_uri(path: Path) -> str:
    """The URI that opens ``path`` for reading only.

    A WAL database opened ``mode=ro`` still creates its ``-wal`` and ``-shm``
    files, and cannot be opened where they cannot be created (read-only
    storage). When its folder is not writable (by its permission bits, which
    apply to root too, or a read-only file system) and no ``-wal`` file exists,
    no run is writing it and every committed entry is in the file itself: it is
    opened ``immutable=1``, which reads the file alone and creates nothing. A
    run that starts writing a moment later writes to its ``-wal`` file first,
    so what is read is the ledger as it was when the command started.
    """
    uri = f"file:{quote(str(path.absolute()))}?mode=ro"
    wal = path.with_name(path.name + "-wal")
    if not wal.exists() and not _writable_folder(path.parent):
        uri += "&immutable=1"
    return uri


def _writable_folder(folder: Path) -> bool:
    """Whether files can be created in ``folder`` (its permission bits, not root's power)."""
    try:
        st = os.stat(folder)
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return False
    except OSError:
        return False
    if st.st_uid == os.geteuid():
        bit = stat.S_IWUSR
    elif st.st_gid in os.getgroups() or st.st_gid == os.getegid():
        bit = stat.S_IWGRP
    else:
        bit = stat.S_IWOTH
    return bool(st.st_mode & bit)


def create_ledger(path: Path, sandbox: bool) -> None:
    """A new ledger at ``path``: made whole in a temporary file (0600, folder 0700 if new),
    then linked into place, so no run ever sees a half-made one; if another run made it
    first, theirs is kept."""
    try:
        private_dir(path.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
        os.close(fd)
        try:
            db = sqlite3.connect(tmp, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("BEGIN IMMEDIATE")
                for step in MIGRATIONS:
                    for statement in step:
                        db.execute(statement)
                kind = KIND_SANDBOX if sandbox else KIND_REAL
                db.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [("kind", kind), ("created_at", iso_now()), ("created_by", __version__)],
                )
                db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
                db.execute("COMMIT")
            finally:
                db.close()  # the last connection: its -wal is checkpointed and removed
            with contextlib.suppress(FileExistsError):  # another run made it first
                os.link(tmp, path)
        finally:
            for leftover in (tmp, f"{tmp}-wal", f"{tmp}-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(leftover)
    except (OSError, sqlite3.Error) as exc:
        text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise LedgerError(
            f"cannot create the ledger {path} ({text}); choose a writable "
            "place with --ledger PATH, or run with --no-ledger"
        ) from None


def schema_version(db: sqlite3.Connection) -> int:
    """The schema of the file: 0 for a new, empty one."""
    has = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not has:
        return 0
    row = db.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def meta_value(db: sqlite3.Connection, name: str) -> str:
    """A ``meta`` value ("" when unset): ``kind``, ``secret_fingerprint``, ``created_at``."""
    row = db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
    return str(row[0]) if row else ""


def check_kind(db: sqlite3.Connection, path: Path) -> None:
    """Refuse a file that is not a ledger (a foreign database, an empty file), or one of a
    newer schema; before anything could write to it."""
    version = schema_version(db)
    tables = {str(r[0]) for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if version < 1 or not {"meta", "entries"} <= tables or not meta_value(db, "kind"):
        empty = path.stat().st_size == 0
        what = "an empty file" if empty else "not an erasure ledger of batch-anonymizer"
        # an older version created the file empty, then filled it: a run killed in
        # between left this, and nothing of value is in it
        left = " (if a run killed while making the ledger left it, delete it)" if empty else ""
        raise LedgerError(
            f"{path} is {what}{left}; give the ledger file with --ledger PATH (or "
            "BATCH_ANONYMIZER_LEDGER); nothing was written to it"
        )
    if version > SCHEMA_VERSION:
        raise LedgerError(
            f"the ledger {path} has schema {version}, written by a newer "
            f"batch-anonymizer; this version reads up to schema {SCHEMA_VERSION}: upgrade"
        )


def check_integrity(db: sqlite3.Connection, path: Path) -> None:
    """Refuse to write into a damaged ledger (``PRAGMA quick_check``).

    ``quick_check`` reads every page and checks each b-tree's structure, which
    finds torn, truncated or overwritten pages; it skips only the comparison of
    each index with its table that ``integrity_check`` adds (several times
    slower on a large ledger, and run at every writing open).
    """
    rows = [str(r[0]) for r in db.execute("PRAGMA quick_check(5)")]
    if rows != ["ok"]:
        raise LedgerError(
            f"the ledger {path} is damaged (integrity check: {'; '.join(rows)[:300]}); "
            "nothing was sent or written: restore it from a backup (read-only commands "
            "such as `batch-anonymizer ledger export` may still read what is left)"
        )
