"""What a request is: its lines, its outcome from its keys, its deadline and on_time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest
from conftest import make_table
from hypothesis import given, settings
from hypothesis import strategies as st
from request_data import (
    DONE,
    FAILED,
    HEADER,
    NOT_FOUND,
    PENDING,
    READY,
    STILL,
    SUCCESS,
    TODAY,
    UNVERIFIED,
    derive,
)

from batch_anonymizer.core.records import Outcome
from batch_anonymizer.core.requests import DeadlineCode, OnTime, Request
from batch_anonymizer.input.dates import DayOrder
from batch_anonymizer.input.plan import make_plan
from batch_anonymizer.requests import RequestRules, derive_requests, stream_requests, timing


def one(rows: list[list[str]], outcomes: Mapping[str, Outcome] | None = None) -> Request:
    (r,) = derive(rows, outcomes)
    return r


A, P = "ann@example.com", "+44 7700 900123"  # the phone is sent as 447700900123
PS = "447700900123"


@pytest.mark.parametrize(
    ("email", "phone", "outcomes", "expected"),
    [
        (A, "", {}, "erased"),
        (A, P, {PS: NOT_FOUND}, "erased"),  # one key held, one not: erased
        (A, P, {A: NOT_FOUND, PS: NOT_FOUND}, "no_data_held"),
        ("", P, {PS: NOT_FOUND}, "no_data_held"),
        (A, P, {PS: STILL}, "incomplete"),  # still_present is a failure
        (A, "", {A: FAILED}, "incomplete"),
        (A, P, {A: PENDING}, "incomplete"),
        (A, "12", {}, "incomplete"),  # the telephone cannot be sent: not all was done
        ("not-an-email", "", {}, "invalid"),
        ("", "", {}, "invalid"),  # no key at all
        (A, "", {A: READY}, "ready"),  # dry run
        (A, "12", {A: READY}, "ready"),
        (A, "", {A: UNVERIFIED}, "anonymized_unverified"),
        (A, P, {A: UNVERIFIED, PS: NOT_FOUND}, "anonymized_unverified"),
    ],
)
def test_the_outcome_of_every_combination(
    email: str, phone: str, outcomes: dict[str, Outcome], expected: str
) -> None:
    r = one([["REQ-1", "2026-11-20", "", email, phone]], outcomes)
    assert r.outcome.value == expected
    assert r.completed_at == (DONE if expected in ("erased", "no_data_held") else "")


def test_a_request_with_both_keys_is_one_request_of_two_keys() -> None:
    r = one([["REQ-1", "2026-11-20", "", A, P]], {PS: NOT_FOUND})
    assert (r.request, r.rows, r.key_count) == ("REQ-1", ((None, 2),), 2)
    assert r.records_anonymized == 2  # the email's two; the telephone had none
    assert [e.line.key for e in r.entries] == [A, PS]


def test_rows_sharing_a_request_id_form_one_request() -> None:
    rows = [
        ["REQ-1", "2026-11-20", "", A, ""],
        ["REQ-2", "2026-11-21", "", "bob@example.com", ""],
        [" REQ-1 ", "2026-11-18", "", "", P],  # spaces around the id are no difference
        ["req-1", "2026-11-22", "", "cleo@example.com", ""],  # case is: another ticket
        ["", "2026-11-23", "", "dev@example.com", ""],  # no id: a request of its own row
    ]
    got = derive(rows, {PS: FAILED})
    assert [(r.request, r.rows, r.key_count) for r in got] == [
        ("REQ-1", ((None, 2), (None, 4)), 2),
        ("REQ-2", ((None, 3),), 1),
        ("req-1", ((None, 5),), 1),
        ("row 6", ((None, 6),), 1),
    ]
    first = got[0]
    assert first.outcome.value == "incomplete"  # its second row's telephone failed
    assert first.received == dt.date(2026, 11, 18)  # the earliest of its rows
    assert first.cells[3] == A  # the first row's cells
    assert got[3].by_row and not first.by_row


def test_a_request_whose_keys_were_all_sent_by_another_takes_its_outcome() -> None:
    rows = [
        ["REQ-1", "2026-11-20", "", A, P],
        ["REQ-2", "2026-11-25", "", A.upper(), ""],  # the same person writing again
    ]
    first, again = derive(rows, {PS: STILL})
    assert first.outcome.value == "incomplete"
    # its own key was anonymized, but it is the same person's request: not done either
    assert again.outcome.value == "incomplete" and again.duplicate_of == ("REQ-1",)
    assert again.entries[0].via == "REQ-1" and again.entries[0].outcome == SUCCESS
    first, again = derive(rows)
    assert again.outcome.value == "erased" and again.completed_at == first.completed_at


def test_a_request_with_a_key_of_another_and_one_of_its_own_is_judged_on_both() -> None:
    rows = [
        ["REQ-1", "2026-11-20", "", A, P],
        ["REQ-2", "2026-11-25", "", A, "+44 7700 900999"],
    ]
    _, second = derive(rows, {PS: STILL, "447700900999": NOT_FOUND})
    assert second.outcome.value == "erased"  # its email was sent (and erased) for REQ-1
    assert second.duplicate_of == ("REQ-1",)


def test_rows_left_out_by_where_are_skipped_requests() -> None:
    header = [*HEADER, "Type"]
    rows = [
        ["REQ-1", "2026-10-01", "", A, "", "Access"],
        ["REQ-2", "2026-10-01", "", "", P, "Erasure"],
    ]
    access, _ = derive(rows, header=header, where=(("Type", "Erasure"),))
    assert access.outcome.value == "skipped" and access.on_time is None and access.days_left is None


@pytest.mark.parametrize(
    ("cell", "order", "received", "code"),
    [
        ("2026-11-05", None, dt.date(2026, 11, 5), None),
        ("2026-11-05T23:30:00-05:00", None, dt.date(2026, 11, 6), None),  # its UTC date
        ("05/11/2026", None, None, DeadlineCode.AMBIGUOUS_DATE),
        ("05/11/2026", DayOrder.DAY_FIRST, dt.date(2026, 11, 5), None),
        ("05/11/2026", DayOrder.MONTH_FIRST, dt.date(2026, 5, 11), None),
        ("25/11/2026", None, dt.date(2026, 11, 25), None),  # 25 cannot be a month
        ("yesterday", None, None, DeadlineCode.INVALID_DATE),
        ("9999-12-31", None, None, DeadlineCode.INVALID_DATE),  # it would have no due date
        ("1899-12-31", None, None, DeadlineCode.INVALID_DATE),
        ("", None, None, DeadlineCode.NO_DATE),
    ],
)
def test_the_date_received_and_its_codes(
    cell: str, order: DayOrder | None, received: dt.date | None, code: DeadlineCode | None
) -> None:
    (r,) = derive([["REQ-1", cell, "", A, ""]], order=order)
    assert (r.received, r.code) == (received, code)
    assert (r.due is None) == (received is None)
    assert r.outcome.value == "erased"  # the request is processed whatever its date says


@pytest.mark.parametrize(
    ("cell", "order", "received"),
    [
        ("12 Nov 2026", None, dt.date(2026, 11, 12)),
        ("Nov 12, 2026", DayOrder.MONTH_FIRST, dt.date(2026, 11, 12)),
        ("12.11.2026", DayOrder.DAY_FIRST, dt.date(2026, 11, 12)),
    ],
)
def test_a_date_written_out_gets_its_due_date(
    cell: str, order: DayOrder | None, received: dt.date
) -> None:
    (r,) = derive([["REQ-1", cell, "", A, ""]], order=order)
    assert (r.received, r.due, r.code) == (received, dt.date(2026, 12, 14), None)  # 12 Dec: Sat


def test_a_date_received_after_the_reports_day_is_future_date_without_a_due_date() -> None:
    (r,) = derive([["REQ-1", "2026-12-02", "", A, ""]], {A: FAILED})  # TODAY is 2026-12-01
    assert (r.code, r.received, r.due, r.on_time) == (DeadlineCode.FUTURE_DATE, None, None, None)
    (today,) = derive([["REQ-1", "2026-12-01", "", A, ""]])
    assert today.code is None and today.due == dt.date(2027, 1, 1)
    # a request with one row dated in the future is flagged whole
    (both,) = derive([["REQ-1", "2026-11-02", "", A, ""], ["REQ-1", "2027-11-02", "", "", P]])
    assert both.code is DeadlineCode.FUTURE_DATE


@pytest.mark.parametrize(
    ("received", "cell", "order", "due", "extended", "code", "on_time"),
    [
        # the case: told 1 Dec, after the month ran out on 26 Nov: 11 days late
        ("26/10/2026", "01/12/2026", None, "2026-11-26", False, "late_extension", "late"),
        ("26/10/2026", "01/12/2026", DayOrder.DAY_FIRST, "2026-11-26", False,
         "late_extension", "late"),
        ("26/10/2026", "2026-11-20", None, "2027-01-26", True, None, "yes"),
        ("26/10/2026", "Yes (complex)", None, "2027-01-26", True, None, "yes"),
        ("26/10/2026", "complex, numerous", None, "2027-01-26", True, None, "yes"),
        ("26/10/2026", "2026-10-20", None, "2026-11-26", False, "extension_before_receipt",
         "late"),
        ("26/10/2026", "maybe", None, "2026-11-26", False, "unclear_extension", "late"),
        ("26/10/2026", "no", None, "2026-11-26", False, None, "late"),
    ],
)  # fmt: skip
def test_an_extension_counts_only_when_told_within_the_first_month(
    received: str,
    cell: str,
    order: DayOrder | None,
    due: str,
    extended: bool,
    code: str | None,
    on_time: str,
) -> None:
    (r,) = derive([["REQ-1", received, cell, A, ""]], order=order)  # completed 2026-12-01
    assert (r.due, r.extended, r.code, r.on_time) == (
        dt.date.fromisoformat(due),
        extended,
        DeadlineCode(code) if code else None,
        OnTime(on_time),
    )


def test_the_extension_reason_is_kept_and_a_late_row_outweighs_a_yes() -> None:
    (r,) = derive([["REQ-1", "2026-10-26", "Yes (complex)", A, ""]])
    assert r.extension_reason == "complex"
    rows = [["REQ-1", "2026-10-26", "yes", A, ""], ["REQ-1", "", "2026-12-01 numerous", "", P]]
    (r,) = derive(rows)
    assert (r.extended, r.code, r.extension_reason) == (
        False,
        DeadlineCode.LATE_EXTENSION,
        "numerous",
    )


def test_without_a_date_column_there_is_no_deadline_and_no_code() -> None:
    (r,) = derive([["REQ-1", A]], header=["Request ID", "Email"])
    assert (r.received, r.due, r.on_time, r.days_left, r.code) == (None, None, None, None, None)


def test_extension_and_holidays_move_the_due_date() -> None:
    rows = [
        ["REQ-1", "2026-09-25", "yes", A, ""],
        ["REQ-2", "2026-11-25", "maybe", "b@example.com", ""],
    ]
    extended, unclear = derive(rows, holidays="GB")
    assert extended.extended and extended.due == dt.date(2026, 12, 29)
    assert not unclear.extended and unclear.code is DeadlineCode.UNCLEAR_EXTENSION
    assert unclear.due == dt.date(2026, 12, 29)  # Christmas, the weekend, Boxing Day observed
    (plain,) = derive([["REQ-2", "2026-11-25", "", "b@example.com", ""]])
    assert plain.due == dt.date(2026, 12, 25)  # no --holidays: only weekends move it


def test_on_time_past_and_future_against_the_day_given() -> None:
    rows = [["REQ-1", "2026-11-03", "", A, ""]]  # due 2026-12-03
    for today, expected, left in (
        (dt.date(2026, 11, 20), OnTime.OPEN, 13),
        (dt.date(2026, 11, 25), OnTime.OPEN, 8),
        (dt.date(2026, 11, 26), OnTime.DUE_SOON, 7),
        (dt.date(2026, 12, 3), OnTime.DUE_SOON, 0),
        (dt.date(2026, 12, 4), OnTime.OVERDUE, -1),
        (dt.date(2027, 3, 1), OnTime.OVERDUE, -88),
    ):
        (r,) = derive(rows, {A: FAILED}, today=today)
        assert (r.on_time, r.days_left) == (expected, left), today
        (done,) = derive(rows, today=today)  # completed on 2026-12-01: on time whatever today is
        assert (done.on_time, done.days_left) == (OnTime.YES, None)
    (late,) = derive([["REQ-1", "2026-10-30", "", A, ""]])  # due 2026-11-30, done 2026-12-01
    assert (late.on_time, late.days_left) == (OnTime.LATE, None)


def test_an_invalid_request_still_owes_an_answer() -> None:
    (r,) = derive([["REQ-1", "2026-10-01", "", "", ""]])
    assert r.outcome.value == "invalid"
    assert (r.on_time, r.days_left) == (OnTime.OVERDUE, -29)  # due 2026-11-02


def test_timing_rules() -> None:
    from batch_anonymizer.core.requests import RequestOutcome as O

    due = dt.date(2026, 12, 3)
    assert timing(O.ERASED, due, "2026-12-03T23:59:59Z", TODAY) == (OnTime.YES, None)
    assert timing(O.NO_DATA_HELD, due, "2026-12-04T00:00:00Z", TODAY) == (OnTime.LATE, None)
    assert timing(O.ANONYMIZED_UNVERIFIED, due, "", TODAY) == (OnTime.DUE_SOON, 2)
    assert timing(O.READY, due, "", dt.date(2026, 11, 1)) == (OnTime.OPEN, 32)
    assert timing(O.ERASED, None, DONE, TODAY) == (None, None)


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["REQ-1", "REQ-2", "", " REQ-1"]),
            st.one_of(st.text(max_size=25), st.dates().map(str)),
            st.one_of(st.text(max_size=12), st.sampled_from(["yes", "no", "2026-01-01"])),
        ),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([None, DayOrder.DAY_FIRST]),
    st.dates(),
)
def test_any_cells_give_requests_and_never_raise(
    cells: list[tuple[str, str, str]], order: DayOrder | None, today: dt.date
) -> None:
    rows = [[rid, date, ext, f"p{i}@example.com", ""] for i, (rid, date, ext) in enumerate(cells)]
    got = derive(rows, today=today, order=order, holidays="GB")
    assert sum(len(r.rows) for r in got) == len(rows)
    for r in got:
        assert (r.due is None) == (r.received is None)
        assert r.due is None or r.due >= r.received  # type: ignore[operator]


def test_rows_of_several_sheets() -> None:
    from pathlib import Path

    from batch_anonymizer.audit.requests_sheet import source_rows
    from batch_anonymizer.core.records import InputTable, ReportLine, SourceRow
    from batch_anonymizer.input.plan import make_plan
    from batch_anonymizer.requests import RequestRules, derive_requests

    rows = (
        SourceRow("A", 2, ("T-1", "ann@example.com")),
        SourceRow("A", 3, ("", "bob@example.com")),
        SourceRow("B", 2, ("T-1", "+44 7700 900123")),
        SourceRow("B", 3, ("", "cleo@example.com")),
    )
    table = InputTable(Path("in.xlsx"), "0" * 64, 1, ("Ticket", "Email / phone"), rows, ("A", "B"))
    plan = make_plan(table, email_columns=["Email / phone"])
    lines = [ReportLine(line, SUCCESS) for line in plan.lines]
    got = derive_requests(lines, table.columns, RequestRules("Ticket"), TODAY)
    assert [(r.request, source_rows(r)) for r in got] == [
        ("T-1", "A: 2; B: 2"),
        ("A row 3", "3"),
        ("B row 3", "3"),
    ]


# -- before sending: the requests from the rows alone ---------------------------------------

_DATES = [
    "2026-11-02", "02/11/2026", "11/02/2026", "13/11/2026", "not a date", "", "2020-01-01",
    "26/10/2026", "12 Nov 2026", "2026-12-25",
]  # fmt: skip
_EXTENDED = [
    "", "yes", "no", "maybe", "2026-12-01", "Yes (complex)", "01/12/2026", "2026-10-01",
    "complex, numerous",
]  # fmt: skip


@settings(deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["R1", "R2", " R1", "r1", ""]),
            st.sampled_from(_DATES),
            st.sampled_from(_EXTENDED),
            st.sampled_from(["a@example.com", "b@example.org", "", "bad"]),
        ),
        min_size=1,
        max_size=12,
    ),
    order=st.sampled_from(list(DayOrder)),
)
def test_request_deadlines_say_what_derive_requests_says(rows, order) -> None:  # type: ignore[no-untyped-def]
    from batch_anonymizer.core.records import ReportLine
    from batch_anonymizer.requests.dues import request_deadlines

    table = make_table(
        ["Request ID", "Date received", "Extended", "Email"], [list(r) for r in rows]
    )
    plan = make_plan(table)
    rules = RequestRules(
        plan.request_id_column, plan.date_received_column, plan.extension_column, order
    )
    planned = [ReportLine(ln, Outcome(ln.status, ln.code, ln.message)) for ln in plan.lines]
    full = derive_requests(planned, table.columns, rules, TODAY)
    rows_only = [(r.sheet, r.number, r.cells) for r in table.rows]
    assert request_deadlines(rows_only, table.columns, rules, TODAY) == [
        (r.request, r.extended, r.code) for r in full
    ]


@settings(max_examples=30, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["R1", "R2", " R1", "r1", "", " "]),  # the cells, then the sheet
            st.sampled_from(_DATES),
            st.sampled_from(_EXTENDED),
            st.sampled_from(["A", "B"]),
        ),
        min_size=1,
        max_size=14,
    ),
    order=st.sampled_from(list(DayOrder)),
    sheets=st.booleans(),
    named=st.tuples(st.booleans(), st.booleans(), st.booleans()),
)
def test_the_overview_counts_from_columns_what_the_rows_say(rows, order, sheets, named) -> None:  # type: ignore[no-untyped-def]
    """The overview's counts over columns (one or two sheets kept as ``RowColumns``) say
    what ``request_deadlines`` says row by row."""
    from batch_anonymizer.core.records import SourceRow
    from batch_anonymizer.core.table import ColumnsBuilder
    from batch_anonymizer.requests.dues import request_deadlines
    from batch_anonymizer.requests.overview import request_counts

    columns = ["Request ID", "Date received", "Extended"]
    src = [
        SourceRow(s if sheets else None, i + 2, (r, d, e)) for i, (r, d, e, s) in enumerate(rows)
    ]
    built = ColumnsBuilder(3)
    for r in src:
        built.add(r.sheet, [r.number], [r.cells])
    kept = built.done()
    assert kept == src
    given = [c if on else None for c, on in zip(columns, named, strict=True)]
    rules = RequestRules(*given, order)
    said = request_deadlines([(r.sheet, r.number, r.cells) for r in src], columns, rules, TODAY)
    expected_codes = {}
    for code in DeadlineCode:
        ids = [name for name, _, c in said if c is code]
        if ids:
            expected_codes[code] = (len(ids), ids[:5])
    for table_rows in (src, kept):
        got = request_counts(table_rows, columns, rules, TODAY)
        assert got.requests == len(said)
        assert got.extended == sum(ext for _, ext, _ in said)
        assert got.by_code == expected_codes


@pytest.mark.parametrize(
    ("days", "code"),
    [
        ("30", None),  # received 2026-11-01, due 2026-12-01; today 2026-11-01 + 30 days: agree
        ("31", None),  # a day apart: time zones and counting differ, not a disagreement
        ("29", None),
        ("32", "platform_deadline"),  # two days later than the tool's due date
        ("20", "platform_deadline"),  # the platform counts a shorter deadline
        ("", None),  # the platform says nothing
    ],
)
def test_the_platform_deadline_is_compared_with_the_due_date(days: str, code: str | None) -> None:
    header = ["Request ID", "Date received", "Email", "daysUntilOverdue"]
    (r,) = derive(
        [["R-1", "2026-11-01", A, days]],
        header=header,
        today=dt.date(2026, 11, 1),
        platform_days="daysUntilOverdue",
    )
    assert r.due == dt.date(2026, 12, 1)
    assert (r.code.value if r.code else None) == code


def test_a_runs_requests_are_made_one_at_a_time_from_the_plans_columns() -> None:
    # request_data.derive checks every request of this file against stream_requests;
    # here: an input whose requests' rows follow each other is streamed (not derived all
    # at once), duplicates across requests and a take-over included
    from batch_anonymizer.core.records import Line, ReportLine, Status
    from batch_anonymizer.core.reportlines import Remade, ReportLines

    def outcome(line: Line) -> Outcome:
        if line.status is Status.READY:
            return SUCCESS
        return Outcome(line.status, line.code, line.message)

    rows = [
        ["REQ-1", "2026-11-20", "", "a@example.com", ""],
        ["REQ-1", "2026-11-21", "", "b@example.com", ""],
        ["REQ-2", "2026-11-22", "", "A@example.com", ""],
        ["", "2026-11-23", "", "b@example.com", "+44 7700 900123"],
    ]
    plan = make_plan(make_table(HEADER, rows))
    made = ReportLines(plan.lines, outcome)
    rules = RequestRules(plan.request_id_column, plan.date_received_column)
    streamed = stream_requests(made, plan.table.columns, rules, TODAY)
    assert isinstance(streamed, Remade)
    got = [(r.request, r.outcome.value, r.duplicate_of) for r in streamed]
    assert got == [
        ("REQ-1", "erased", ()),
        ("REQ-2", "erased", ("REQ-1",)),
        ("row 5", "erased", ("REQ-1",)),
    ]
    every = [ReportLine(line, outcome(line)) for line in plan.lines]
    assert list(streamed) == list(derive_requests(every, plan.table.columns, rules, TODAY))
    # a request id again further down: derived all at once, the same way
    apart = [*rows, ["REQ-1", "2026-11-24", "", "c@example.com", ""]]
    plan = make_plan(make_table(HEADER, apart))
    made = ReportLines(plan.lines, outcome)
    assert not isinstance(stream_requests(made, plan.table.columns, rules, TODAY), Remade)
