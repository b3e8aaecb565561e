"""`report JOURNAL` never writes over audit files, and first removes what a killed run
left half-written beside its report (temporary files and xlsxwriter's folder)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from conftest import API_KEY, start_sandbox, write_csv
from forkcli import spawn
from pypdf import PdfReader

from batch_anonymizer.audit.reportread import read_report

KEYS = ["ann@example.com", "bob@example.org"]


def finished_run(cli, tmp_path: Path) -> Path:
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in KEYS])
    res = cli("run", src, "--sandbox", "--rate", "0", "--report", tmp_path / "run.xlsx")
    assert res.code == 0, res.err
    return tmp_path / "run.xlsx"


@pytest.mark.parametrize("existing", [".xlsx", ".csv", ".manifest.json", ".journal"])
def test_report_refuses_to_write_over_any_audit_file(cli, tmp_path: Path, existing: str) -> None:
    run = finished_run(cli, tmp_path)
    target = tmp_path / "other.xlsx"
    (tmp_path / f"other{existing}").write_bytes(b"another run's evidence")
    res = cli("report", run.with_suffix(".journal"), "--report", target)
    assert res.code == 2
    assert res.err == (
        f"error: {tmp_path / f'other{existing}'} already exists; `report` never writes over "
        "audit files: give --report NEW.xlsx, a name with no .xlsx, .csv or .manifest.json yet\n"
    )
    assert (tmp_path / f"other{existing}").read_bytes() == b"another run's evidence"
    assert sorted(p.name for p in tmp_path.glob("other*")) == [f"other{existing}"]


def test_report_refuses_to_write_over_the_runs_own_report(cli, tmp_path: Path) -> None:
    run = finished_run(cli, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.glob("run.*")}
    for args in ((), ("--report", run)):
        res = cli("report", run.with_suffix(".journal"), *args)
        assert res.code == 2
        assert res.err.startswith(f"error: {run} already exists; `report` never writes over")
    assert {p.name: p.read_bytes() for p in tmp_path.glob("run.*")} == before


KILLED_WHILE_WRITING = textwrap.dedent(
    """
    import os, sys
    from batch_anonymizer.audit import workbook
    from batch_anonymizer.cli.main import main

    def killed(*args, **kwargs):
        os._exit(9)  # as SIGKILL would: the Summary is written, Rows not yet

    workbook._table_sheets = killed
    main(sys.argv[1:])
    """
)


def test_report_removes_what_a_killed_run_left_and_says_so(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in KEYS])
    reports = tmp_path / "reports"
    killed = spawn(
        ["run", str(src), "--sandbox", "--rate", "0", "--no-progress", "--no-ledger",
         "--report", str(reports / "run.xlsx")],
        tmp_path, {"CUSTOMERGAUGE_API_KEY": API_KEY, "PATH": "/usr/bin:/bin"},
        code=KILLED_WHILE_WRITING,
    )  # fmt: skip
    _, err = killed.communicate(timeout=60)
    assert killed.returncode == 9, err
    left = sorted(p.name for p in reports.iterdir())
    # the journal, its run lock (the kernel released it), the .xlsx's temp file, xlsxwriter's folder
    assert len(left) == 4, left
    assert "run.journal" in left and "run.journal.lock" in left
    temp = next(n for n in left if n.startswith(".run.xlsx.") and n.endswith(".tmp"))
    folder = next(n for n in left if n.startswith(".xlsxwriter.run.xlsx."))
    assert (reports / folder).is_dir()
    # another report's leftovers, and an unnamed folder of an older version, are not its own
    others = [".other.xlsx.abcd1234.tmp", ".xlsxwriter.other.xlsx.abcd1234", ".xlsxwriter.k2j4m9x1"]
    (reports / others[0]).write_bytes(b"")
    (reports / others[1]).mkdir()
    (reports / others[2]).mkdir()

    res = cli("report", reports / "run.journal")
    assert res.code == 0, res.err
    assert res.out.splitlines()[0] == (
        "Removed what a killed run left half-written (it may hold keys): "
        f"{reports / temp}, {reports / folder}"
    )
    assert sorted(p.name for p in reports.iterdir()) == sorted(
        [*others, "run.csv", "run.journal", "run.manifest.json", "run.requests.csv", "run.xlsx"]
    )
    assert [r["key"] for r in read_report(reports / "run.xlsx").rows] == KEYS
    assert cli("verify", reports / "run.xlsx").out.startswith("verified: ")
    # nothing left: nothing said
    (reports / "run.xlsx").rename(tmp_path / "moved.xlsx")
    for name in ("run.csv", "run.manifest.json", "run.requests.csv"):
        (reports / name).unlink()
    res = cli("report", reports / "run.journal")
    assert res.code == 0 and res.out.startswith("Report:  ")


@pytest.mark.parametrize("where", ["elsewhere/rebuilt.xlsx", "rebuilt.xlsx"])
def test_a_report_rebuilt_under_another_name_verifies_and_is_retried(
    cli, tmp_path: Path, where: str
) -> None:
    """report JOURNAL --report PATH: the journal is copied beside the new report, so its
    manifest finds it, and verify, retry and certificates work from the new report."""
    with start_sandbox('{"script": {"bob@example.org": [400]}}') as thread:
        thread.sandbox.seed(KEYS, [])
        src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in KEYS])
        base = ("--base-url", thread.url, "--yes", "--rate", "0", "--no-progress")
        first = cli("run", src, *base, "--report", tmp_path / "run.xlsx")
        assert first.code == 1, first.out + first.err
        for name in ("run.xlsx", "run.csv", "run.requests.csv", "run.manifest.json"):
            (tmp_path / name).unlink()  # as if the run had died before its report
        target = tmp_path / where
        made = cli("report", tmp_path / "run.journal", "--report", target)
        checked = cli("verify", target)
        again = cli("retry", target, *base, "--report", tmp_path / "retry.xlsx")
        certified = cli("certificates", target)
        posts = [e.key for e in thread.sandbox.posts()]
    assert made.code == 0, made.err
    copy = target.with_suffix(".journal")
    assert f"Journal: {copy} (a copy" in made.out
    assert copy.read_bytes() == (tmp_path / "run.journal").read_bytes()
    assert checked.code == 0, checked.out + checked.err
    assert checked.out.startswith("verified: report, csv, requests csv and journal unchanged")
    assert again.code == 0, again.out + again.err
    assert posts == ["ann@example.com", "bob@example.org", "bob@example.org"]
    assert certified.code == 0, certified.out + certified.err


def test_a_rebuilt_report_keeps_who_ran_it_and_where(cli, tmp_path: Path) -> None:
    run = finished_run(cli, tmp_path)
    facts = read_report(run).facts
    assert facts["operator"] and facts["host_name"]  # the run's own report has them
    res = cli("report", run.with_suffix(".journal"), "--report", tmp_path / "again.xlsx")
    assert res.code == 0, res.err
    rebuilt = read_report(tmp_path / "again.xlsx").facts
    assert (rebuilt["operator"], rebuilt["host_name"]) == (facts["operator"], facts["host_name"])
    assert cli("certificates", tmp_path / "again.xlsx").code == 0
    pdf = sorted((tmp_path / "again-certificates").glob("*.pdf"))[0]
    said = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert f"Run by {facts['operator']} on {facts['host_name']}" in said


def test_a_journal_that_does_not_record_the_operator_says_so(cli, tmp_path: Path) -> None:
    run = finished_run(cli, tmp_path)
    journal = run.with_suffix(".journal")
    first, rest = journal.read_text(encoding="utf-8").split("\n", 1)
    record = json.loads(first)
    del record["operator"], record["host_name"]  # as a journal of 0.2.0.dev before the fix
    old = tmp_path / "old" / "run.journal"
    old.parent.mkdir()
    old.write_text(json.dumps(record) + "\n" + rest, encoding="utf-8")
    assert cli("report", old).code == 0
    facts = read_report(old.with_suffix(".xlsx")).facts
    assert (facts["operator"], facts["host_name"]) == ("not recorded", "not recorded")
