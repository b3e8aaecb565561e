"""The ledger and its secret for the commands: open one, warn of its secret, export it.

``screen``, ``history`` and ``ledger export|stats|prune`` call these; the ledger
itself is ``state.ledger``, its secret's discovery ``state.secret``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
from pathlib import Path
from typing import IO

from ..audit.cellsafe import neutralise_row
from ..core.errors import UsageError
from ..core.files import atomic_write
from ..core.text import printable
from ..state.ledger import Ledger
from ..state.secret import default_ledger, exposed, find_secret
from .screen import EXPORT_COLUMNS, export_rows


def secret_warning(file: Path | None) -> str:
    """What to say when the ledger secret's file can be read by others ("" when not, or
    when there is no secret yet); never creates one."""
    secret = find_secret(file, create=False)
    return exposed(secret) if secret is not None else ""


def open_ledger(path: Path | None, *, write: bool = False) -> Ledger:
    """An existing ledger (``path`` None: the default one), read only unless ``write``."""
    return Ledger(path or default_ledger(), create=False, readonly=not write)


def check_export_out(out: Path, ledger: Path, force: bool) -> None:
    """Refuse an ``--out`` that is the ledger (by any path) or, without ``force``, exists."""
    names = [ledger, *(ledger.with_name(ledger.name + s) for s in ("-wal", "-shm", "-journal"))]
    for name in names:
        same = out.resolve() == name.resolve()
        with contextlib.suppress(OSError):
            same = same or os.path.samefile(out, name)
        if same:
            raise UsageError(
                f"--out {printable(str(out))} is the ledger's own file: give another path "
                "for the export (nothing was written)"
            )
    if (out.exists() or out.is_symlink()) and not force:
        raise UsageError(
            f"--out {printable(str(out))} exists: give a new path, or add --force to replace "
            "it (nothing was written)"
        )


def export_csv(ledger: Ledger, f: IO[str]) -> int:
    """Every entry of ``ledger`` as csv (cells a spreadsheet would run neutralised) into
    ``f``; returns how many entries."""
    rows = export_rows(ledger)
    _write_csv(rows, f)
    return len(rows)


def export_file(ledger: Ledger, out: Path) -> int:
    """``export_csv`` into the file ``out`` (UTF-8 with a byte-order mark, written
    atomically, after every entry was read); returns how many entries."""
    rows = export_rows(ledger)

    def write_bytes(f: IO[bytes]) -> None:
        t = io.TextIOWrapper(f, encoding="utf-8-sig", newline="")
        try:
            _write_csv(rows, t)
            t.flush()
        finally:
            t.detach()

    atomic_write((out, write_bytes), then="then export again")
    return len(rows)


def _write_csv(rows: list[list[str]], f: IO[str]) -> None:
    w = csv.writer(f)
    w.writerow(EXPORT_COLUMNS)
    w.writerows(neutralise_row(r) for r in rows)
