"""Dates received: real date cells, ISO date-times by their UTC date, typed dates and their
day/month order."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from batch_anonymizer.input.dates import DateProblem, DayOrder, ReceivedDate, received_date

DAY, MONTH = DayOrder.DAY_FIRST, DayOrder.MONTH_FIRST


@pytest.mark.parametrize(
    ("cell", "date"),
    [
        # real date cells, as the loader writes them
        ("2024-03-05", dt.date(2024, 3, 5)),
        ("2024-03-05 23:59:59", dt.date(2024, 3, 5)),
        (" 2024-03-05\u00a0", dt.date(2024, 3, 5)),
        # ISO date-times with a zone: their UTC date
        ("2024-03-05T23:30:00-05:00", dt.date(2024, 3, 6)),
        ("2024-03-05T01:00:00+05:30", dt.date(2024, 3, 4)),
        ("2024-03-05T01:00:00+0530", dt.date(2024, 3, 4)),
        ("2024-03-05T23:00:00Z", dt.date(2024, 3, 5)),
        ("2024-03-05T23:00:00.123Z", dt.date(2024, 3, 5)),
        ("2024-03-05t23:00z", dt.date(2024, 3, 5)),
        ("2024-12-31T22:00:00-03:00", dt.date(2025, 1, 1)),
        # no zone: the date as written
        ("2024-03-05T23:30:00", dt.date(2024, 3, 5)),
        ("2024/03/05", dt.date(2024, 3, 5)),
        # typed dates that only read one way
        ("25/03/2024", dt.date(2024, 3, 25)),
        ("03/25/2024", dt.date(2024, 3, 25)),
        ("3.3.2024", dt.date(2024, 3, 3)),
        ("25-03-2024 10:00", dt.date(2024, 3, 25)),
    ],
)
def test_dates_that_read_one_way(cell: str, date: dt.date) -> None:
    assert received_date(cell) == ReceivedDate(date)


def test_a_typed_date_that_reads_two_ways_is_ambiguous_unless_told() -> None:
    assert received_date("05/03/2024") == ReceivedDate(
        None,
        DateProblem.AMBIGUOUS,
        '"05/03/2024" may be day 5 of month 3 or day 3 of month 5; '
        "say whether dates are day-first or month-first",
    )
    assert received_date("05/03/2024", DAY).date == dt.date(2024, 3, 5)
    assert received_date("05/03/2024", MONTH).date == dt.date(2024, 5, 3)
    assert received_date("05.03.2024 14:00", DAY).date == dt.date(2024, 3, 5)
    # told the order, a date that does not fit it is not a date
    assert received_date("25/03/2024", MONTH) == ReceivedDate(
        None, DateProblem.NOT_REAL, '"25/03/2024" is not a real date'
    )
    # the order does not change an ISO date
    assert received_date("2024-03-05", MONTH).date == dt.date(2024, 3, 5)


@pytest.mark.parametrize(
    ("cell", "problem", "kind"),
    [
        ("", "no date", DateProblem.NO_DATE),
        ("   ", "no date", DateProblem.NO_DATE),
        ("soon", '"soon" is not a date', DateProblem.NOT_A_DATE),
        ("45352", '"45352" is not a date', DateProblem.NOT_A_DATE),
        ("2024-02-30", '"2024-02-30" is not a real date', DateProblem.NOT_REAL),
        ("31/04/2024", '"31/04/2024" is not a real date', DateProblem.NOT_REAL),
        ("13/13/2024", '"13/13/2024" is not a real date', DateProblem.NOT_REAL),
        (
            "05/03/24",
            '"05/03/24" has a two-digit year; write the year in full',
            DateProblem.TWO_DIGIT_YEAR,
        ),
        ("05/03-2024", '"05/03-2024" is not a date', DateProblem.NOT_A_DATE),
    ],
)
def test_cells_that_are_not_dates(cell: str, problem: str, kind: DateProblem) -> None:
    assert received_date(cell) == ReceivedDate(None, kind, problem)


@given(st.text(max_size=30), st.sampled_from([None, DAY, MONTH]))
def test_any_cell_gives_a_date_or_a_problem(cell: str, order: DayOrder | None) -> None:
    got = received_date(cell, order)
    assert (got.date is None) == bool(got.problem) == (got.kind is not None)
    assert not got.ambiguous or order is None


@pytest.mark.parametrize(
    ("cell", "date"),
    [
        ("12 Nov 2026", dt.date(2026, 11, 12)),
        ("11 Nov 2026", dt.date(2026, 11, 11)),
        ("12 November 2026", dt.date(2026, 11, 12)),
        ("Nov 12, 2026", dt.date(2026, 11, 12)),
        ("November 12 2026", dt.date(2026, 11, 12)),
        ("12-Nov-2026", dt.date(2026, 11, 12)),
        ("12th Nov 2026", dt.date(2026, 11, 12)),
        ("1 sept 2026", dt.date(2026, 9, 1)),
        (" 5 MAY 2026 ", dt.date(2026, 5, 5)),
    ],
)
def test_dates_written_out_read_one_way_whatever_the_order(cell: str, date: dt.date) -> None:
    for order in (None, DAY, MONTH):  # the month's name says which part is the month
        assert received_date(cell, order) == ReceivedDate(date), order


@pytest.mark.parametrize(
    ("cell", "problem", "kind"),
    [
        ("Nov 2026", '"Nov 2026" is not a date', DateProblem.NOT_A_DATE),  # no day: never guessed
        ("12 Nov", '"12 Nov" is not a date', DateProblem.NOT_A_DATE),  # no year
        ("12 Nov 26", '"12 Nov 26" is not a date', DateProblem.NOT_A_DATE),  # two-digit year
        ("12 13 Nov 2026", '"12 13 Nov 2026" is not a date', DateProblem.NOT_A_DATE),
        ("12 Nov 2026 maybe", '"12 Nov 2026 maybe" is not a date', DateProblem.NOT_A_DATE),
        ("Nov Dec 12 2026", '"Nov Dec 12 2026" is not a date', DateProblem.NOT_A_DATE),
        ("31 Feb 2026", '"31 Feb 2026" is not a real date', DateProblem.NOT_REAL),
        ("12 Brumaire 2026", '"12 Brumaire 2026" is not a date', DateProblem.NOT_A_DATE),
    ],
)
def test_written_out_dates_missing_a_part_are_not_dates(
    cell: str, problem: str, kind: DateProblem
) -> None:
    assert received_date(cell) == ReceivedDate(None, kind, problem)


def test_the_year_is_the_one_written() -> None:
    # dateutil reads "0000" as the year 2000 (found by the property test below)
    assert received_date("12Nov0000") == ReceivedDate(
        None, DateProblem.NOT_REAL, '"12Nov0000" is not a real date'
    )
    assert received_date("12 Nov 2026").date == dt.date(2026, 11, 12)


def test_a_dotted_typed_date_follows_the_day_order() -> None:
    assert received_date("12.11.2026", DAY).date == dt.date(2026, 11, 12)
    assert received_date("12.11.2026", MONTH).date == dt.date(2026, 12, 11)
    assert received_date("12.11.2026").ambiguous


_PARTS = st.sampled_from(
    ["12", "1", "31", "0", "99", "2026", "0000", "9999", "Nov", "november", "May", "Sept",
     "th", "st", "Mon", "x", " ", ",", ".", "-", "/"]
)  # fmt: skip


@settings(deadline=None)
@given(st.lists(_PARTS, max_size=7).map("".join), st.sampled_from([None, DAY, MONTH]))
@example("12Nov0000", None)  # dateutil read the year 0000 as 2000 (found by this test)
def test_any_written_out_cell_gives_a_date_or_a_problem(cell: str, order: DayOrder | None) -> None:
    got = received_date(cell, order)
    assert (got.date is None) == bool(got.problem) == (got.kind is not None)
    if got.date is not None and any(c.isalpha() for c in cell):
        assert str(got.date.year) in cell  # the year is never guessed
