"""`source_sheet` is in the report of every workbook input, one sheet or several: resume
and retry match a line by (sheet, row, key), so a report without it would match no line
of a workbook's plan. A text input has no sheets, and no such column."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO, SAMPLES

from batch_anonymizer.app.prepare import prepare_run
from batch_anonymizer.audit.reportread import read_report


def test_a_one_sheet_workbook_gets_source_sheet_and_resumes_from_its_csv(
    cli, tmp_path: Path
) -> None:
    res = cli("run", SAMPLES / "requests.xlsx", "--sandbox", "--rate", "0",
              "--report", tmp_path / "run.xlsx", "--no-progress")  # fmt: skip
    assert res.code == 1, res.err  # the sample's invalid rows
    for report in (tmp_path / "run.xlsx", tmp_path / "run.csv"):
        rows = read_report(report).rows
        assert len(rows) == 71  # 65 success, 2 not_found, 2 invalid, 2 duplicate
        assert {r["source_sheet"] for r in rows} == {"Requests"}  # its only sheet
    prep = prepare_run(SAMPLES / "requests.xlsx", resume=tmp_path / "run.csv")
    assert prep.jobs == []  # every line matched: nothing would be sent again
    assert len(prep.carried) == 56 + 2  # the successes and the keys not held


def test_a_text_input_has_no_source_sheet(cli, tmp_path: Path) -> None:
    cli("validate", SAMPLES / "requests.csv", "--report", tmp_path / "v.xlsx")
    header = (tmp_path / "v.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "source_sheet" not in header


def test_the_report_page_says_so() -> None:
    page = (REPO / "docs" / "report.md").read_text(encoding="utf-8")
    assert "only when the input had several sheets" not in page
    assert (
        "| `source_sheet` | the sheet of the row, for a workbook input (`.xlsx`, `.xlsm`, `.xls`, "
        "`.ods`), however many sheets it has; a text input has no such column |"
    ) in page
