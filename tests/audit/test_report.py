"""The audit report: columns, round trips through .xlsx and .csv, layout, safety."""

from __future__ import annotations

import stat
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from conftest import REPO

from batch_anonymizer.audit import report as report_mod
from batch_anonymizer.audit.report import report_columns, write_report
from batch_anonymizer.audit.reportread import read_report
from batch_anonymizer.audit.summary_words import facts_from_dict, headline
from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.errors import ReportError
from batch_anonymizer.core.records import KeyType, Line, Mode, Outcome, ReportLine, RunFacts, Status

COLUMNS = ("Request ID", "Email", "Phone", "Notes")
#: The report's own columns, in order: a contract with scripts, so written out here.
RESULT = [
    "source_row",
    "key_type",
    "key",
    "source_column",
    "status",
    "http_status",
    "message",
    "attempts",
    "finished_at",
    "run_id",
    "error_code",
    "vendor_code",
    "unknown_attempts",
]
VERIFY = ["records_before", "records_after", "key_form"]
FACTS = RunFacts(
    run_id="20240301T100000Z-abc123",
    mode=Mode.RUN,
    tool_version="0.1.0",
    started_at="2024-03-01T10:00:00Z",
    ended_at="2024-03-01T10:02:05Z",
    input_name="requests.xlsx",
    input_size=12345,
    input_sha256="ab" * 32,
    endpoint_host="api.example.com",
    region="eu",
    operator="privacy-officer",
    host_name="laptop-7",
    previous_run_id="",
    journal_name="requests-20240301T100000Z.journal",
    settings=(("rate", "5.0"), ("concurrency", "4"), ("timeout", "30")),
)
DANGEROUS = ["=1+1", "+44 7700 900123", "-2", "@SUM(A1)", "\tx", "\rx", "\nx", "'quoted"]
ODD = ["", "Zoë Ørsted 東京 🙂", "a\r\nb", "ctl\x01\x1f", "_x0041_", "  ", " lead", "x" * 300]
ODD += [
    "lone \ud800 surrogate",
    "<r><t>looks like rich text</t></r>",  # xlsxwriter would copy this into the XML as is
    '<r><t>a</t></r></is></c><c r="Z1"><f>1+1</f></c><c><is><r><t>b</t></r>',
]


def make_line(
    i: int,
    status: Status = Status.SUCCESS,
    *,
    key: str | None = None,
    key_type: KeyType | None = KeyType.EMAIL,
    cells: tuple[str, ...] | None = None,
    sheet: str | None = None,
    **outcome: object,
) -> ReportLine:
    key = f"user{i}@example.com" if key is None else key
    line = Line(
        index=i,
        sheet=sheet,
        source_row=i + 2,
        key_type=key_type,
        key=key,
        norm=key.lower(),
        status=Status.READY,
        code=None,
        message="",
        cells=cells if cells is not None else (f"R{i}", key, "", ""),
        source_column={KeyType.EMAIL: "Email", KeyType.TELEPHONE: "Phone"}.get(key_type, ""),
        written=key,
    )
    defaults: dict[str, object] = {"attempts": 1, "run_id": FACTS.run_id}
    if status is Status.SUCCESS:
        defaults.update(
            http_status=200,
            message="Record updated successfully",
            finished_at="2024-03-01T10:01:00Z",
        )
    defaults.update(outcome)
    return ReportLine(line, Outcome(status, **defaults))  # type: ignore[arg-type]


def mixed_lines() -> list[ReportLine]:
    return [
        make_line(0),
        make_line(
            1,
            Status.FAILED,
            http_status=400,
            message="bad request",
            code=Reason.VENDOR_ERROR,
            vendor_code="300004",
        ),
        make_line(2, Status.INVALID, key="not-an-email", attempts=0, message="not an email"),
        make_line(3, Status.INVALID, key="", key_type=None, attempts=0, message="no key"),
        make_line(4, Status.DUPLICATE, attempts=0, message="duplicate of row 2"),
        make_line(5, Status.SKIPPED, attempts=0),
        make_line(
            6,
            Status.PENDING,
            attempts=2,
            unknown_attempts=1,
            code=Reason.INTERRUPTED,
            message="sent, answer lost",
        ),
        make_line(7, key="+44 7700 900123", key_type=KeyType.TELEPHONE),
    ]


