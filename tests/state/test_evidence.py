"""Evidence before action: resume and retry check the earlier run's files against their
manifest before anything is sent or written, and --accept-changed-evidence is recorded.

The cases of issue 17: a ``done`` record edited from failed to success in the journal,
and a key edited in the .csv before ``retry`` (which sent that key to the vendor).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from conftest import start_sandbox, write_csv

from batch_anonymizer.audit.reportread import read_report
from batch_anonymizer.state.evidence import check_evidence

KEYS = ["k0@example.com", "k1@example.com", "k2@example.com"]
BASE = ["--yes", "--rate", "0", "--no-progress"]
VICTIM = "victim@example.org"


@pytest.fixture
def thread():
    """k1's first anonymize call is refused (400, failed); a retry then succeeds."""
    with start_sandbox('{"script": {"k1@example.com": [400]}}') as t:
        t.sandbox.seed([*KEYS, VICTIM], [])
        yield t


def failed_run(cli, tmp_path: Path, thread) -> Path:
    """A finished run (first.xlsx, .csv, .journal, .manifest.json): k1 failed."""
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in KEYS])
    first = tmp_path / "first.xlsx"
    res = cli("run", src, "--base-url", thread.url, "--report", first, *BASE)
    assert res.code == 1, res.err
    assert [r["status"] for r in read_report(first).rows] == ["success", "failed", "success"]
    return first


def edit_done_record(journal: Path) -> int:
    """k1's done record, edited from failed to success; returns its line number."""
    lines = journal.read_text(encoding="utf-8").splitlines(keepends=True)
    n = next(i for i, t in enumerate(lines) if t.startswith('{"t":"done","i":1,'))
    assert '"status":"failed"' in lines[n]
    lines[n] = lines[n].replace('"status":"failed"', '"status":"success"')
    journal.write_text("".join(lines), encoding="utf-8")
    return n + 1


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file())


def test_a_done_record_edited_to_success_is_refused_before_anything(
    cli, tmp_path: Path, thread
) -> None:
    first = failed_run(cli, tmp_path, thread)
    journal = first.with_suffix(".journal")
    line = edit_done_record(journal)
    posts, before = len(thread.sandbox.posts()), files(tmp_path)
    src = tmp_path / "in.csv"
    for args, command in [
        (("retry", journal), "retry"),
        (("retry", first), "retry"),  # the manifest beside the report covers the journal
        (("run", src, "--resume", journal), "--resume"),
    ]:
        res = cli(*args, "--base-url", thread.url, *BASE)
        assert res.code == 2, res.err
        assert res.err == (
            f"error: {command} refused: the earlier run's files are not as the tool wrote them "
            f"(journal chain broken at line {line}); nothing was sent. See "
            f"`batch-anonymizer verify {args[-1]}`, and use the files the run wrote; to go on "
            "with these anyway, add --accept-changed-evidence (the new report records it)\n"
        )
    assert len(thread.sandbox.posts()) == posts
    assert files(tmp_path) == before  # no journal, no report: nothing written


def test_going_on_from_changed_evidence_is_recorded_in_the_run_facts(
    cli, tmp_path: Path, thread
) -> None:
    first = failed_run(cli, tmp_path, thread)
    journal = first.with_suffix(".journal")
    line = edit_done_record(journal)
    second = tmp_path / "second.xlsx"
    res = cli(
        "retry", journal, "--accept-changed-evidence", "--base-url", thread.url,
        "--report", second, *BASE,
    )  # fmt: skip
    assert res.code == 0, res.err  # what the edited journal says: nothing left to send
    fact = f"first.journal: journal chain broken at line {line}"
    assert res.err.splitlines()[0] == (
        f"warning: going on from changed evidence (--accept-changed-evidence): {fact}; "
        "the new report's run facts record it"
    )
    assert read_report(second).facts["accepted_changed_evidence"] == fact
    summary = [r[0] for r in openpyxl.load_workbook(second)["Summary"].iter_rows(values_only=True)]
    assert summary[3] == (  # under the headlines (requests, keys), where nobody misses it
        "This run went on from an earlier run's files that differ from their manifest "
        f"(--accept-changed-evidence): {fact}."
    )
    # the journal keeps it too, so a rebuilt report says the same
    res = cli("report", second.with_suffix(".journal"), "--report", tmp_path / "rebuilt.xlsx")
    assert res.code == 0, res.err
    assert read_report(tmp_path / "rebuilt.xlsx").facts["accepted_changed_evidence"] == fact
    # an untouched report records nothing of the kind
    assert read_report(first).facts["accepted_changed_evidence"] == ""


def test_a_key_edited_in_the_csv_is_never_sent(cli, tmp_path: Path, thread) -> None:
    first = failed_run(cli, tmp_path, thread)
    csv = first.with_suffix(".csv")
    csv.write_text(csv.read_text(encoding="utf-8-sig").replace(KEYS[1], VICTIM), "utf-8-sig")
    res = cli("retry", csv, "--base-url", thread.url, *BASE)
    assert res.code == 2
    assert res.err.startswith(
        "error: retry refused: the earlier run's files are not as the tool wrote them "
        "(rows csv differs from the manifest (sha256 "
    )
    assert res.err.count("\n") == 1
    assert all(VICTIM not in e.key for e in thread.sandbox.log)


def test_a_lone_csv_without_its_manifest_is_refused_unless_accepted(
    cli, tmp_path: Path, thread
) -> None:
    first = failed_run(cli, tmp_path, thread)
    lone = tmp_path / "elsewhere"
    lone.mkdir()
    shutil.copy(first.with_suffix(".csv"), lone / "first.csv")
    posts = len(thread.sandbox.posts())
    res = cli("retry", lone / "first.csv", "--base-url", thread.url, *BASE)
    assert res.code == 2
    assert (
        "(no manifest first.manifest.json beside it, so nothing shows the file is as the tool "
        "wrote it); nothing was sent" in res.err
    )
    assert len(thread.sandbox.posts()) == posts
    out = tmp_path / "retried.xlsx"
    res = cli(
        "retry", lone / "first.csv", "--accept-changed-evidence", "--base-url", thread.url,
        "--report", out, *BASE,
    )  # fmt: skip
    assert res.code == 0, res.err
    assert [e.key for e in thread.sandbox.posts()[posts:]] == [KEYS[1]]
    assert read_report(out).facts["accepted_changed_evidence"] == (
        "first.csv: no manifest first.manifest.json beside it, so nothing shows the file is "
        "as the tool wrote it"
    )


def test_accept_changed_evidence_needs_resume(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [[KEYS[0]]])
    res = cli("run", src, "--sandbox", "--accept-changed-evidence", "--no-progress")
    assert res.code == 2
    assert res.err == (
        "error: --accept-changed-evidence goes with --resume REPORT (it accepts an earlier "
        "run's changed files); nothing was sent\n"
    )
    assert not (tmp_path / "reports").exists()


def test_what_counts_as_changed(cli, tmp_path: Path, thread) -> None:
    first = failed_run(cli, tmp_path, thread)
    journal = first.with_suffix(".journal")
    for source in (first, first.with_suffix(".csv"), journal):
        assert check_evidence(source).problems == ()  # untouched
    # a run killed before its report leaves only its journal: taken as it is
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(journal, alone / "killed.journal")
    assert check_evidence(alone / "killed.journal").problems == ()
    # ...but a report the manifest knows of, gone, is a change
    first.unlink()
    assert check_evidence(journal).problems == ("report xlsx first.xlsx is missing",)
