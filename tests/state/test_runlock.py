"""The run lock (issue 23, item 2): its holder is named, a dead holder's lock is taken over."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from batch_anonymizer.core.errors import AnonymizerError
from batch_anonymizer.state.runlock import RunLockedError, journal_of, run_lock


def test_a_second_holder_is_refused_with_the_first_ones_facts(tmp_path: Path) -> None:
    journal = tmp_path / "run.journal"
    with run_lock(journal, "batch-anonymizer retry run.xlsx"):
        with pytest.raises(RunLockedError) as caught, run_lock(journal, "batch-anonymizer report"):
            pass  # pragma: no cover
        assert (tmp_path / "run.journal.lock").exists()
    error = caught.value
    assert isinstance(error, AnonymizerError)
    assert error.holder["pid"] == str(os.getpid())
    assert error.holder["command"] == "batch-anonymizer retry run.xlsx"
    message = error.message
    assert "\n" not in message
    assert f"process {os.getpid()} on {socket.gethostname()}, started 20" in message
    assert ": batch-anonymizer retry run.xlsx)" in message
    assert message.startswith("another batch-anonymizer process is working on the run of run.jou")
    assert "nothing was done: wait until it ends, then run this command again" in message
    # released: the file is gone, and the next command takes the lock
    assert not (tmp_path / "run.journal.lock").exists()
    with run_lock(journal, "batch-anonymizer report run.journal"):
        pass


def test_the_lock_of_a_process_killed_with_sigkill_is_taken_over(tmp_path: Path) -> None:
    """The holder here is a bare flock (no package import, so it starts at once); the real
    CLI killed with SIGKILL is in tests/e2e/test_run_lock.py."""
    journal = tmp_path / "run.journal"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, json, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "os.write(fd, json.dumps({'pid': os.getpid(), 'command': 'run in.csv'}).encode())\n"
            "print('held', flush=True); time.sleep(60)",
            str(tmp_path / "run.journal.lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(RunLockedError) as caught, run_lock(journal, "second"):
            pass  # pragma: no cover
        assert caught.value.holder["pid"] == str(holder.pid)
        assert "started at an unknown time: run in.csv)" in caught.value.message
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert (tmp_path / "run.journal.lock").exists()  # left behind by the dead process
    with run_lock(journal, "third"):
        assert str(os.getpid()) in (tmp_path / "run.journal.lock").read_text()


def test_a_folder_that_is_not_there_holds_no_run(tmp_path: Path) -> None:
    with run_lock(tmp_path / "missing" / "run.journal", "report"):
        pass
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize(
    ("given", "journal"),
    [
        ("r/run-1.xlsx", "r/run-1.journal"),
        ("r/run-1.csv", "r/run-1.journal"),
        ("r/run-1.requests.csv", "r/run-1.journal"),
        ("r/run-1.journal", "r/run-1.journal"),
    ],
)
def test_the_journal_of_a_report(given: str, journal: str) -> None:
    assert journal_of(Path(given)) == Path(journal)


def test_a_lock_just_taken_over_names_its_new_holder_not_the_dead_one(tmp_path: Path) -> None:
    import fcntl
    import json
    import threading

    from batch_anonymizer.state.runlock import _write_facts

    journal = tmp_path / "run.journal"
    dead_pid = subprocess.Popen(["true"])  # a process that has ended (and was reaped)
    dead_pid.wait()
    lock = tmp_path / "run.journal.lock"
    # the lock file still names the process that died holding it; a new holder has just
    # taken it over and writes its own facts a moment later (as a resume does)
    stale = {"pid": dead_pid.pid, "host": socket.gethostname(), "command": "run (died)"}
    lock.write_text(json.dumps(stale))
    fd = os.open(lock, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    later = threading.Timer(0.2, _write_facts, (fd, "run keys.csv --resume run.journal"))
    later.start()
    try:
        with pytest.raises(RunLockedError) as refused, run_lock(journal, "retry"):
            pass
    finally:
        later.join()
        os.close(fd)
    said = refused.value.message
    assert f"(process {os.getpid()} on " in said and "--resume run.journal" in said, said
    assert str(dead_pid.pid) not in said
