"""One process per run (issue 23, item 2), with real processes against a slow sandbox.

A run is held open (the sandbox answers nothing after its first anonymize call
until the test lets it); meanwhile `report` of its journal, a `--resume` and a
`retry` of it are refused with exit 2 and one line naming the run's process.
The run is then killed with SIGKILL; of two resumes of it started at once, one
takes the dead run's lock over and is held the same way until the other has been
refused. The sandbox's own request log shows no key POSTed twice.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

from conftest import cli_subprocess, fast_args, report_rows, start_sandbox, write_csv
from test_crash import wait_for_posts

KEYS = [f"lock{i}@example.com" for i in range(12)]


def refused(proc: subprocess.Popen[str], holder: int) -> str:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, out + err
    [line] = [x for x in err.splitlines() if x.strip()]
    assert line.startswith("error: another batch-anonymizer process is working on the run of ")
    assert f"(process {holder} on " in line and "nothing was done" in line, line
    return line


def first_ended(procs: list[subprocess.Popen[str]]) -> subprocess.Popen[str]:
    """The first of ``procs`` to end (each is waited on, none is given a fixed time)."""
    deadline = time.monotonic() + 60
    while True:
        ended = [p for p in procs if p.poll() is not None]
        if ended:
            return ended[0]
        assert time.monotonic() < deadline, "neither process ended within 60 s"
        time.sleep(0.01)


def test_a_live_run_is_not_reported_resumed_or_retried_twice(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "keys.csv", ["Email"], [[k] for k in KEYS])
    release = threading.Event()
    with start_sandbox('{"latency": 0}') as thread:
        box = thread.sandbox
        box.seed(KEYS, [])
        assert box.fault_state is not None

        def held() -> float:
            # once a key was anonymized, nothing is answered until the test says so:
            # whoever holds the run is kept at it (no real-time latency to outwait)
            if box.posts():
                release.wait(60)
            return 0.0

        box.fault_state.latency = held  # type: ignore[method-assign]
        fast = fast_args(thread.url)
        run = cli_subprocess(["run", str(src), "--concurrency", "1", *fast], tmp_path)
        try:
            wait_for_posts(box, 1, run, timeout=30)
            assert run.poll() is None, "the run ended before it could be raced"
            [journal] = (tmp_path / "reports").glob("*.journal")
            others = [
                cli_subprocess(["report", str(journal)], tmp_path),
                cli_subprocess(["run", str(src), "--resume", str(journal), *fast], tmp_path),
                cli_subprocess(["retry", str(journal), *fast], tmp_path),
            ]
            lines = [refused(p, run.pid) for p in others]
            assert ": batch-anonymizer run keys.csv)" in lines[0]
            assert run.poll() is None  # still going on: the refusals were made while it held
        finally:
            run.send_signal(signal.SIGKILL)
            run.wait()
        assert sorted(p.name for p in (tmp_path / "reports").glob("keys-*")) == [
            journal.name,
            journal.name + ".lock",  # left by the killed run
        ]
        # two resumes of the killed run at once: one takes the dead run's lock over and goes
        # on (held by the sandbox), the other is refused; then the first may finish
        again = ["run", str(src), "--resume", str(journal)]
        retries = [
            cli_subprocess([*again, "--reports-dir", f"r{n}", *fast], tmp_path) for n in (1, 2)
        ]
        try:
            loser = first_ended(retries)
            winner = next(p for p in retries if p is not loser)
            assert winner.poll() is None, "the other resume ended too: nothing held the lock"
        finally:
            release.set()
        ends = [(p, *p.communicate(timeout=60)) for p in retries]
        posts = Counter(e.key for e in box.posts())
    assert (loser.returncode, winner.returncode) == (2, 0), [e[1:] for e in ends]
    [(_, _, err)] = [e for e in ends if e[0].returncode == 2]
    assert f"(process {winner.pid} on " in err and f"--resume {journal} --reports-dir r" in err
    assert set(posts) == set(KEYS) and set(posts.values()) == {1}, posts
    [xlsx] = (tmp_path / f"r{retries.index(winner) + 1}").glob("*.xlsx")
    assert {r["status"] for r in report_rows(xlsx)} == {"success"}
