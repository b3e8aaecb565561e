"""Workbook limits: lines past a sheet continue on numbered sheets, read back in order;
a refused cell is never silent; a report wider than a sheet is refused before sending.

The limits are lowered through ``audit.limits`` (the real ones are 1,048,576 rows and
16,384 columns; bench/run.py --only limits writes a real over-limit report).
"""

from __future__ import annotations

import openpyxl
import pytest
from conftest import write_csv
from test_report import COLUMNS, FACTS, make_line

from batch_anonymizer.audit import limits
from batch_anonymizer.audit.report import write_report
from batch_anonymizer.audit.reportread import read_report
from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.errors import ReportError
from batch_anonymizer.core.records import Status


def lines(n: int) -> list:
    """n lines; every third one failed (so Needs attention gets n // 3 of them)."""
    out = []
    for i in range(n):
        if i % 3 == 1:
            out.append(make_line(i, Status.FAILED, http_status=500, code=Reason.RETRIES_EXHAUSTED))
        else:
            out.append(make_line(i))
    return out


@pytest.fixture
def five_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sheet of 5 rows: the header and 4 lines."""
    monkeypatch.setattr(limits, "MAX_ROWS", 5)


def test_lines_continue_on_numbered_sheets_and_read_back_in_order(tmp_path, five_rows) -> None:
    xlsx, csv = tmp_path / "r.xlsx", tmp_path / "r.csv"
    write_report(xlsx, csv, COLUMNS, lines(11), FACTS)
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    assert wb.sheetnames == [
        "Summary",
        "Rows",
        "Rows (2)",
        "Rows (3)",
        "Needs attention",
    ]
    header = next(wb["Rows"].iter_rows(values_only=True))
    sizes = []
    for name in ("Rows", "Rows (2)", "Rows (3)"):
        sheet = list(wb[name].iter_rows(values_only=True))
        assert sheet[0] == header
        sizes.append(len(sheet) - 1)
    assert sizes == [4, 4, 3]
    attention = list(wb["Needs attention"].iter_rows(values_only=True))
    assert [r[0] for r in attention[1:]] == [3, 6, 9, 12]  # lines 1, 4, 7, 10: one full sheet
    notes = [r[0] for r in wb["Summary"].iter_rows(max_col=1, values_only=True)]
    assert (
        "Rows continues on Rows (2), Rows (3), under the same header: a sheet holds 4 "
        "lines. The .csv holds every line in one file."
    ) in notes
    wb.close()
    from_xlsx, from_csv = read_report(xlsx).rows, read_report(csv).rows
    assert from_xlsx == from_csv
    assert [r["source_row"] for r in from_xlsx] == [str(i + 2) for i in range(11)]


def test_needs_attention_continues_too_and_a_full_sheet_makes_no_empty_one(
    tmp_path, five_rows
) -> None:
    xlsx, csv = tmp_path / "r.xlsx", tmp_path / "r.csv"
    all_failed = [
        make_line(i, Status.FAILED, code=Reason.RETRIES_EXHAUSTED, http_status=500)
        for i in range(8)
    ]
    write_report(xlsx, csv, COLUMNS, all_failed, FACTS)
    names = openpyxl.load_workbook(xlsx, read_only=True).sheetnames
    assert names == ["Summary", "Rows", "Rows (2)", "Needs attention", "Needs attention (2)"]
    assert len(read_report(xlsx).rows) == 8
    write_report(xlsx, csv, COLUMNS, [], FACTS)
    names = openpyxl.load_workbook(xlsx, read_only=True).sheetnames
    assert names == ["Summary", "Rows", "Needs attention"]


def test_a_removed_or_edited_continuation_sheet_is_refused(tmp_path, five_rows) -> None:
    xlsx, csv = tmp_path / "r.xlsx", tmp_path / "r.csv"
    write_report(xlsx, csv, COLUMNS, lines(11), FACTS)
    wb = openpyxl.load_workbook(xlsx)
    del wb["Rows (2)"]
    wb.save(tmp_path / "gap.xlsx")
    with pytest.raises(ReportError, match=r"numbered \(2\), \(3\), … one after the other"):
        read_report(tmp_path / "gap.xlsx")
    wb = openpyxl.load_workbook(xlsx)
    wb["Rows (3)"]["C1"] = "not the header"
    wb.save(tmp_path / "header.xlsx")
    with pytest.raises(ReportError, match=r'sheet "Rows \(3\)" does not have the header'):
        read_report(tmp_path / "header.xlsx")


# The table loop writes a line's cells through four calls; each must be checked. Columns:
# source_row (A, a number), key_type, key (C, text), source_column, status (E), ...,
# finished_at (I, a date).
@pytest.mark.parametrize(
    ("col", "cell"),
    [(0, "A4"), (2, "C4"), (4, "E4"), (8, "I4")],
    ids=["number", "text", "status", "date"],
)
def test_a_cell_the_writer_refuses_is_never_silent(
    tmp_path, monkeypatch: pytest.MonkeyPatch, col: int, cell: str
) -> None:
    from xlsxwriter.worksheet import Worksheet

    check = Worksheet._check_dimensions

    def refuse(self, row: int, c: int, *args: object, **kwargs: object) -> int:
        if self.name == "Rows" and (row, c) == (3, col):
            return -1  # what xlsxwriter answers for a cell outside the sheet
        return check(self, row, c, *args, **kwargs)  # type: ignore[no-any-return]

    xlsx, csv = tmp_path / "r.xlsx", tmp_path / "r.csv"
    write_report(xlsx, csv, COLUMNS, [make_line(0)], FACTS)
    before = xlsx.read_bytes()
    monkeypatch.setattr(Worksheet, "_check_dimensions", refuse)
    with pytest.raises(ReportError, match=f"refused cell {cell} of sheet 'Rows'"):
        write_report(xlsx, csv, COLUMNS, lines(5), FACTS)
    assert xlsx.read_bytes() == before  # the earlier report is left as it was
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.xlsx"]


def test_a_summary_cell_the_writer_refuses_is_never_silent(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xlsxwriter.worksheet import Worksheet

    check = Worksheet._check_dimensions

    def refuse(self, row: int, c: int, *args: object, **kwargs: object) -> int:
        if self.name == "Summary" and row == 1:
            return -1
        return check(self, row, c, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(Worksheet, "_check_dimensions", refuse)
    with pytest.raises(ReportError, match="refused cell A2 of sheet 'Summary'"):
        write_report(tmp_path / "r.xlsx", tmp_path / "r.csv", COLUMNS, lines(2), FACTS)


def test_xlsxwriter_enforces_the_lowered_limits(tmp_path, monkeypatch) -> None:
    """The lowered limit is xlsxwriter's own too: a sheet given one line too many fails
    loudly (this is what keeps the tests above honest)."""
    monkeypatch.setattr(limits, "MAX_ROWS", 5)
    monkeypatch.setattr(limits, "lines_per_sheet", lambda: 5)  # a bug: one line too many
    with pytest.raises(ReportError, match="refused cell A6 of sheet 'Rows'"):
        write_report(tmp_path / "r.xlsx", tmp_path / "r.csv", COLUMNS, lines(6), FACTS)


def test_a_report_wider_than_a_sheet_is_not_written(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(limits, "MAX_COLUMNS", 19)  # the tool's 16 and 3 of the input's 4
    with pytest.raises(ReportError) as e:
        write_report(tmp_path / "r.xlsx", tmp_path / "r.csv", COLUMNS, lines(1), FACTS)
    assert e.value.message == (
        "the report would have 20 columns (the input's and the tool's own), more than the 19 "
        "a worksheet holds: the .csv would be complete, but the workbook cannot hold the run. "
        "Keep fewer columns in the input (the key columns and what the audit needs), then run "
        "again; the report was not written"
    )
    assert not (tmp_path / "r.csv").exists()


def test_a_run_wider_than_a_sheet_is_refused_before_anything_is_sent(
    cli, tmp_path, monkeypatch
) -> None:
    # the Requests sheet is the widest: its 24 request facts and the 5 input columns
    monkeypatch.setattr(limits, "MAX_COLUMNS", 29)
    wide = write_csv(
        tmp_path / "wide.csv",
        ["Email", "A", "B", "C", "D", "E"],
        [["ann@example.com", "1", "2", "3", "4", "5"]],
    )
    res = cli("run", wide, "--sandbox", "--no-progress")
    assert res.code == 2
    assert res.err == (
        "error: the report would have 30 columns (the input's and the tool's own), more than "
        "the 29 a worksheet holds: the .csv would be complete, but the workbook cannot hold "
        "the run. Keep fewer columns in the input (the key columns and what the audit needs), "
        "then run again; nothing was sent\n"
    )
    assert not (tmp_path / "reports").exists()  # not even a journal
    fits = write_csv(
        tmp_path / "fits.csv", ["Email", "A", "B", "C", "D"], [["ann@example.com", *"1234"]]
    )
    res = cli("run", fits, "--sandbox", "--no-progress")
    assert res.code == 0, res.err


def test_a_retry_wider_than_a_sheet_is_refused(tmp_path, monkeypatch) -> None:
    from batch_anonymizer.app.prepare import prepare_retry
    from batch_anonymizer.audit.manifest import write_manifest

    xlsx, csv = tmp_path / "r.xlsx", tmp_path / "r.csv"
    write_report(xlsx, csv, COLUMNS, lines(3), FACTS)
    write_manifest(xlsx, csv, None, FACTS)
    monkeypatch.setattr(limits, "MAX_COLUMNS", 19)
    with pytest.raises(ReportError, match=r"more than the 19 a worksheet holds.*nothing was sent$"):
        prepare_retry(csv)