def write(tmp_path: Path, lines: list[ReportLine], facts: RunFacts = FACTS) -> tuple[Path, Path]:
    xlsx, csv = tmp_path / "reports" / "r.xlsx", tmp_path / "reports" / "r.csv"
    write_report(xlsx, csv, COLUMNS, lines, facts)
    return xlsx, csv


# -- columns -------------------------------------------------------------------


def test_report_columns_order_and_clashes() -> None:
    cols = report_columns(
        ["Email", "status", "key", "records_found", "x (input)"],
        records_found=True,
        source_sheet=True,
    )
    assert cols[:13] == RESULT
    assert cols[13:] == [
        "records_found",
        "records_before",
        "records_after",
        "key_form",
        "source_sheet",
        "Email",
        "status (input)",
        "key (input)",
        "records_found (input)",
        "x (input) (input)",
    ]
    assert report_columns([], records_found=False, source_sheet=False) == [*RESULT, *VERIFY]


def test_clashing_input_columns_read_back_by_their_own_names(tmp_path: Path) -> None:
    cols = ("status", "records_found", "x (input)")
    xlsx, csv = tmp_path / "r.xlsx", tmp_path / "r.csv"
    write_report(xlsx, csv, cols, [make_line(0, cells=("a", "b", "c"))], FACTS)
    for path in (xlsx, csv):
        rep = read_report(path)
        assert rep.input_columns == cols
        assert rep.input_headers == ("status (input)", "records_found (input)", "x (input) (input)")
        row = rep.rows[0]
        assert row["status"] == "success"  # rows are keyed by the header as written
        assert (row["status (input)"], row["records_found (input)"]) == ("a", "b")
        assert row["x (input) (input)"] == "c"
        assert row["records_found"] == ""
        assert rep.cells(row) == ("a", "b", "c")


def test_optional_columns_only_when_used(tmp_path: Path) -> None:
    xlsx, _ = write(tmp_path, [make_line(0)])
    assert read_report(xlsx).rows[0]["records_found"] == ""  # absent column reads as empty
    header = next(openpyxl.load_workbook(xlsx)["Rows"].iter_rows(values_only=True))
    assert "records_found" not in header and "source_sheet" not in header
    lines = [make_line(0, Status.READY, records_found=3, sheet="March"), make_line(1)]
    xlsx, csv = write(tmp_path, lines)
    header = next(openpyxl.load_workbook(xlsx)["Rows"].iter_rows(values_only=True))
    assert header[13:18] == (
        "records_found",
        "records_before",
        "records_after",
        "key_form",
        "source_sheet",
    )
    rows = read_report(csv).rows
    assert (rows[0]["records_found"], rows[0]["source_sheet"]) == ("3", "March")
    assert (rows[1]["records_found"], rows[1]["source_sheet"]) == ("", "")


def test_a_report_written_before_source_column_still_reads(tmp_path: Path) -> None:
    """A report of 0.1 (or of 0.2 before several key columns) has no source_column: it reads
    as "", and an input column of that name, not right after key, stays an input column."""
    old = [c for c in RESULT if c != "source_column"]
    path = tmp_path / "old.csv"
    path.write_bytes(
        (",".join([*old, "Email", "source_column"]) + "\r\n").encode("utf-8-sig")
        + b"2,email,a@example.com,success,200,ok,1,2024-03-01T10:01:00Z,r1,,,0,"
        + b"a@example.com,from the CRM\r\n"
    )
    rep = read_report(path)
    assert rep.input_columns == ("Email", "source_column")
    assert rep.input_headers == ("Email", "source_column (input)")
    assert rep.rows[0]["source_column"] == ""
    assert rep.cells(rep.rows[0]) == ("a@example.com", "from the CRM")
    v01 = read_report(REPO / "tests" / "data" / "v0_1" / "v01.csv")
    assert {row["source_column"] for row in v01.rows} == {""}


