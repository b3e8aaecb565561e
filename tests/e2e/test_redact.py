"""``redact REPORT``: no key of the run left in any of its files, everything else as it was,
``verify`` still passing (and failing on any later edit), all-or-nothing under SIGKILL."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import pytest

from batch_anonymizer.audit.manifest import verify
from batch_anonymizer.audit.redactcommit import finish_redaction
from batch_anonymizer.audit.reportread import read_report
from batch_anonymizer.cli.main import main
from batch_anonymizer.core.identity import mask
from batch_anonymizer.state.previous import load_previous
from tests.conftest import cli_subprocess, write_csv

HEADER = ["request_id", "email", "phone", "notes", "date_received"]
ROWS = [
    ["R1", "Jane.Doe@Example.com", "+44 7700 900123", "called from 07700 900123", "2026-11-01"],
    ["R2", "bob@example.org", "", "bob@example.org asked twice", "2026-11-02"],
    ["ann.lee@example.net", "ann.lee@example.net", "+1 202 555 0142", "", "2026-11-03"],
]
#: Every key of the run, in each form it may be written: as written, lower-case,
#: E.164, the vendor's digits, the national form.
FORMS = {
    "jane": ["Jane.Doe@Example.com", "jane.doe@example.com"],
    "bob": ["bob@example.org"],
    "ann": ["ann.lee@example.net"],
    "uk": ["+44 7700 900123", "+447700900123", "447700900123", "07700 900123", "7700900123"],
    "us": ["+1 202 555 0142", "+12025550142", "12025550142", "202 555 0142", "2025550142"],
}
KEY_CELLS = {c for r in ROWS for c in r[:3] if "@" in c or c.startswith("+")}
FILES = (".xlsx", ".csv", ".requests.csv", ".journal", ".manifest.json")


def _run(folder: Path, rows: list[list[str]], *extra: str) -> tuple[int, Path]:
    src = write_csv(folder / "in.csv", HEADER, rows)
    xlsx = folder / "r" / "run.xlsx"
    code = main(
        ["run", str(src), "--sandbox", "--yes", "--no-progress", "--default-region", "GB",
         "--report", str(xlsx), *extra]
    )  # fmt: skip
    return code, xlsx


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One finished sandbox run (its sandbox ledger beside it), made once for the module."""
    folder = tmp_path_factory.mktemp("base")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BATCH_ANONYMIZER_CONFIG_DIR", str(folder / "config"))
        mp.chdir(folder)
        code, xlsx = _run(folder, ROWS)
    assert code == 0
    yield xlsx


@pytest.fixture
def report(base: Path, tmp_path: Path) -> Path:
    """A copy of the base run's report folder, for a test to change."""
    shutil.copytree(base.parent, tmp_path / "r")
    return tmp_path / "r" / base.name


def _texts(folder: Path) -> Iterator[tuple[str, bytes]]:
    """Every file's bytes, and every member of a zip (the .xlsx) decompressed."""
    for p in sorted(folder.rglob("*")):
        if p.is_file() and "ledger" not in p.name:
            data = p.read_bytes()
            yield p.name, data
            if zipfile.is_zipfile(p):
                with zipfile.ZipFile(p) as z:
                    for info in z.infolist():
                        yield f"{p.name}:{info.filename}", z.read(info)


def _found(folder: Path) -> list[tuple[str, str]]:
    return [
        (name, form)
        for name, data in _texts(folder)
        for forms in FORMS.values()
        for form in forms
        if form.encode() in data or form.lower().encode() in data.lower()
    ]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_a_redacted_report_holds_no_key_and_nothing_else_changed(report: Path) -> None:
    before = read_report(report)
    before_requests = (report.parent / "run.requests.csv").read_text(encoding="utf-8-sig")
    assert _found(report.parent)  # the search finds the keys of a report as the run wrote it
    assert main(["redact", str(report)]) == 0
    assert _found(report.parent) == []
    result = verify(report)
    assert result.ok, result.summary
    assert "keys redacted" in result.summary
    after = read_report(report)
    assert after.facts == before.facts
    inputs = set(before.input_headers)
    for old, new in zip(before.rows, after.rows, strict=True):
        for column, value in old.items():
            if column == "key":
                assert new[column].startswith(mask(value) + " #"), (value, new[column])
                assert len(new[column]) == len(mask(value)) + 2 + 64
            elif column == "notes" and value:
                assert new[column] == ""  # an input cell that held a key among words
            elif column in inputs and value in KEY_CELLS:
                assert new[column].startswith(mask(value) + " #")
            else:
                assert new[column] == value, column
    assert "R1,2,2026-11-01,2026-12-01" in before_requests
    requests = (report.parent / "run.requests.csv").read_text(encoding="utf-8-sig")
    assert "R1,2,2026-11-01,2026-12-01" in requests


