"""Signals at the awkward moments: during a long Retry-After wait, while the report is written."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from conftest import API_KEY, cli_subprocess, only_report, report_rows, start_sandbox, write_csv
from forkcli import spawn

KEYS = [f"w{i}@example.com" for i in range(4)]


def _wait_for(condition, proc: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert proc.poll() is None, f"the run ended before {what}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"no {what} within 60 s"
        time.sleep(0.01)


def test_ctrl_c_during_a_long_retry_after_wait_leaves_at_once(tmp_path: Path) -> None:
    """The API asks for 10 minutes (allowed by --max-wait): Ctrl-C does not wait them out."""
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in KEYS])
    with start_sandbox('{"script": {"w0@example.com": ["429:600"]}}') as thread:
        thread.sandbox.seed(KEYS, [])
        args = ["run", str(src), "--base-url", thread.url, "--yes", "--rate", "0"]
        args += ["--concurrency", "1", "--max-wait", "900", "--no-progress"]
        proc = cli_subprocess(args, tmp_path)
        _wait_for(lambda: any(e.status == 429 for e in thread.sandbox.posts()), proc, "429")
        asked = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        left_after = time.monotonic() - asked
        posts = thread.sandbox.posts()
    assert proc.returncode == 130, err
    assert left_after < 10, f"took {left_after:.1f} s to leave a 600 s wait"
    assert [(e.key, e.status) for e in posts] == [("w0@example.com", 429)]
    rows = report_rows(only_report(tmp_path / "reports"))
    assert [r["status"] for r in rows] == ["pending"] * 4
    assert rows[0]["attempts"] == "1" and rows[0]["unknown_attempts"] == "0"
    assert "interrupted by SIGINT" in rows[0]["message"]
    assert "Interrupted" in out


#: Runs the CLI with a report writer that stops half-way until the test says go (stdin),
#: so signals can be sent while the report is being written.
SLOW_WRITER = """
import sys
import batch_anonymizer.app.execute as execute
from batch_anonymizer.cli.main import main

real = execute.write_report

def write_report(*args, **kwargs):
    print("WRITING", file=sys.stderr, flush=True)
    sys.stdin.readline()
    return real(*args, **kwargs)

execute.write_report = write_report
sys.exit(main(sys.argv[1:]))
"""


def test_signals_while_the_report_is_written_leave_a_complete_report(tmp_path: Path) -> None:
    """SIGTERM twice while writing: the write finishes, no half file or temp file is left."""
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in KEYS])
    with start_sandbox() as thread:
        thread.sandbox.seed(KEYS, [])
        args = ["run", str(src), "--base-url", thread.url, "--yes", "--no-progress"]
        args += ["--ledger", os.environ["BATCH_ANONYMIZER_LEDGER"]]  # not in the reports folder
        env = {
            "CUSTOMERGAUGE_API_KEY": API_KEY,
            "PATH": "/usr/bin:/bin",
            **{k: v for k, v in os.environ.items() if k.startswith("BATCH_ANONYMIZER_")},
        }
        proc = spawn(args, tmp_path, env, code=SLOW_WRITER, stdin=True)
        assert proc.stderr is not None and proc.stdin is not None
        for line in proc.stderr:
            if line.strip() == "WRITING":
                break
        proc.send_signal(signal.SIGTERM)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.2)  # let the signals land while the writer is held
        assert proc.poll() is None, "a signal while writing the report ended the process"
        proc.stdin.write("go\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err  # the signals came after the last key: nothing stopped
    assert "All done: 4 success." in out
    xlsx = only_report(tmp_path / "reports")
    rows = report_rows(xlsx)
    assert [r["status"] for r in rows] == ["success"] * 4
    stem = xlsx.stem
    names = {f"{stem}.{end}" for end in ("xlsx", "csv", "journal", "manifest.json")}
    names.add(f"{stem}.requests.csv")
    assert {p.name for p in xlsx.parent.iterdir()} == names  # no temporary file left
