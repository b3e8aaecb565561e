"""The columnar plan gives, line by line, exactly the lines the row-by-row planner gave.

``rowplan.row_plan`` is the planner as it was (one loop over rows, one ``Line``
each); every table here, generated or read from the repository's real files,
is planned both ways and compared field by field.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_table
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rowplan import row_plan

from batch_anonymizer.core.lines import ROW_CODES, Lines
from batch_anonymizer.core.records import InputTable, Plan, SourceRow, Status
from batch_anonymizer.input.columns import where_column
from batch_anonymizer.input.loader import load_table
from batch_anonymizer.input.plan import make_plan, problem_summary
from batch_anonymizer.input.rowgate import GateColumns, gate_rows
from batch_anonymizer.input.validate import PhoneForm
from batch_anonymizer.state.linesdigest import _digest

REPO = Path(__file__).resolve().parents[2]

EMAILS = [
    "ann@example.com",
    "Ann@Example.com",
    " ann@example.com",
    "ann@example.com\u00a0",
    "\u200bann@example.com",
    "mailto:ann@example.com",
    '"Doe, Ann" <ann@example.com>',
    "ann@example.com; bob@example.org",
    "bob@example.org, ann@example.com",
    "bob@example.org",
    "a--b@example.net",
    "ann.example.com",
    "ann@b",
    "ann@b.test",
    "zoë@example.org",
    "a" * 65 + "@example.com",
    "x@" + "b" * 64 + ".example.com",
    "",
    " ",
    "n/a",
    "michael.brown@example,com",  # one invalid key, not two (with its repair in the message)
    '"ann@example.com" <bob@example.com>',  # two addresses: one invalid key
    "ann@example.com, bob@example",  # not every piece an address: one key
    "CUST-1; ann@example.com",
]
PHONES = [
    "+44 7700 900123",
    "+447700900123",
    "+44-7700-900-123",
    "+44 (0)7700 900123",
    "07700 900123",
    "0044 7700 900123",
    "447700900123",
    "4.47700900123E+11",
    "+447700900123.0",
    "+1 202-555-0143",
    "+1 202 555 0143 ",
    "tel:+447700900124",
    "+44 7700 900123; +44 7700 900125",
    "+61 2 5550 1234",
    "+999 123",
    "+44.7700.900.126",
    "+4477009001235",
    "+44 7700 900123\u00a0",
    "",
    "unknown",
]
OTHER = ["R1", "R2", "r1 ", "Erasure", "erasure", "Access", ""]

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _compare(table: InputTable, plan: Plan, region: str | None, where, form: PhoneForm) -> None:  # type: ignore[no-untyped-def]
    cols = table.columns
    filters = [(where_column(cols, c), cols[where_column(cols, c)], v) for c, v in where]
    expected = row_plan(
        table, plan.key_columns, region, filters, len(table.sheets) > 1, form, _gate(table, plan)
    )
    assert isinstance(plan.lines, Lines)
    got = tuple(plan.lines)
    assert len(plan.lines) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g == e
    # indexing, slicing and the columns' own counts say the same as the lines
    assert [plan.lines[i] for i in range(len(got))] == list(expected)
    assert plan.lines[1:3] == expected[1:3]
    if expected:
        assert plan.lines[-1] == expected[-1]
    assert plan.lines.status_counts() == _counts(e.status for e in expected)
    assert plan.lines.code_counts() == _counts(e.code for e in expected if e.code)
    for status in Status:
        assert list(plan.lines.having(status)) == [e for e in expected if e.status is status]
    # the journal's digest of the lines, read from the columns, is that of the records
    assert _digest(plan.lines) == _digest(expected)
    old = Plan(table, plan.email_column, plan.phone_column, expected, plan.key_columns)
    assert problem_summary(plan) == problem_summary(old)


# The generated "Type" cells that are not a known request type, read as erasures.
ERASURE_TYPES = ("R1", "R2", "r1 ", "")
_HELD = {"hold", "identity_unverified"}


def _gate(table: InputTable, plan: Plan):  # type: ignore[no-untyped-def]
    """Row by row, what the request type, identity and hold columns say (status, code,
    message): the oracle asks the row gate about each row alone."""
    columns = GateColumns(plan.type_column, plan.identity_column, plan.hold_column, ERASURE_TYPES)

    def gate(row: SourceRow):  # type: ignore[no-untyped-def]
        one = InputTable(table.path, table.sha256, table.size, table.columns, (row,))
        codes, message = gate_rows(one, columns)
        code = ROW_CODES[int(codes[0])]
        if code is None:
            return None
        status = Status.HELD if code.value in _HELD else Status.SKIPPED
        return status, code, message(row)

    return gate


def _counts(items):  # type: ignore[no-untyped-def]
    from collections import Counter

    return Counter(items)


_row = st.tuples(
    st.sampled_from(EMAILS),
    st.sampled_from(EMAILS),
    st.sampled_from(PHONES),
    st.sampled_from(PHONES),
    st.sampled_from(OTHER),
    st.sampled_from(OTHER),
)


@SETTINGS
@given(
    rows=st.lists(_row, min_size=0, max_size=30),
    columns=st.sampled_from(
        [
            ("Email", "Notes", "Phone", "Comment", "Request ID", "Type"),
            ("Email", "Work Email", "Phone", "Mobile", "Request ID", "Type"),
            ("Email", "Work Email", "Telephone", "Fax", "Ticket", "Request type"),
            ("Name", "Email", "Other", "Mobile Phone", "Case ID", "Status"),
        ]
    ),
    region=st.sampled_from([None, "GB", "US"]),
    where=st.sampled_from([(), (("Type", "erasure"),)]),
    form=st.sampled_from(list(PhoneForm)),
    sheets=st.sampled_from([(), ("First", "Second")]),
)
@example(rows=[], columns=("Email", "Notes", "Phone", "Comment", "Request ID", "Type"),
         region=None, where=(), form=PhoneForm.VENDOR, sheets=())  # fmt: skip
def test_generated_tables_plan_as_row_by_row(rows, columns, region, where, form, sheets) -> None:  # type: ignore[no-untyped-def]
    if not rows:
        rows = [("", "", "", "", "", "")]
    table = make_table(list(columns), [list(r) for r in rows])
    if sheets:  # rows spread over two sheets: duplicates name the sheet of the first
        src = tuple(SourceRow(sheets[i % 2], r.number, r.cells) for i, r in enumerate(table.rows))
        table = InputTable(table.path, table.sha256, table.size, table.columns, src, sheets)
    if where and "Type" not in columns:
        where = ()
    gate = GateColumns(erasure_types=ERASURE_TYPES)
    plan = make_plan(table, default_region=region, where=where, phone_form=form, gate=gate)
    _compare(table, plan, region, where, form)


_FILES = [
    *sorted((REPO / "sample_inputs").glob("*.csv")),
    *sorted((REPO / "sample_inputs").glob("*.xlsx")),
    # a Transcend pull file is planned by its type column (tests/input/test_pull_shape.py),
    # which the row-by-row reference does not know
    *sorted(p for p in (REPO / "tests" / "data" / "exports").iterdir() if "pull" not in p.name),
    *(
        REPO / "tests" / "data" / "messy" / n
        for n in (
            "cp1252_semicolon.csv",
            "excel_phones.csv",
            "pipe.txt",
            "sheets.xlsx",
            "title_rows.csv",
            "utf16_tab.txt",
            "utf8_bom.csv",
            "wrapped.csv",
        )
    ),
]


@pytest.mark.parametrize("path", _FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("region", [None, "GB"])
def test_real_files_plan_as_row_by_row(path: Path, region: str | None) -> None:
    if path.suffix not in (".csv", ".xlsx", ".txt", ".xls", ".ods"):
        pytest.skip("not an input file")
    table = load_table(path, all_sheets=path.name == "sheets.xlsx")
    plan = make_plan(table, default_region=region)
    _compare(table, plan, region, (), PhoneForm.VENDOR)


def test_a_table_without_any_key_plans_one_no_key_line_per_row() -> None:
    table = make_table(["Email", "Phone"], [["", ""], [" ", ""]])
    plan = make_plan(table)
    _compare(table, plan, None, (), PhoneForm.VENDOR)
    assert [ln.code for ln in plan.lines] == ["no_key", "no_key"]
    with pytest.raises(IndexError):
        plan.lines[2]
