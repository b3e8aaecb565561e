"""Files the tool writes and reads as evidence: private folders, atomic writes, SHA-256."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from .errors import ReportError


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes as lowercase hex, read in chunks."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def private_dir(folder: Path) -> None:
    """Create ``folder`` (and missing parents) with mode 0700; leave an existing one alone."""
    missing = []
    p = folder
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            d.mkdir(mode=0o700)
            d.chmod(0o700)  # mkdir's mode is filtered by the umask


#: What to do after a failed write of the report files (the other writers say their own).
REWRITE_REPORT = "then write the report again from the journal with `batch-anonymizer report`"


def atomic_write(
    *targets: tuple[Path, Callable[[IO[bytes]], None]], then: str = REWRITE_REPORT
) -> None:
    """Write each file through a 0600 temp file in its folder, then replace all.

    Every temp file is complete and fsynced before the first ``os.replace``, so
    a crash or an error leaves either the old files or the new ones, never a
    truncated file. Raises ``ReportError`` when writing fails, its message
    ending with ``then`` (what to do once there is room).
    """
    temps: list[tuple[Path, Path]] = []
    try:
        for path, write in targets:
            private_dir(path.parent)
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            temps.append((Path(name), path))
            with os.fdopen(fd, "wb") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
        for tmp, path in temps:
            os.replace(tmp, path)
        for folder in {path.parent for _, path in temps}:
            _fsync_dir(folder)
    except OSError as e:
        path = temps[-1][1] if temps else targets[0][0]
        raise ReportError(
            f"cannot write {path} ({e.strerror or e}); free some disk space or choose another "
            f"folder, {then}"
        ) from e
    finally:
        for tmp, _ in temps:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open a directory; nothing more to do there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
