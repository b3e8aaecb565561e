"""A full disk at every moment: one clear line, the right exit code, nothing lost or sent twice.

The reports folder is a small tmpfs mounted for the test (root only; skipped
otherwise, with the reason). The real CLI runs as a subprocess against the
sandbox in this process, whose request log is the witness.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import cli_subprocess, fast_args, report_rows, start_sandbox, write_csv

from batch_anonymizer.state.reader import read_journal

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("mount") is None,
    reason="mounting a small tmpfs needs root and mount(8)",
)


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: the plan of 200 keys fits, their requests do not."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


KEYS = [f"disk{i}@example.com" for i in range(200)]


def test_a_disk_that_fills_mid_run_stops_it_and_loses_nothing(
    cli, tmp_path: Path, tiny: Path
) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in KEYS])
    with start_sandbox() as thread:
        box = thread.sandbox
        box.seed(KEYS, [])
        base = fast_args(thread.url)
        base += ["--ledger", os.environ["BATCH_ANONYMIZER_LEDGER"]]  # on a disk with room
        proc = cli_subprocess(["run", str(src), *base, "--reports-dir", str(tiny)], tmp_path)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 4, out + err  # sent, then the report could not be written
        assert "Traceback" not in err and err.count("error:") == 1
        line = err.strip().splitlines()[-1]
        assert line.startswith("error: the report could not be written (No space left on device)")
        assert "`batch-anonymizer report " in line and "--resume " in line
        first_posts = Counter(e.key for e in box.posts())
        assert 0 < len(first_posts) < len(KEYS)  # it stopped when the journal could not grow

        # the journal is torn at most on its last line, and knows every request that left
        (journal,) = tiny.glob("*.journal")
        kept = tmp_path / "kept"
        kept.mkdir()
        shutil.copy(journal, kept / journal.name)
        state = read_journal(kept / journal.name)
        sent_keys = {state.lines[i].key for i in state.sent}
        assert set(first_posts) <= sent_keys

        # freed: the report is written from the journal, and the run goes on from it (both
        # in this process: only the run that meets the full disk needs one of its own)
        assert cli("report", kept / journal.name).code == 0
        resumed = cli("run", src, "--resume", kept / journal.name, *base, "--reports-dir", kept)
        assert resumed.code == 0, resumed.out + resumed.err
        posts = Counter(e.key for e in box.posts())
    assert posts == Counter(KEYS)  # every key sent exactly once, across both runs
    final = sorted(kept.glob("in-*.xlsx"), key=lambda p: p.stat().st_mtime_ns)[-1]
    assert {r["status"] for r in report_rows(final)} == {"success"}


def test_a_plan_that_does_not_fit_sends_nothing(tmp_path: Path, tiny: Path) -> None:
    many = [f"plan{i}@example.com" for i in range(2000)]  # ~400 KB of line records
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in many])
    with start_sandbox() as thread:
        proc = cli_subprocess(
            ["run", str(src), "--base-url", thread.url, "--yes", "--no-progress",
             "--reports-dir", str(tiny), "--ledger", os.environ["BATCH_ANONYMIZER_LEDGER"]],
            tmp_path,
        )  # fmt: skip
        _, err = proc.communicate(timeout=120)
        requests = len(thread.sandbox.log)
    assert proc.returncode == 2
    assert err.strip().splitlines()[-1].startswith("error: cannot write the journal ")
    assert "nothing was sent" in err and "Traceback" not in err
    assert requests == 0
    assert list(tiny.iterdir()) == []  # no partial journal left behind


def test_report_on_a_full_disk_is_one_line(cli, tmp_path: Path, tiny: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in KEYS[:40]])
    with start_sandbox() as thread:
        thread.sandbox.seed(KEYS, [])
        done = cli("run", src, *fast_args(thread.url), "--reports-dir", tmp_path / "reports")
        assert done.code == 0, done.out + done.err
    (journal,) = (tmp_path / "reports").glob("*.journal")
    shutil.copy(journal, tiny / journal.name)
    filler = tiny / "filler"
    free = shutil.disk_usage(tiny).free
    filler.write_bytes(b"\0" * max(0, free - 24 * 1024))  # room for the parts, not the zip
    proc = cli_subprocess(["report", str(tiny / journal.name)], tmp_path)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.count("\n") == 1 and "Traceback" not in err and "Exception ignored" not in err
    assert "No space left on device" in err
    assert sorted(p.name for p in tiny.iterdir()) == sorted([journal.name, "filler"])