def test_an_input_column_named_source_column_is_kept_apart(tmp_path: Path) -> None:
    xlsx, csv = tmp_path / "r.xlsx", tmp_path / "r.csv"
    write_report(xlsx, csv, ("source_column",), [make_line(0, cells=("x",))], FACTS)
    for path in (xlsx, csv):
        rep = read_report(path)
        assert (rep.input_columns, rep.input_headers) == (
            ("source_column",),
            ("source_column (input)",),
        )
        assert (rep.rows[0]["source_column"], rep.cells(rep.rows[0])) == ("Email", ("x",))


# -- round trips ---------------------------------------------------------------


def tricky_lines() -> list[ReportLine]:
    lines = mixed_lines()
    for n, value in enumerate(DANGEROUS + ODD, len(lines)):
        lines.append(
            make_line(
                n,
                Status.FAILED,
                key=value,
                message=value,
                cells=(value, value, value, value),
                code=Reason.VENDOR_ERROR,
                vendor_code=value,
            )
        )
    return lines


def test_xlsx_and_csv_read_back_identical_rows(tmp_path: Path) -> None:
    lines = tricky_lines()
    xlsx, csv = write(tmp_path, lines)
    from_xlsx, from_csv = read_report(xlsx), read_report(csv)
    assert from_xlsx.rows == from_csv.rows
    assert from_xlsx.input_columns == from_csv.input_columns == COLUMNS
    for rl, row in zip(lines, from_xlsx.rows, strict=True):
        o = rl.outcome
        assert row["key"] == rl.line.key
        assert row["message"] == o.message
        assert row["error_code"] == (o.code.value if o.code else "")
        assert row["vendor_code"] == o.vendor_code
        assert row["unknown_attempts"] == str(o.unknown_attempts)
        assert [row[c] for c in COLUMNS] == list(rl.line.cells)
        assert row["http_status"] == ("" if o.http_status is None else str(o.http_status))
        assert row["attempts"] == str(o.attempts)
        assert row["finished_at"] == o.finished_at
        assert row["key_type"] == (rl.line.key_type.value if rl.line.key_type else "")
        assert row["source_row"] == str(rl.line.source_row)
        assert row["source_column"] == rl.line.source_column
        assert row["run_id"] == o.run_id


@pytest.mark.parametrize("value", DANGEROUS)
def test_every_dangerous_prefix_round_trips_through_both_files(tmp_path: Path, value: str) -> None:
    line = make_line(0, key=value, message=value, cells=(value,) * 4)
    xlsx, csv = write(tmp_path, [line])
    for path in (xlsx, csv):
        row = read_report(path).rows[0]
        assert row["key"] == row["message"] == row["Notes"] == value


def test_finished_at_not_in_the_iso_form_stays_text(tmp_path: Path) -> None:
    odd = "2024-03-01 10:00:00+01:00"
    xlsx, csv = write(tmp_path, [make_line(0, finished_at=odd), make_line(1, finished_at="")])
    assert [r["finished_at"] for r in read_report(xlsx).rows] == [odd, ""]
    assert [r["finished_at"] for r in read_report(csv).rows] == [odd, ""]


def test_csv_is_utf8_with_bom_and_neutralised(tmp_path: Path) -> None:
    _, csv = write(tmp_path, tricky_lines())
    raw = csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfsource_row,key_type,key,source_column,status,")
    text = raw.decode("utf-8-sig", errors="surrogatepass")  # as the reader does
    assert ",'+44 7700 900123," in text
    assert ",'=1+1," in text and ",=1+1" not in text
    assert "''quoted" in text


# -- no formulas ---------------------------------------------------------------


def test_no_cell_of_the_workbook_is_a_formula(tmp_path: Path) -> None:
    xlsx, _ = write(tmp_path, tricky_lines())
    with zipfile.ZipFile(xlsx) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    wb = openpyxl.load_workbook(xlsx)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)


