"""Due dates: the UK ICO's way of counting the month of GDPR Art. 12(3), weekends, public
holidays (--holidays), extensions; and what an extension cell says."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batch_anonymizer.input.dates import DayOrder
from batch_anonymizer.input.deadlines import (
    Calendar,
    Extension,
    ExtensionCell,
    Standing,
    add_months,
    check_country,
    due_date,
    extension,
    read_extension,
    standing,
)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.mark.parametrize(
    ("received", "extended", "holidays", "due"),
    [
        # the same date next month (received 3 September, due 3 October) ...
        ("2026-03-03", False, "", "2026-04-03"),  # a Friday: stays
        ("2026-12-15", False, "", "2027-01-15"),  # into the next year
        ("2026-11-01", False, "", "2026-12-01"),  # received on a Sunday: counted all the same
        # ... the month's last day when it has no such date
        ("2025-01-31", False, "", "2025-02-28"),
        ("2026-03-31", False, "", "2026-04-30"),
        ("2026-05-31", False, "", "2026-06-30"),
        # leap years: 29 February exists in 2024 and 2028, not in 2027
        ("2024-01-31", False, "", "2024-02-29"),
        ("2028-01-30", False, "", "2028-02-29"),
        ("2027-01-29", False, "", "2027-03-01"),  # 28 Feb 2027 is a Sunday: Monday 1 March
        # a weekend moves it to the next working day
        ("2026-09-03", False, "", "2026-10-05"),  # 3 Oct 2026 is a Saturday
        ("2026-08-04", False, "", "2026-09-04"),  # a Friday: no move
        # public holidays only with --holidays
        ("2026-11-25", False, "", "2026-12-25"),  # Christmas Day, a Friday: counts without
        ("2026-11-25", False, "GB", "2026-12-29"),  # 25, 26-27 weekend, 28 Boxing Day observed
        ("2026-12-24", False, "GB", "2027-01-25"),  # 24 Jan 2027 is a Sunday
        # GB alone is what the whole UK shares; England adds Easter Monday
        ("2027-02-28", False, "GB", "2027-03-29"),
        ("2027-02-28", False, "GB-ENG", "2027-03-30"),
        # extended: three months after receipt, moved the same way
        ("2026-09-06", True, "", "2026-12-07"),  # 6 Dec 2026 is a Sunday
        ("2026-11-30", True, "", "2027-03-01"),  # no 30 Feb; 28 Feb 2027 is a Sunday
        ("2023-11-30", True, "", "2024-02-29"),  # leap year
        ("2026-09-25", True, "GB", "2026-12-29"),
    ],
)
def test_due_dates(received: str, extended: bool, holidays: str, due: str) -> None:
    assert due_date(d(received), extended=extended, cal=Calendar(holidays)) == d(due)


def test_add_months_keeps_the_day_or_takes_the_months_last() -> None:
    assert add_months(d("2026-01-31"), 1) == d("2026-02-28")
    assert add_months(d("2026-01-31"), 3) == d("2026-04-30")
    assert add_months(d("2026-11-15"), 3) == d("2027-02-15")
    assert add_months(d("2026-10-31"), 2) == d("2026-12-31")


def test_without_a_country_no_day_is_a_holiday() -> None:
    cal = Calendar()
    assert not cal.holiday(d("2026-12-25"))
    assert cal.working(d("2026-12-25")) and not cal.working(d("2026-12-26"))


@pytest.mark.parametrize(
    ("code", "known"), [("gb", "GB"), (" GB-eng ", "GB-ENG"), ("DE-BY", "DE-BY"), ("ie", "IE")]
)
def test_countries_are_checked(code: str, known: str) -> None:
    assert check_country(code) == known


@pytest.mark.parametrize(("code", "says"), [("XX", "not a country"), ("GB-XYZ", "ENG")])
def test_unknown_countries_are_refused_saying_what_is_known(code: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        check_country(code)


@pytest.mark.parametrize(
    ("cell", "said"),
    [
        ("yes", Extension.YES),
        (" TRUE ", Extension.YES),
        ("1", Extension.YES),
        ("2026-10-01", Extension.YES),  # the day it was decided or notified
        ("01/10/2026", Extension.YES),  # a date, even one whose order is in doubt
        ("", Extension.NO),
        ("No", Extension.NO),
        ("false", Extension.NO),
        ("0", Extension.NO),
        ("maybe", Extension.UNCLEAR),
        ("31/02/2026", Extension.UNCLEAR),  # not a real date
    ],
)
def test_extension_cells(cell: str, said: Extension) -> None:
    assert extension(cell) == said
    assert extension(cell, DayOrder.DAY_FIRST) == said


Y, N, U = Extension.YES, Extension.NO, Extension.UNCLEAR


@pytest.mark.parametrize(
    ("cell", "said", "told", "reason"),
    [
        ("yes", Y, (), ""),
        ("Yes (complex)", Y, (), "complex"),
        ("yes - complex, numerous", Y, (), "complex, numerous"),
        ("complex, numerous", Y, (), "complex, numerous"),  # Art. 12(3)'s grounds alone
        ("Complexity and number of requests", Y, (), "Complexity and number of requests"),
        ("2026-11-10", Y, ("2026-11-10",), ""),
        ("2026-11-10 complex", Y, ("2026-11-10",), "complex"),
        ("12 Nov 2026, complex", Y, ("2026-11-12",), "complex"),
        ("yes, told 12 Nov 2026 (numerous)", Y, ("2026-11-12",), "numerous"),
        ("complex (notified 2026-11-10)", Y, ("2026-11-10",), "complex"),
        ("01/12/2026", Y, ("2026-12-01", "2026-01-12"), ""),  # both readings kept
        ("no", N, (), ""),
        ("No (not needed)", N, (), ""),
        ("", N, (), ""),
        ("maybe", U, (), ""),
        ("not complex", U, (), ""),  # not only grounds: unclear, never a yes
        ("31/02/2026", U, (), ""),  # not a real date
        ("yes, told 31/02/2026", U, (), ""),  # a date that cannot be read is never dropped
        ("2026-11-10 and 2026-12-01", U, (), ""),  # two dates: which one?
    ],
)
def test_what_an_extension_cell_says(
    cell: str, said: Extension, told: tuple[str, ...], reason: str
) -> None:
    assert read_extension(cell) == ExtensionCell(said, tuple(d(t) for t in told), reason)
    assert extension(cell) == said


def test_an_extension_date_follows_the_day_order_when_given() -> None:
    assert read_extension("01/12/2026", DayOrder.DAY_FIRST).told == (d("2026-12-01"),)
    assert read_extension("01/12/2026", DayOrder.MONTH_FIRST).told == (d("2026-01-12"),)


@pytest.mark.parametrize(
    ("cell", "received", "expected"),
    [
        ("", "2026-10-26", Standing.NONE),
        ("yes", "2026-10-26", Standing.STANDS),  # no date to check it by
        ("Yes (complex)", None, Standing.STANDS),
        ("2026-10-26", "2026-10-26", Standing.STANDS),  # told the day it came in
        ("2026-11-26", "2026-10-26", Standing.STANDS),  # told on the one-month due date
        ("2026-11-27", "2026-10-26", Standing.LATE),
        ("01/12/2026", "2026-10-26", Standing.LATE),  # 12 January reads before receipt
        ("2026-10-25", "2026-10-26", Standing.BEFORE_RECEIPT),
        ("01/10/2026", "2026-10-26", Standing.BEFORE_RECEIPT),  # both readings before it
        ("05/11/2026", "2026-10-26", Standing.STANDS),  # 11 May reads before receipt
        ("02/03/2026", "2026-01-05", Standing.IN_DOUBT),  # 2 March late, 3 February stands
        ("maybe", "2026-10-26", Standing.IN_DOUBT),
        # the one-month due date moves past a weekend: 3 Oct 2026 is a Saturday
        ("2026-10-05", "2026-09-03", Standing.STANDS),
        ("2026-10-06", "2026-09-03", Standing.LATE),
    ],
)
def test_whether_an_extension_stands(cell: str, received: str | None, expected: Standing) -> None:
    got = standing(read_extension(cell), d(received) if received else None, cal=Calendar())
    assert got is expected


@settings(deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["yes", "no", "Yes", "(complex)", "complex", "numerous", ",", " ", "12 Nov 2026",
             "01/12/2026", "2026-11-10", "31/02/2026", "told", "maybe", "-", "7"]
        ),
        max_size=5,
    ).map("".join)
    | st.text(max_size=30),
    st.sampled_from([None, DayOrder.DAY_FIRST]),
    st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2999, 12, 31))),  # plausible
)  # fmt: skip
def test_any_extension_cell_is_read_and_judged_without_raising(
    cell: str, order: DayOrder | None, received: dt.date | None
) -> None:
    read = read_extension(cell, order)
    assert read.said is Extension.YES or (read.told, read.reason) == ((), "")
    assert not any(ch.isdigit() for ch in read.reason)  # a date is never left in a reason
    standing(read, received, cal=Calendar())


def test_a_long_reason_is_cut_to_200_characters() -> None:
    read = read_extension("yes " + "complex " * 100)
    assert read.said is Extension.YES and len(read.reason) == 200 and read.reason[-1] == "\u2026"
