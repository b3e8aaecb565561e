"""A Transcend cron pull file as an input shape: found by its headers, identifiers typed by
``type``, lines of other types skipped, ``coreIdentifier`` never sent."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import REPO, make_table
from hypothesis import given, settings
from hypothesis import strategies as st

from batch_anonymizer.input.loader import load_table
from batch_anonymizer.input.plan import make_plan
from batch_anonymizer.input.transcend import platform_due, pull_shape

PULL = REPO / "tests" / "data" / "exports" / "transcend_pull.csv"


def test_the_pull_file_plans_each_identifier_as_its_type_says() -> None:
    table = load_table(PULL)
    assert table.columns[:3] == ("identifier", "type", "coreIdentifier")  # row 1 is the header
    plan = make_plan(table)
    got = [
        (ln.source_row, ln.key_type.value if ln.key_type else "", ln.key, ln.status.value,
         ln.code.value if ln.code else "")
        for ln in plan.lines
    ]  # fmt: skip
    assert got == [
        (2, "email", "ann.pull@example.com", "ready", ""),
        (3, "telephone", "447700900201", "ready", ""),  # sent in the vendor's form
        (4, "email", "bob.pull@example.org", "ready", ""),
        (5, "", "", "skipped", "identifier_type"),  # a user id: nothing sent
        (6, "email", "cara.pull@example.net", "ready", ""),
        (7, "email", "dev.pull@example.com", "skipped", "not_erasure"),  # an ACCESS request
        (8, "email", "Eve.Pull@Example.com", "ready", ""),
        (9, "email", "frank.pull@@example.com", "invalid", "invalid_email"),
        (10, "email", "ann.pull@example.com", "duplicate", "duplicate"),  # A's, sent once
    ]
    assert [ln.written for ln in plan.lines][1] == "+44 7700 900201"
    assert 'type is "userId"' in plan.lines[3].message
    assert [(k.name, k.key_type.value, k.rule.value) for k in plan.key_columns] == [
        ("identifier", "email", "typed"),
        ("identifier", "telephone", "typed"),
    ]
    assert [(r.name, r.rule.value) for r in plan.rejected_columns] == [("coreIdentifier", "typed")]
    assert (plan.request_id_column, plan.date_received_column) == ("requestId", "requestCreatedAt")


def test_naming_a_key_column_reads_the_file_as_any_table() -> None:
    plan = make_plan(load_table(PULL), email_columns=["identifier"])
    assert "identifier_type" not in {ln.code for ln in plan.lines if ln.code}
    assert [k.rule.value for k in plan.key_columns] == ["named"]


def test_a_type_in_any_case_and_spacing_counts() -> None:
    header = ["Identifier", "TYPE", "Nonce", "request_id"]
    rows = [
        ["+44 7700 900202", " Phone ", "n1", "r1"],
        ["gus@example.com", "EMAIL", "n2", "r2"],
        ["gus@example.com", "phone", "n3", "r3"],  # an email said to be a telephone
        ["hal@example.com; ida@example.com", "email", "n4", "r4"],  # one identifier: unsplit
    ]
    plan = make_plan(make_table(header, rows))
    assert [(ln.key_type.value if ln.key_type else "", ln.status.value) for ln in plan.lines] == [
        ("telephone", "ready"),
        ("email", "ready"),
        ("telephone", "invalid"),
        ("email", "invalid"),
    ]


@pytest.mark.parametrize(
    ("columns", "found"),
    [
        (["identifier", "type", "nonce", "requestId"], True),
        (["IDENTIFIER", "Type", "NONCE", "request-id", "action"], True),
        (["identifier", "type", "requestId"], False),  # no nonce: not a pull file
        (["Email", "Type", "Nonce", "Request ID"], False),
    ],
)
def test_a_pull_file_is_known_by_its_headers(columns: list[str], found: bool) -> None:
    assert (pull_shape(columns) is not None) is found


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("13", dt.date(2026, 12, 14)), (" -2 ", dt.date(2026, 11, 29)), ("3.0", dt.date(2026, 12, 4)),
     ("", None), ("soon", None), ("99999", None), ("1e400", None), ("nan", None)],
)  # fmt: skip
def test_days_until_overdue_count_from_the_day_given(cell: str, expected: dt.date | None) -> None:
    assert platform_due(cell, dt.date(2026, 12, 1)) == expected


@settings(deadline=None)
@given(st.text(max_size=12), st.lists(st.text(max_size=12), max_size=6))
def test_any_cell_and_header_are_read_without_raising(cell: str, header: list[str]) -> None:
    due = platform_due(cell, dt.date(2026, 12, 1))
    assert due is None or abs((due - dt.date(2026, 12, 1)).days) <= 3660
    pull_shape(header)