def test_dangerous_cells_are_quote_prefixed(tmp_path: Path) -> None:
    xlsx, _ = write(tmp_path, tricky_lines())
    ws = openpyxl.load_workbook(xlsx)["Rows"]
    header = [c.value for c in ws[1]]
    key = header.index("key") + 1
    seen = 0
    for r in range(2, ws.max_row + 1):
        cell = ws.cell(r, key)
        value = cell.value or ""
        dangerous = value.startswith(("=", "+", "-", "@", "\t", "\n")) or value.startswith(
            "_x000D_"
        )
        assert bool(cell.quotePrefix) == dangerous, (cell.coordinate, value)
        seen += dangerous
    assert seen == len(DANGEROUS) - 1 + 1  # "'quoted" is not dangerous; line 7 is a phone


# -- layout --------------------------------------------------------------------


def test_workbook_layout(tmp_path: Path) -> None:
    lines = mixed_lines()
    xlsx, _ = write(tmp_path, lines)
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["Summary", "Rows", "Needs attention"]
    rows, attention = wb["Rows"], wb["Needs attention"]
    header = [c.value for c in rows[1]]
    assert header == RESULT + VERIFY + list(COLUMNS)
    for ws, n in ((rows, len(lines)), (attention, 4)):
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:T{n + 1}"
        assert [c.value for c in ws[1]] == header
        assert all(c.font.b for c in ws[1])
        assert ws.max_row == n + 1
    assert [rows.cell(r, 5).value for r in range(2, 10)] == [
        rl.outcome.status.value for rl in lines
    ]
    assert [attention.cell(r, 5).value for r in range(2, 6)] == [
        "failed",
        "invalid",
        "invalid",
        "pending",
    ]
    fills = {rows.cell(r, 5).value: rows.cell(r, 5).fill.fgColor.rgb for r in range(2, 10)}
    assert fills["success"].endswith("C6EFCE")
    assert fills["failed"].endswith("FFC7CE")
    assert fills["pending"].endswith("FFEB9C")
    assert fills["invalid"].endswith("D9D9D9") and fills["skipped"].endswith("D9D9D9")
    assert [rows.cell(r, 4).value for r in (2, 5)] == ["Email", None]  # no key: no column
    widths = [rows.column_dimensions[c].width for c in "ABCDEFGHIJKLMNO"]
    assert all(8 <= w <= 60 for w in widths)
    when = rows.cell(2, 9)
    assert when.value == datetime(2024, 3, 1, 10, 1, 0)
    assert when.number_format == 'yyyy-mm-dd hh:mm:ss "UTC"'
    assert rows.cell(3, 9).value is None  # unfinished: empty
    assert wb["Summary"]._charts, "the Summary has a bar chart"


def test_formula_text_is_a_quoted_text_cell(tmp_path: Path) -> None:
    xlsx, _ = write(tmp_path, [make_line(0, key="=1+1", message="=1+1")])
    ws = openpyxl.load_workbook(xlsx)["Rows"]
    for cell in (ws["C2"], ws["G2"]):
        assert (cell.value, cell.data_type, cell.quotePrefix) == ("=1+1", "s", True)


def test_print_setup_widths_and_chart(tmp_path: Path) -> None:
    xlsx, _ = write(tmp_path, mixed_lines())
    wb = openpyxl.load_workbook(xlsx)
    for ws in wb.worksheets:  # A4, landscape: each is wider than portrait at 100%
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
    summary = wb["Summary"]  # three columns: one page wide
    assert summary.sheet_properties.pageSetUpPr.fitToPage
    assert summary.page_setup.fitToWidth in (None, 1)  # 1 is the default, may be left out
    assert summary.page_setup.fitToHeight == 0
    assert summary.print_area == "'Summary'!$A$1:$C$" + str(summary.max_row)
    for title in ("Rows", "Needs attention"):
        ws = wb[title]
        assert ws.print_title_rows == "$1:$1"
        message = [c.value for c in ws[1]].index("message") + 1
        texts = [ws.cell(r, message) for r in range(2, ws.max_row + 1)]
        wrapped = [c.alignment.wrap_text for c in texts if c.value]
        assert wrapped and all(wrapped)
        assert ws.column_dimensions[openpyxl.utils.get_column_letter(message)].width <= 49
    widths = [summary.column_dimensions[c].width for c in "ABC"]
    assert [round(w) for w in widths] == [29, 59, 61]  # 28, 58, 60 characters shown
    (chart,) = summary._charts
    assert (chart.tagname, chart.type) == ("barChart", "bar")
    assert chart.title.tx.rich.p[0].r[0].t == "Lines per status"
    assert chart.x_axis.scaling.orientation == "maxMin"  # statuses top to bottom, as the table
    (series,) = chart.series
    first = 1 + [r[0] for r in summary_cells(xlsx)].index("success")
    assert series.cat.numRef.f == f"Summary!$A${first}:$A${first + len(Status) - 1}"
    assert series.val.numRef.f == f"Summary!$B${first}:$B${first + len(Status) - 1}"


