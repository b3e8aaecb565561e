"""One process per run: an exclusive lock on a run's journal, held while a command works on it.

Two commands on one run would send its keys twice (two ``retry R.xlsx`` at
once; a ``retry`` of the report that ``report JOURNAL`` made of a run still
going on). So ``run``, ``retry``, ``run --resume`` and ``report`` hold
``run_lock`` on the journal they write or rebuild (and a retry or resume also
on the journal of the run it goes on from); a second command on the same
journal is refused with ``RunLockedError`` (exit 2), which names the process
holding it.

The lock is ``flock`` on ``NAME.journal.lock`` beside the journal: the kernel
releases it when its process ends however it ends (``kill -9``, a power cut
of a local disk), so a lock left by a dead process is simply taken over. The
file holds the holder's facts (pid, host, command, start), read only for the
message; it is removed by its holder on release. A holder removes it while
still holding the lock, so a process that opened the old file before the
removal sees, once it has the lock, that the path is no longer its file, and
opens it again (else two processes could each lock a different file).

A folder where the lock file cannot be made (read-only storage, an archive
of evidence, a folder not there) cannot hold a run going on either: there no
lock is taken (a new run makes its folder before it locks). On
network file systems ``flock`` may be local to each machine: keep one run's
files on a local disk, or run its commands from one machine.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ..core.errors import RunLockedError, UsageError
from ..core.text import printable

#: Errors of a folder that cannot be written, or is not there: no run can be going on there.
_NO_RUN_THERE = (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT)
#: The most bytes of a lock file read for the message (it holds one short JSON object).
_MAX_FACTS = 4096


def lock_path(journal: Path) -> Path:
    """The lock file of the run whose journal is ``journal``."""
    return journal.with_name(journal.name + ".lock")


def journal_of(path: Path) -> Path:
    """The journal of the run whose report (.xlsx, .csv, .requests.csv) or journal is ``path``."""
    if path.suffix.lower() == ".journal":
        return path
    name = path.name
    if name.lower().endswith(".requests.csv"):
        return path.with_name(name[: -len(".requests.csv")] + ".journal")
    return path.with_suffix(".journal")


@contextlib.contextmanager
def run_lock(journal: Path, command: str) -> Iterator[None]:
    """Hold the lock of the run whose journal is ``journal`` for the ``with`` block.

    ``command`` is what this process is doing (named to a second process
    refused). Raises ``RunLockedError`` at once when another process holds it.
    """
    path = lock_path(journal)
    fd = _acquire(path, journal, command)
    try:
        yield
    finally:
        if fd is not None:
            with contextlib.suppress(OSError):
                path.unlink()  # while still locked: see the module's docstring
            os.close(fd)


def _acquire(path: Path, journal: Path, command: str) -> int | None:
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            if exc.errno in _NO_RUN_THERE:
                return None
            raise UsageError(
                f"cannot make the lock file {path} ({exc.strerror}); nothing was done: "
                "check the folder of the run's report and journal"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise RunLockedError(
                _message(journal, holder), journal=journal, holder=holder
            ) from None
        if _still_there(fd, path):
            _write_facts(fd, command)
            return fd
        os.close(fd)  # its holder removed it meanwhile: try the file now at the path


def _still_there(fd: int, path: Path) -> bool:
    try:
        here = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino)


def _write_facts(fd: int, command: str) -> None:
    facts = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": command,
        "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    data = json.dumps(facts).encode()
    with contextlib.suppress(OSError):  # the facts only word the message; the lock holds
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)


#: How long a refused process waits for the holder's facts (written just after it locks).
_FACTS_WAIT = 1.0


def _holder(fd: int) -> dict[str, str]:
    """The facts of the process holding the lock. A process that has just taken the lock
    over writes its own a moment later: until then the file is empty or still names the
    process that died holding it, so those are waited for (briefly), never reported."""
    deadline = time.monotonic() + _FACTS_WAIT
    while True:
        facts = _facts(fd)
        if _alive(facts) or time.monotonic() > deadline:
            return facts
        time.sleep(0.01)


def _alive(facts: dict[str, str]) -> bool:
    """Whether ``facts`` name a process that is running (one on another host: assumed)."""
    pid = facts.get("pid", "")
    if not pid.isdigit():
        return False
    if facts.get("host") != printable(socket.gethostname()):
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: it exists
        return True
    return True


def _facts(fd: int) -> dict[str, str]:
    try:
        doc = json.loads(os.pread(fd, _MAX_FACTS, 0))
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict):
        return {}
    return {k: printable(str(doc.get(k, ""))) for k in ("pid", "host", "command", "started")}


def _message(journal: Path, holder: dict[str, str]) -> str:
    if holder.get("pid"):
        who = (
            f"process {holder['pid']} on {holder.get('host') or 'an unknown host'}, "
            f"started {holder.get('started') or 'at an unknown time'}: "
            f"{holder.get('command') or 'an unknown command'}"
        )
    else:
        who = "a process that is just starting"
    return (
        f"another batch-anonymizer process is working on the run of {journal.name} ({who}); "
        "nothing was done: wait until it ends, then run this command again "
        "(a lock left by a process that died is taken over by itself)"
    )