def test_the_keyed_hash_is_the_ledgers_and_history_still_answers(report: Path) -> None:
    assert main(["redact", str(report)]) == 0
    ledger = report.parent / "sandbox-ledger.sqlite3"
    with sqlite3.connect(ledger) as db:
        hmacs = {h for (h,) in db.execute("SELECT key_hmac FROM entries")}
    cells = {r["key"].rsplit(" #", 1)[1] for r in read_report(report).rows}
    assert cells == hmacs
    assert main(["history", "JANE.DOE@example.com", "--ledger", str(ledger)]) == 0
    cell = read_report(report).rows[1]["key"]  # the UK telephone's line
    assert main(["history", cell, "--ledger", str(ledger)]) == 0
    assert main(["history", cell.rsplit(" #", 1)[1], "--ledger", str(ledger)]) == 0
    assert main(["history", "0" * 64, "--ledger", str(ledger)]) == 1


@pytest.mark.parametrize("ending", FILES)
def test_verify_fails_on_any_later_edit(report: Path, ending: str) -> None:
    assert main(["redact", str(report)]) == 0
    path = report.parent / ("run" + ending)
    data = path.read_bytes()
    middle = len(data) // 2
    path.write_bytes(data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :])
    assert not verify(report).ok
    path.write_bytes(data + b" ")
    assert not verify(report).ok
    path.write_bytes(data)
    assert verify(report).ok