def summary_cells(xlsx: Path) -> list[list[object]]:
    ws = openpyxl.load_workbook(xlsx)["Summary"]
    return [[c.value for c in row] for row in ws.iter_rows(max_col=3)]


def test_summary_counts_equal_the_rows(tmp_path: Path) -> None:
    lines = mixed_lines()
    xlsx, _ = write(tmp_path, lines)
    cells = summary_cells(xlsx)
    counts = {r[0]: r[1] for r in cells if r[0] in {s.value for s in Status}}
    rows = read_report(xlsx).rows
    assert counts == {s.value: sum(r["status"] == s.value for r in rows) for s in Status}
    assert next(r for r in cells if r[0] == "total")[1] == len(lines)
    text = " ".join(str(v) for r in cells for v in r if v)
    assert "times are UTC" in text
    assert cells[1][0] == (
        "2 of 7 keys anonymized (the vendor's answers, not verified); 1 failed, 1 pending, "
        "1 invalid, 1 duplicate, 1 skipped, 1 row without an email or telephone: "
        "see Needs attention."
    )


def test_facts_read_back_exactly_by_field_name(tmp_path: Path) -> None:
    xlsx, csv = write(tmp_path, mixed_lines())
    facts = read_report(xlsx).facts
    assert facts["input_sha256"] == FACTS.input_sha256
    assert facts["input_size"] == "12345"
    assert facts["setting.rate"] == "5.0"
    assert facts_from_dict(facts) == FACTS
    assert read_report(csv).facts == {}
    labels = [r[0] for r in summary_cells(xlsx)]
    assert "Input file SHA-256" in labels and "Duration" in labels
    durations = [r[1] for r in summary_cells(xlsx) if r[0] == "Duration"]
    assert durations == ["2m 05s"]


def test_headline_wording() -> None:
    lines = [make_line(0, Status.READY), make_line(1, Status.INVALID, key="x")]
    dry = RunFacts(**{**_facts_dict(), "mode": Mode.DRY_RUN})
    assert headline(lines, dry) == (
        "Dry run, nothing sent: 1 of 2 keys would be sent; 1 invalid: see Needs attention."
    )
    halted = RunFacts(**{**_facts_dict(), "halted": "401 Unauthorized: check the API key"})
    many = [make_line(i) for i in range(1204)] + [make_line(9000, Status.PENDING)]
    assert headline(many, halted) == (
        "Run halted: 401 Unauthorized: check the API key. "
        "1,204 of 1,205 keys anonymized (the vendor's answers, not verified); "
        "1 pending: see Needs attention."
    )
    assert headline([make_line(0)], FACTS) == (
        "1 of 1 keys anonymized (the vendor's answers, not verified)."
    )


def test_headline_of_a_verified_run_speaks_of_records() -> None:
    verified = [make_line(i, records_before=2 + (i == 0), records_after=0) for i in range(61)]
    absent = [
        make_line(100 + i, Status.NOT_FOUND, code=Reason.NOT_FOUND, records_before=0)
        for i in range(4)
    ]
    still = make_line(
        200, Status.FAILED, code=Reason.STILL_PRESENT, records_before=2, records_after=2
    )
    assert headline([*verified, *absent, still], FACTS) == (
        "61 of 66 keys anonymized and verified (123 records); 4 not held by CustomerGauge; "
        "1 still present: see Needs attention."
    )
    only_absent = headline(absent, FACTS)
    assert only_absent == "0 of 4 keys anonymized; 4 not held by CustomerGauge."


def _facts_dict() -> dict[str, object]:
    return {f: getattr(FACTS, f) for f in FACTS.__slots__}  # type: ignore[attr-defined]


