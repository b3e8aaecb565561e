"""The ledger with real processes: two runs writing it at once, and a SIGKILL then a resume."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from pathlib import Path

from conftest import cli_subprocess, report_rows, server_args, start_sandbox, write_csv

from batch_anonymizer.core.identity import pseudonym
from batch_anonymizer.core.records import KeyType
from batch_anonymizer.state.ledger import Ledger
from batch_anonymizer.state.secret import find_secret


def ledger_file() -> Path:
    return Path(os.environ["BATCH_ANONYMIZER_LEDGER"])


def entries() -> set[tuple[str, str, str]]:
    with sqlite3.connect(ledger_file()) as db:
        return set(db.execute("SELECT run_id, key_hmac, outcome FROM entries"))


def secret() -> bytes:
    path = Path(os.environ["BATCH_ANONYMIZER_CONFIG_DIR"]) / "hmac-secret"
    return path.read_bytes().rstrip(b"\n")


def test_two_runs_writing_one_new_ledger_at_once_both_complete_and_are_recorded(
    tmp_path: Path,
) -> None:
    n = 150
    groups = [[f"p{g}-{i}@example.com" for i in range(n)] for g in range(2)]
    inputs = [
        write_csv(tmp_path / f"in{g}.csv", ["Email"], [[k] for k in keys])
        for g, keys in enumerate(groups)
    ]
    with start_sandbox('{"latency": [0.0, 0.004]}') as thread:
        thread.sandbox.seed(groups[0] + groups[1], [])
        base = server_args(thread.url)
        # neither the ledger nor its secret exist yet: both processes race to create them
        procs = [
            cli_subprocess(["run", str(src), *base, "--reports-dir", f"r{g}"], tmp_path)
            for g, src in enumerate(inputs)
        ]
        results = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, out + err
        assert f"({n} entries recorded)" in out
    got = entries()
    runs = {run for run, _, _ in got}
    assert len(runs) == 2 and len(got) == 2 * n
    s = secret()
    for g, keys in enumerate(groups):
        run = report_rows(next((tmp_path / f"r{g}").glob("*.xlsx")))[0]["run_id"]
        assert {(run, pseudonym(s, k, KeyType.EMAIL), "success") for k in keys} <= got


def test_sigkill_mid_run_then_resume_leaves_ledger_and_report_in_agreement(
    cli, tmp_path: Path
) -> None:
    n = 150
    keys = [f"k{i}@example.com" for i in range(n)]
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in keys])
    with start_sandbox() as thread:
        box = thread.sandbox
        box.seed(keys, [])
        base = server_args(thread.url)
        proc = cli_subprocess(["run", str(src), *base, "--concurrency", "8"], tmp_path)
        deadline = time.monotonic() + 60
        while len(box.posts()) < n // 3 and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        at_kill = entries()
        journal = next((tmp_path / "reports").glob("*.journal"))
        resumed = cli("run", src, "--resume", journal, *base)  # in this process: not killed
    assert resumed.code == 0, resumed.out + resumed.err
    assert 0 < len(at_kill) < n  # the killed run had recorded some, not all
    final = [p for p in (tmp_path / "reports").glob("*.xlsx")]
    rows = report_rows(max(final, key=lambda p: p.stat().st_mtime_ns))
    s = secret()
    from_report = {(r["run_id"], pseudonym(s, r["key"], KeyType.EMAIL), r["status"]) for r in rows}
    assert {r["status"] for r in rows} == {"success"}
    # what the ledger holds is exactly what the report says, run by run
    assert entries() == from_report
    assert at_kill <= from_report  # nothing the killed run recorded was not true


def test_a_run_killed_before_its_ledger_batches_is_refilled_by_its_resume(
    tmp_path: Path,
) -> None:
    n = 40
    keys = [f"k{i}@example.com" for i in range(n)]
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in keys])
    with start_sandbox() as thread:
        box = thread.sandbox
        box.seed(keys, [])
        base = server_args(thread.url)
        found = find_secret(None, create=True)  # the ledger and its secret, as a run makes them
        assert found is not None
        made = Ledger(ledger_file(), create=True)
        made.bind(found.value, source=found.source)
        made.close()
        before = entries()
        # another writer holds the ledger: the run's batches wait behind it, its sends do not
        holder = sqlite3.connect(ledger_file(), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        proc = cli_subprocess(["run", str(src), *base, "--concurrency", "8"], tmp_path)
        journal = None
        deadline = time.monotonic() + 60
        while proc.poll() is None:
            assert time.monotonic() < deadline
            journal = next((tmp_path / "reports").glob("*.journal"), None)
            if journal is not None and journal.read_bytes().count(b'{"t":"done",') == n:
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        holder.execute("ROLLBACK")
        holder.close()
        at_kill = entries() - before
        assert journal is not None
        resumed = cli_subprocess(["run", str(src), "--resume", str(journal), *base], tmp_path)
        out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, out + err
    assert at_kill == set()  # every key answered and journaled, none in the ledger yet
    assert len(box.posts()) == n  # the resume sent nothing again
    final = max((tmp_path / "reports").glob("*.xlsx"), key=lambda p: p.stat().st_mtime_ns)
    rows = report_rows(final)
    s = secret()
    from_report = {(r["run_id"], pseudonym(s, r["key"], KeyType.EMAIL), r["status"]) for r in rows}
    assert {r["status"] for r in rows} == {"success"} and len(rows) == n
    assert entries() - before == from_report  # the resume recorded what the kill lost