def test_certificates_rebuild_and_retry_after_redaction(
    report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    masked = [mask(e.line.key) for e in load_previous(report).entries]
    assert main(["redact", str(report)]) == 0
    assert [mask(e.line.key) for e in load_previous(report).entries] == masked
    assert main(["certificates", str(report)]) == 0
    assert verify(report).ok
    drafts = list(report.with_name(report.stem + "-certificates").glob("*.eml"))
    # no key left: a draft of a redacted report has no To: (the sender fills it in)
    assert drafts and all(message_from_bytes(p.read_bytes())["To"] is None for p in drafts)
    alone = report.parent.parent / "alone"
    alone.mkdir()
    shutil.copy(report.with_suffix(".journal"), alone / "run.journal")
    assert main(["report", str(alone / "run.journal")]) == 0
    assert _found(alone) == []
    capsys.readouterr()
    assert main(["retry", str(report), "--sandbox", "--yes"]) == 2
    err = capsys.readouterr().err
    assert "were redacted on" in err and "Run the input again" in err
    src = report.parent.parent / "in.csv"
    write_csv(src, HEADER, ROWS)
    assert main(["run", str(src), "--resume", str(alone / "run.journal"), "--sandbox"]) == 2


def test_redact_twice_changes_nothing_the_second_time(report: Path) -> None:
    assert main(["redact", str(report)]) == 0
    once = _snapshot(report.parent)
    assert main(["redact", str(report)]) == 0
    assert _snapshot(report.parent) == once


def test_refuses_a_changed_report_unless_accepted(
    report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = report.with_suffix(".csv")
    csv.write_bytes(csv.read_bytes() + b"\r\n")
    before = _snapshot(report.parent)
    assert main(["redact", str(report)]) == 2
    assert "--accept-changed-evidence" in capsys.readouterr().err
    assert _snapshot(report.parent) == before
    assert main(["redact", str(report), "--accept-changed-evidence"]) == 0
    body = json.loads(report.with_suffix(".manifest.json").read_bytes())
    assert "rows csv differs" in body["redaction"]["accepted_changed_evidence"]
    assert verify(report).ok
    assert _found(report.parent) == []


def test_refuses_a_run_with_pending_keys_unless_forced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    faults = '{"script": {"bob@example.org": [401]}}'
    code, xlsx = _run(tmp_path, ROWS, "--concurrency", "1", "--sandbox-faults", faults)
    assert code == 3
    before = _snapshot(xlsx.parent)
    capsys.readouterr()
    assert main(["redact", str(xlsx)]) == 2
    assert "pending" in capsys.readouterr().err
    assert _snapshot(xlsx.parent) == before
    assert main(["redact", str(xlsx), "--force"]) == 0
    assert verify(xlsx).ok
    body = json.loads(xlsx.with_suffix(".manifest.json").read_bytes())
    assert body["redaction"]["forced_pending"] >= 1


def _sha(folder: Path) -> dict[str, str]:
    return {e: hashlib.sha256((folder / ("run" + e)).read_bytes()).hexdigest() for e in FILES}


@pytest.mark.parametrize("moment", [4, 7, 10])
def test_a_sigkill_at_any_moment_leaves_one_verifiable_set(
    report: Path, monkeypatch: pytest.MonkeyPatch, moment: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """Steps: 5 new files written (1-5), the manifest's step (6), the commit (7), five
    renames (8-12). Each kill leaves the run's own set or the redacted one."""
    original = _sha(report.parent)
    monkeypatch.setenv("BATCH_ANONYMIZER_TEST_KILL_AT", str(moment))
    proc = cli_subprocess(["redact", str(report)], report.parent)
    proc.communicate(timeout=60)
    assert proc.returncode == -9
    monkeypatch.delenv("BATCH_ANONYMIZER_TEST_KILL_AT")
    assert main(["verify", str(report)]) == 0  # completes the redaction, or rolls it back
    said = capsys.readouterr().out
    assert ("was rolled back" if moment < 7 else "was completed") in said
    assert finish_redaction(report) == ""
    result = verify(report)
    assert result.ok, result.summary
    assert [p.name for p in report.parent.iterdir() if p.name.startswith(".")] == []
    if moment < 7:
        assert _sha(report.parent) == original
    else:
        assert "keys redacted" in result.summary
        assert _found(report.parent) == []


def test_a_folder_of_mixed_runs_and_check_changes_nothing(
    report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = report.parent
    for ending in FILES:  # a second run of the folder, under another name
        shutil.copy(folder / ("run" + ending), folder / ("two" + ending))
    assert main(["redact", str(folder / "two.xlsx")]) == 0
    (folder / "bad.manifest.json").write_text("{")

    def state() -> dict[str, tuple[bytes, int]]:
        return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}

    before = state()
    capsys.readouterr()
    assert main(["redact", str(folder), "--older-than", "0", "--check"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert state() == before
    assert sorted(line.split(":")[0] for line in out) == [
        "already redacted",
        "unreadable",
        "would redact",
    ]
    assert main(["redact", str(folder), "--older-than", "0"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert sorted(line.split(":")[0] for line in out) == [
        "already redacted",
        "redacted",
        "unreadable",
    ]
    (folder / "bad.manifest.json").unlink()
    assert verify(folder / "run.xlsx").ok and verify(folder / "two.xlsx").ok
    assert _found(folder) == []


def test_certificates_written_before_redaction_still_verify(
    report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["certificates", str(report)]) == 0
    capsys.readouterr()
    assert main(["redact", str(report)]) == 0
    # the request id ann.lee@example.net is masked on certificates: none names a key; the
    # reply drafts held the addresses (To:): redact removes them, and verify accepts that
    out = capsys.readouterr().out
    assert "certificate(s) beside it" not in out
    folder = report.with_name(report.stem + "-certificates")
    assert "removed 3 reply draft(s) (.eml) from the certificates folder" in out
    assert list(folder.glob("*.eml")) == [] and len(list(folder.glob("*.txt"))) == 3
    assert _found(report.parent) == []  # no key in any file of the report, drafts included
    result = verify(report)
    assert result.ok, result.summary
    assert "certificates" in result.summary
    # a draft removed by anyone else, or edited, is still found
    txt = sorted(folder.glob("*.txt"))[0]
    txt.write_bytes(txt.read_bytes() + b"x")
    assert not verify(report).ok


def test_a_key_left_in_a_redacted_file_changes_nothing(
    report: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The last check before the commit: a file that would still hold a key stops it all."""
    from batch_anonymizer.app import redact

    seen: list[str] = []

    def left_in_the_journal(path: Path, keys: object) -> bool:
        seen.append(path.name)
        return path.name.endswith(".journal.redact-new")

    monkeypatch.setattr(redact, "leftover_keys", left_in_the_journal)
    before = _snapshot(report.parent)
    assert main(["redact", str(report)]) == 2
    assert "a key was left in the redacted run.journal" in capsys.readouterr().err
    assert _snapshot(report.parent) == before  # no new file, none replaced
    assert len(seen) == 4


def test_a_report_whose_run_another_process_holds_is_not_redacted(
    report: Path, tmp_path: Path
) -> None:
    """Issue 26: a live run's report (here: a retry of it holds the run) keeps its keys."""
    from batch_anonymizer.state.runlock import run_lock

    before = _snapshot(report.parent)
    with run_lock(report.with_suffix(".journal"), "batch-anonymizer retry run.xlsx"):
        proc = cli_subprocess(["redact", str(report)], tmp_path)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, out + err
    assert err.startswith("error: another batch-anonymizer process is working on the run of ")
    assert "batch-anonymizer retry run.xlsx" in err and "nothing was done" in err
    after = _snapshot(report.parent)
    after.pop("run.journal.lock", None)  # the holder's lock file, removed when it lets go
    assert after == before
    assert main(["redact", str(report)]) == 0  # once it let go