# -- files ---------------------------------------------------------------------


def test_modes_0600_and_new_folder_0700(tmp_path: Path) -> None:
    xlsx, csv = write(tmp_path, mixed_lines())
    assert stat.S_IMODE(xlsx.parent.stat().st_mode) == 0o700
    for p in (xlsx, csv):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert sorted(p.name for p in xlsx.parent.iterdir()) == ["r.csv", "r.xlsx"]  # no temp left


def test_existing_folder_keeps_its_mode(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    write_report(folder / "r.xlsx", folder / "r.csv", COLUMNS, [make_line(0)], FACTS)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755


def test_failure_midway_leaves_the_old_report_intact(tmp_path: Path, monkeypatch) -> None:
    xlsx, csv = write(tmp_path, mixed_lines())
    before = xlsx.read_bytes(), csv.read_bytes()

    def broken(out, *args: object, **kwargs: object) -> None:
        out.write(b"PK\x03\x04 half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report_mod, "write_workbook", broken)
    with pytest.raises(ReportError, match="No space left on device"):
        write_report(xlsx, csv, COLUMNS, [make_line(0)], FACTS)
    assert (xlsx.read_bytes(), csv.read_bytes()) == before
    assert sorted(p.name for p in xlsx.parent.iterdir()) == ["r.csv", "r.xlsx"]


def test_workbook_writer_failure_is_a_report_error(tmp_path: Path, monkeypatch) -> None:
    xlsx, csv = write(tmp_path, mixed_lines())
    before = xlsx.read_bytes(), csv.read_bytes()

    def full(self: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xlsxwriter.Workbook, "_store_workbook", full)
    with pytest.raises(ReportError, match="No space left on device"):
        write_report(xlsx, csv, COLUMNS, [make_line(0)], FACTS)
    assert (xlsx.read_bytes(), csv.read_bytes()) == before
    assert sorted(p.name for p in xlsx.parent.iterdir()) == ["r.csv", "r.xlsx"]


def test_keys_never_go_to_the_shared_temp_folder(tmp_path: Path, monkeypatch) -> None:
    shared = tmp_path / "tmp"
    shared.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    write(tmp_path, mixed_lines())
    assert list(shared.iterdir()) == []


def test_unwritable_folder_is_a_report_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ReportError, match="cannot write"):
        write_report(blocker / "r.xlsx", blocker / "r.csv", COLUMNS, [make_line(0)], FACTS)


# -- reading errors --------------------------------------------------------------


def test_not_a_report(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_text("Email,Name\nann@example.com,Ann\n", encoding="utf-8")
    with pytest.raises(ReportError, match="lacks the column"):
        read_report(plain)
    book = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Data"
    wb.save(book)
    with pytest.raises(ReportError, match='no "Rows" sheet'):
        read_report(book)
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(ReportError, match=r"^junk.xlsx is not a readable workbook"):
        read_report(junk)
    with pytest.raises(ReportError):
        read_report(tmp_path / "missing.csv")


def test_edited_status_is_refused(tmp_path: Path) -> None:
    _, csv = write(tmp_path, [make_line(0)])
    csv.write_text(csv.read_text(encoding="utf-8-sig").replace(",success,", ",sucess,"), "utf-8")
    with pytest.raises(ReportError, match=r'^line 2 of r\.csv: status "sucess"'):
        read_report(csv)


def test_a_run_refuses_before_sending_if_xlsxwriter_lost_the_escape_hook(
    cli, tmp_path: Path, monkeypatch, sandbox
) -> None:
    # a later xlsxwriter whose worksheet no longer has the private escape hook
    monkeypatch.setattr("batch_anonymizer.audit.workbook.Worksheet", type("Worksheet", (), {}))
    src = tmp_path / "in.csv"
    src.write_text("Email\na@example.com\n", encoding="utf-8")
    sandbox.sandbox.seed(["a@example.com"], [])
    res = cli("run", src, "--base-url", sandbox.url, "--yes", "--no-progress")
    assert res.code == 2
    assert "changed an internal that keeps report cells inert" in res.err
    assert "nothing was sent" in res.err
    assert sandbox.sandbox.posts() == []
