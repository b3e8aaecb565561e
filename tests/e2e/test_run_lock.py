"""One process per run (issue 23, item 2), with real processes against a slow sandbox.

A run is held open (each request takes 0.5 s); meanwhile `report` of its
journal and a `--resume` of it are refused with exit 2 and one line naming
the run's process. The run is then killed with SIGKILL: its lock is taken
over, `report` writes the report, and of two `retry` of that report started
at once one is refused. The sandbox's own request log shows no key POSTed twice.
"""

from __future__ import annotations

import signal
import subprocess
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


def test_a_live_run_is_not_reported_resumed_or_retried_twice(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "keys.csv", ["Email"], [[k] for k in KEYS])
    with start_sandbox('{"latency": 0.5}') as thread:
        box = thread.sandbox
        box.seed(KEYS, [])
        fast = [*fast_args(thread.url)]
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
        # on, the other is refused
        again = ["run", str(src), "--resume", str(journal)]
        retries = [
            cli_subprocess([*again, "--reports-dir", f"r{n}", *fast], tmp_path) for n in (1, 2)
        ]
        ends = [(p, *p.communicate(timeout=60)) for p in retries]
        posts = Counter(e.key for e in box.posts())
    codes = sorted(p.returncode for p, _, _ in ends)
    assert codes == [0, 2], [e[1:] for e in ends]
    winner = next(p for p, _, _ in ends if p.returncode == 0)
    [(_, _, err)] = [e for e in ends if e[0].returncode == 2]
    assert f"(process {winner.pid} on " in err and f"--resume {journal} --reports-dir r" in err
    assert set(posts) == set(KEYS) and set(posts.values()) == {1}, posts
    [xlsx] = (tmp_path / f"r{retries.index(winner) + 1}").glob("*.xlsx")
    assert {r["status"] for r in report_rows(xlsx)} == {"success"}
