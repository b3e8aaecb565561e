"""Replacing a report's files by their redacted forms all at once, or not at all.

A report is five files; no file system replaces five at once. So:

1. every redacted file is written beside its original as ``.NAME.redact-new``
   and fsynced, the new manifest last;
2. the *commit*: ``NAME.redacting.json`` lists them, written atomically
   (temporary file, fsync, rename, fsync of the folder);
3. each new file is renamed over its original (the manifest last), then the
   list is removed.

A crash before step 2 leaves the original files and some ``.redact-new``
leftovers, which ``finish_redaction`` removes (roll back). A crash after it
leaves the list, and ``finish_redaction`` renames what is left to rename
(roll forward). ``verify`` and ``redact`` call it first, so either way they see
the original set or the redacted set, never a mix.

``BATCH_ANONYMIZER_TEST_KILL_AT=N`` (tests only) kills the process with SIGKILL
at its Nth step, to prove the above with real crashes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from ..core.errors import ReportError
from ..core.files import _fsync_dir, atomic_write, file_sha256
from .manifest import MANIFEST_SUFFIX, manifest_path

MARKER_SUFFIX = ".redacting.json"
TEMP_SUFFIX = ".redact-new"
KILL_ENV = "BATCH_ANONYMIZER_TEST_KILL_AT"
_steps = 0


def step() -> None:
    """A moment at which a test may kill the process (``KILL_ENV``)."""
    global _steps
    _steps += 1
    if os.environ.get(KILL_ENV) == str(_steps):
        os.kill(os.getpid(), signal.SIGKILL)


def marker_path(report: Path) -> Path:
    """``NAME.redacting.json`` beside a report's files."""
    stem = manifest_path(report).name[: -len(MANIFEST_SUFFIX)]
    return report.with_name(stem + MARKER_SUFFIX)


def temp_path(target: Path) -> Path:
    """Where the redacted form of ``target`` waits for the commit."""
    return target.with_name(f".{target.name}{TEMP_SUFFIX}")


def write_temp(target: Path, write: Callable[[IO[bytes]], None]) -> Path:
    """Write the redacted form of ``target`` to its temporary file (0600, fsynced)."""
    tmp = temp_path(target)
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    step()
    return tmp


def commit(report: Path, targets: Sequence[Path]) -> None:
    """Replace each of ``targets`` by its temporary file, all or none (the manifest last)."""
    body = {
        "format": "batch-anonymizer redaction v1",
        "files": [{"name": t.name, "sha256": file_sha256(temp_path(t))} for t in targets],
    }
    data = json.dumps(body, indent=2).encode() + b"\n"

    def write(f: IO[bytes]) -> None:
        f.write(data)

    atomic_write((marker_path(report), write), then="then run redact again")
    step()
    finish_redaction(report)


def finish_redaction(report: Path) -> str:
    """Complete a redaction that was committed, or remove the leftovers of one that was not.

    Returns ``"completed"``, ``"rolled back"`` or ``""`` (nothing to do).
    """
    marker = marker_path(report)
    folder = marker.parent
    stem = marker.name[: -len(MARKER_SUFFIX)]
    if marker.exists():
        try:
            body: dict[str, Any] = json.loads(marker.read_bytes())
            names = [str(f["name"]) for f in body["files"]]
        except (ValueError, KeyError, TypeError) as e:
            raise ReportError(
                f"{marker.name} is damaged ({e}); the report's redaction cannot be completed: "
                "restore the report from a backup"
            ) from e
        for name in names:
            tmp = temp_path(folder / name)
            if tmp.exists():
                os.replace(tmp, folder / name)
                step()
        _fsync_dir(folder)
        marker.unlink()
        _fsync_dir(folder)
        return "completed"
    leftovers = [p for p in folder.glob(f".{stem}.*{TEMP_SUFFIX}") if p.name.endswith(TEMP_SUFFIX)]
    for p in leftovers:
        p.unlink()
    if leftovers:
        _fsync_dir(folder)
    return "rolled back" if leftovers else ""


def pending(report: Path) -> bool:
    """True when a redaction of this report was interrupted (``finish_redaction`` has work)."""
    marker = marker_path(report)
    stem = marker.name[: -len(MARKER_SUFFIX)]
    return marker.exists() or any(marker.parent.glob(f".{stem}.*{TEMP_SUFFIX}"))
