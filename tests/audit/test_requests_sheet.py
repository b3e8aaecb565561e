"""The Requests sheet: read back with openpyxl, its csv twin, the Summary's words about
requests, Needs attention's order, and the manifest covering the twin."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import replace
from pathlib import Path

import openpyxl
from request_data import FAILED, HEADER, NOT_FOUND, STILL, TODAY, planned

from batch_anonymizer.audit.manifest import verify, write_manifest
from batch_anonymizer.audit.report import requests_csv_path, write_report
from batch_anonymizer.audit.reportread import read_requests
from batch_anonymizer.audit.requests_sheet import request_tables
from batch_anonymizer.core.records import Mode, RunFacts
from batch_anonymizer.core.requests import RequestOutcome
from batch_anonymizer.requests import derive_requests

#: The sheet's own columns, in order: a contract with scripts, so written out here.
OURS = [
    "request",
    "source_rows",
    "date_received",
    "due_date",
    "extended",
    "outcome",
    "keys",
    "records_anonymized",
    "completed_at",
    "on_time",
    "days_left",
    "duplicate_of",
    "deadline_code",
    "extension_reason",
    "request_type",
    "identity",
    "hold",
    "protocol_status",
    "protocol_reason",
    "handled_by",  # new in 0.4: after every earlier column
    "approved_by",
    "decision",
    "decision_note",
    "reply_draft",
]
FACTS = RunFacts(
    run_id="20261201T100000Z-abc123",
    mode=Mode.RUN,
    tool_version="0.2.0",
    started_at="2026-12-01T10:00:00Z",
    ended_at="2026-12-01T10:02:00Z",
    input_name="in.csv",
    input_size=1,
    input_sha256="ab" * 32,
    endpoint_host="api.eu.customergauge.com",
    region="eu",
    settings=(("deadlines_as_of", "2026-12-01"),),
)
ROWS = [
    ["REQ-1", "2026-11-20", "", "ann@example.com", "+44 7700 900123"],  # erased, due 12-21
    ["REQ-2", "2026-10-01", "", "bob@example.com", ""],  # failed, overdue
    ['=HYPERLINK("x")', "05/11/2026", "", "cleo@example.com", ""],  # formula-like id
    ["REQ-1", "2026-11-21", "", "", "+1 202 555 0143"],  # REQ-1's second row
    ["REQ-4", "2026-11-26", "yes", "dev@example.com", ""],  # failed, extended: open
    ["REQ-5", "2026-11-05", "", "eve@example.com", ""],  # failed, due soon: Mon 7 Dec
]


def written(tmp_path: Path) -> tuple[Path, Path]:
    lines, rules = planned(
        ROWS,
        {
            "12025550143": NOT_FOUND,
            "bob@example.com": FAILED,
            "dev@example.com": STILL,
            "eve@example.com": FAILED,
        },
    )
    requests = derive_requests(lines, HEADER, rules, TODAY)
    xlsx, csv_path = tmp_path / "r.xlsx", tmp_path / "r.csv"
    write_report(xlsx, csv_path, HEADER, lines, FACTS, requests=requests)
    return xlsx, csv_path


def test_the_requests_sheet_read_back_with_openpyxl(tmp_path: Path) -> None:
    xlsx, _ = written(tmp_path)
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["Summary", "Requests", "Register", "Rows", "Needs attention"]
    ws = wb["Requests"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0] == OURS + HEADER
    first = dict(zip(values[0], values[1], strict=True))
    assert first["request"] == "REQ-1" and first["source_rows"] == "2, 5"
    assert first["date_received"] == dt.datetime(2026, 11, 20)  # a real date cell
    assert ws.cell(2, 3).number_format == "yyyy-mm-dd"
    assert first["due_date"] == dt.datetime(2026, 12, 21)
    assert (first["outcome"], first["keys"], first["on_time"]) == ("erased", 3, "yes")
    assert first["completed_at"] == dt.datetime(2026, 12, 1, 10, 0)  # when its last key finished
    assert first["days_left"] is None and first["Email"] == "ann@example.com"
    by_id = {row[0]: dict(zip(values[0], row, strict=True)) for row in values[1:]}
    assert by_id["REQ-2"]["on_time"] == "overdue" and by_id["REQ-2"]["days_left"] == -29
    assert by_id["REQ-4"]["extended"] == "yes" and by_id["REQ-4"]["on_time"] == "open"
    assert by_id["REQ-5"]["on_time"] == "due_soon" and by_id["REQ-5"]["days_left"] == 6
    odd = by_id['=HYPERLINK("x")']
    assert odd["deadline_code"] == "ambiguous_date" and odd["due_date"] is None
    formula_cell = ws.cell(4, 1)
    assert formula_cell.data_type == "s" and formula_cell.quotePrefix  # text, never a formula
    # coloured like the statuses
    fills = {ws.cell(r, 6).value: ws.cell(r, 6).fill.fgColor.rgb for r in range(2, 7)}
    assert fills["erased"].endswith("C6EFCE") and fills["incomplete"].endswith("FFC7CE")
    overdue = next(r for r in range(2, 7) if ws.cell(r, 10).value == "overdue")
    assert ws.cell(overdue, 10).fill.fgColor.rgb.endswith("FFC7CE")


def test_the_csv_twin_holds_the_same_lines_formula_safe(tmp_path: Path) -> None:
    xlsx, _ = written(tmp_path)
    twin = requests_csv_path(xlsx)
    assert twin.name == "r.requests.csv" and twin.stat().st_mode & 0o777 == 0o600
    with twin.open(encoding="utf-8-sig", newline="") as f:
        raw = list(csv.reader(f))
    assert raw[0] == OURS + HEADER
    assert raw[1][:11] == [
        "REQ-1", "2, 5", "2026-11-20", "2026-12-21", "no", "erased", "3", "4",
        "2026-12-01T10:00:00Z", "yes", "",
    ]  # fmt: skip
    assert raw[3][0] == '\'=HYPERLINK("x")'  # neutralised, as in the report's own csv
    assert read_requests(xlsx) == read_requests(twin)  # both read back to the same text
    assert read_requests(twin)[2]["request"] == '=HYPERLINK("x")'


def test_the_summary_counts_requests_first(tmp_path: Path) -> None:
    xlsx, _ = written(tmp_path)
    col_a = [r[0] for r in openpyxl.load_workbook(xlsx)["Summary"].iter_rows(values_only=True)]
    assert col_a[1] == "2 of 5 requests completed: 2 erased; 3 incomplete, 1 of them overdue."
    assert col_a[2] == (
        "3 of 7 keys anonymized and verified (6 records); 1 not held by CustomerGauge; "
        "1 still present, 2 failed: see Needs attention."
    )
    assert "Requests per outcome" in col_a and "Requests by deadline (on_time)" in col_a
    table = col_a[col_a.index("Requests by deadline (on_time)") + 2 :][:6]
    assert table == ["yes", "late", "overdue", "due_soon", "open", "(no due date)"]
    assert any(str(v).startswith("Requests lists one line per erasure request. Deadlines as of "
                                 "2026-12-01 (UTC)") for v in col_a)  # fmt: skip


def test_needs_attention_lists_the_lines_of_overdue_requests_first(tmp_path: Path) -> None:
    xlsx, _ = written(tmp_path)
    ws = openpyxl.load_workbook(xlsx)["Needs attention"]
    keys = [row[2] for row in ws.iter_rows(min_row=2, values_only=True)]
    # REQ-2 overdue, then REQ-5 due soon, then the rest (REQ-4, open) in input order
    assert keys == ["bob@example.com", "eve@example.com", "dev@example.com"]
    rows = openpyxl.load_workbook(xlsx)["Rows"]
    in_order = [r[2] for r in rows.iter_rows(min_row=2, values_only=True) if r[4] == "failed"]
    assert in_order == ["bob@example.com", "dev@example.com", "eve@example.com"]


def test_an_input_column_named_like_ours_is_marked(tmp_path: Path) -> None:
    header = ["Request ID", "Email", "outcome"]
    lines, rules = planned([["R1", "ann@example.com", "x"]], header=header)
    requests = derive_requests(lines, header, rules, TODAY)
    xlsx = tmp_path / "r.xlsx"
    write_report(xlsx, tmp_path / "r.csv", header, lines, FACTS, requests=requests)
    (row,) = read_requests(xlsx)
    assert row["outcome"] == "erased" and row["outcome (input)"] == "x"


def test_the_manifest_and_verify_cover_the_twin(tmp_path: Path) -> None:
    xlsx, csv_path = written(tmp_path)
    write_manifest(xlsx, csv_path, None, FACTS)
    assert verify(xlsx).summary == (
        f"verified: report, csv and requests csv unchanged since run {FACTS.run_id}"
    )
    twin = requests_csv_path(xlsx)
    twin.write_text(twin.read_text(encoding="utf-8-sig").replace("erased", "incomplete"))
    result = verify(xlsx)
    assert not result.ok and result.problems[0].startswith("requests csv differs")
    twin.unlink()
    assert verify(xlsx).problems == ["requests csv r.requests.csv is missing"]


def test_requests_whose_deadline_needs_a_look_are_on_needs_attention(tmp_path: Path) -> None:
    rows = [
        ["REQ-1", "2026-10-26", "2026-12-01", "ann@example.com", ""],  # told late: success
        ["REQ-2", "2026-10-26", "Yes (complex)", "bob@example.com", ""],  # extended: success
        ["REQ-3", "2026-11-02", "maybe", "cleo@example.com", ""],  # unclear: success
        ["REQ-4", "2026-12-24", "", "dev@example.com", ""],  # after the report's day
        ["REQ-5", "2026-11-02", "", "eve@example.com", ""],  # nothing to look at
    ]
    lines, rules = planned(rows)
    requests = derive_requests(lines, HEADER, rules, TODAY)
    xlsx = tmp_path / "r.xlsx"
    write_report(xlsx, tmp_path / "r.csv", HEADER, lines, FACTS, requests=requests)
    ws = openpyxl.load_workbook(xlsx)["Needs attention"]
    keys = [row[2] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert keys == ["ann@example.com", "cleo@example.com", "dev@example.com"]
    got = {r["request"]: r for r in read_requests(xlsx)}
    assert (got["REQ-1"]["deadline_code"], got["REQ-1"]["due_date"]) == (
        "late_extension",
        "2026-11-26",
    )
    assert (got["REQ-2"]["extended"], got["REQ-2"]["extension_reason"]) == ("yes", "complex")
    assert got["REQ-3"]["deadline_code"] == "unclear_extension"
    assert (got["REQ-4"]["deadline_code"], got["REQ-4"]["due_date"]) == ("future_date", "")
    assert got["REQ-5"]["deadline_code"] == ""


def test_a_platform_deadline_apart_lists_the_request_in_needs_attention(tmp_path: Path) -> None:
    header = ["Request ID", "Date received", "Email", "daysUntilOverdue"]
    rows = [
        ["T-1", "2026-11-20", "ann@example.com", "20"],  # due 12-21; the platform: 12-21
        ["T-2", "2026-11-20", "bob@example.com", "5"],  # the platform: 12-06, 15 days apart
    ]
    lines, rules = planned(rows, header=header)
    rules = replace(rules, platform_days_column="daysUntilOverdue")
    requests = derive_requests(lines, header, rules, TODAY)
    assert [r.code.value if r.code else "" for r in requests] == ["", "platform_deadline"]
    xlsx = tmp_path / "r.xlsx"
    write_report(xlsx, tmp_path / "r.csv", header, lines, FACTS, requests=requests)
    ws = openpyxl.load_workbook(xlsx)["Needs attention"]
    # a verified success, listed for its request's deadline
    assert [(r[2], r[4]) for r in ws.iter_rows(min_row=2, values_only=True)] == [
        ("bob@example.com", "success")
    ]


def test_every_sheet_prints_on_a4_with_its_header_row_at_a_readable_size(tmp_path: Path) -> None:
    xlsx, _ = written(tmp_path)
    wb = openpyxl.load_workbook(xlsx)
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.paperSize == 9, ws.title  # A4
        assert ws.print_area, ws.title
        assert ws.page_margins.left == 0.4 and ws.page_margins.top == 0.5
        fits = (
            ws.sheet_properties.pageSetUpPr is not None
            and ws.sheet_properties.pageSetUpPr.fitToPage
        )
        if fits:  # one page wide, as many long: only a sheet that fits at 73% or more
            assert setup.fitToWidth in (None, 1) and setup.fitToHeight == 0, ws.title
        else:  # never shrunk below 8 pt (73% of 11 pt): a wider sheet prints across pages
            assert setup.scale is None or setup.scale >= 73, ws.title
    for title in ("Requests", "Register", "Rows", "Needs attention"):
        assert wb[title].print_title_rows == "$1:$1", title
    # the Requests sheet's 29 columns: at 73%, across pages, the request id on each page
    requests = wb["Requests"]
    assert requests.page_setup.orientation == "landscape" and requests.page_setup.scale == 73
    assert requests.print_title_cols == "$A:$A"
    fit = requests.sheet_properties.pageSetUpPr
    assert fit is None or not fit.fitToPage  # never shrunk to one page wide
    assert requests.print_area == "'Requests'!$A$1:$AC$6"
    # the Register: the key columns (those of the run's facts where present), one page wide
    register = wb["Register"]
    header = [c.value for c in register[1]]
    assert header == [
        "request", "date_received", "due_date", "outcome", "on_time", "days_left", "keys",
        "handled_by", "decision", "decision_note", "deadline_code",
    ]  # fmt: skip
    assert register.sheet_properties.pageSetUpPr.fitToPage
    assert register.page_setup.orientation == "landscape"
    rows = [[c.value for c in r] for r in register.iter_rows(min_row=2)]
    assert rows[0][:10] == [
        "REQ-1", dt.datetime(2026, 11, 20), dt.datetime(2026, 12, 21), "erased", "yes",
        None, 3, "not recorded", "erased", None,
    ]  # fmt: skip
    # numbers and dates keep a space from the next column's text; message wraps
    ws = wb["Rows"]
    names = [c.value for c in ws[1]]

    def filled(name: str) -> openpyxl.cell.Cell:
        column = names.index(name) + 1
        return next(ws.cell(r, column) for r in range(2, 9) if ws.cell(r, column).value)

    number = filled("attempts")
    assert number.alignment.horizontal == "right" and number.alignment.indent == 1
    assert register.cell(2, 2).alignment.indent == 1  # a date before a date
    # a row made tall by a wrapped cell: every value at its top, on one line
    assert {register.cell(2, c).alignment.vertical for c in (1, 2, 4, 7)} == {"top"}
    # --paper letter
    lines, rules = planned(ROWS)
    write_report(
        tmp_path / "l.xlsx", tmp_path / "l.csv", HEADER, lines, FACTS,
        requests=derive_requests(lines, HEADER, rules, TODAY), paper="letter",
    )  # fmt: skip
    letter = openpyxl.load_workbook(tmp_path / "l.xlsx")
    assert {ws.page_setup.paperSize for ws in letter.worksheets} == {1}


def test_the_deadline_table_counts_each_request_once_where_it_belongs(tmp_path: Path) -> None:
    lines, rules = planned(
        ROWS, {"bob@example.com": FAILED, "dev@example.com": STILL, "eve@example.com": FAILED}
    )
    requests = derive_requests(lines, HEADER, rules, TODAY)
    # REQ-4 (due 2027-02-26, open) left out by --where: it keeps its due date, no status
    by_id = {r.request: r for r in requests}
    by_id["REQ-4"] = replace(
        by_id["REQ-4"], outcome=RequestOutcome.SKIPPED, on_time=None, days_left=None
    )
    assert by_id["REQ-4"].due is not None
    _, by_time = request_tables(list(by_id.values()))
    assert [(value, n) for value, n, _ in by_time.counts] == [
        ("yes", 1),  # REQ-1
        ("late", 0),
        ("overdue", 1),  # REQ-2
        ("due_soon", 1),  # REQ-5
        ("open", 0),
        ("(left out by --where)", 1),  # REQ-4: dated, not under "(no due date)"
        ("(no due date)", 1),  # the ambiguous 05/11/2026 only
    ]
