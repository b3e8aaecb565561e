"""The date a request was received, from its cell: a UTC date, or why there is none.

What the cells of a date-received column hold (``Plan.date_received_column``):

- a real date cell of a workbook, as the loader writes it: ``2024-03-05`` or
  ``2024-03-05 14:30:00`` (no time zone: the date as written);
- an ISO 8601 date-time of an export, ``2024-03-05T23:30:00-05:00`` or
  ``...Z``: counted by its UTC date (here 2024-03-06);
- text a person typed, ``05/03/2024``, ``5.3.2024`` or ``05-03-2024``: day
  and month cannot be told apart unless one of them is above 12 (or both are
  the same), so such a date is ``ambiguous`` unless the caller says which
  comes first (``order``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from dateutil import parser as dateparser

from ..core.text import printable
from .cells import trim

_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$",
    re.ASCII | re.IGNORECASE,
)
_YEAR_FIRST = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$", re.ASCII)
_TYPED = re.compile(
    r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$", re.ASCII
)


class DayOrder(StrEnum):
    """Which comes first in a typed date such as ``05/03/2024``."""

    DAY_FIRST = "day-first"  # 5 March 2024 (most of the world)
    MONTH_FIRST = "month-first"  # May 3, 2024 (the United States)


class DateProblem(StrEnum):
    """Why a date-received cell gives no date: code decides on these, never on the message."""

    NO_DATE = "no_date"  # the cell is empty
    AMBIGUOUS = "ambiguous"  # a typed date that reads as day-first and as month-first
    TWO_DIGIT_YEAR = "two_digit_year"  # 05/03/24: the century is a guess
    NOT_REAL = "not_real"  # a date's shape, but no such day (2024-02-30, 31 Feb 2026)
    NOT_A_DATE = "not_a_date"  # text that does not read as a date at all


@dataclass(frozen=True, slots=True)
class ReceivedDate:
    """A date-received cell read: its UTC date, or None with why (``kind``, for code) and
    what is wrong (``problem``, for people)."""

    date: dt.date | None
    kind: DateProblem | None = None
    problem: str = ""

    @property
    def ambiguous(self) -> bool:
        """A typed date whose day and month can be swapped, and no ``DayOrder`` was given."""
        return self.kind is DateProblem.AMBIGUOUS


def received_date(cell: str, order: DayOrder | None = None) -> ReceivedDate:
    """The UTC date of a date-received cell (see the module docstring); never raises."""
    text = trim(cell)
    if not text:
        return ReceivedDate(None, DateProblem.NO_DATE, "no date")
    if _ISO.match(text):
        return _iso(text)
    m = _YEAR_FIRST.match(text)
    if m:
        return _date(text, int(m[1]), int(m[2]), int(m[3]))
    m = _TYPED.match(text)
    if m is None:
        return _written_out(text)
    if len(m[4]) == 2:
        return ReceivedDate(
            None,
            DateProblem.TWO_DIGIT_YEAR,
            f'"{printable(text)}" has a two-digit year; write the year in full',
        )
    first, second, year = int(m[1]), int(m[3]), int(m[4])
    if order is DayOrder.DAY_FIRST:
        return _date(text, year, second, first)
    if order is DayOrder.MONTH_FIRST:
        return _date(text, year, first, second)
    if first == second or first > 12 or second > 12:
        day, month = (first, second) if first > 12 or first == second else (second, first)
        return _date(text, year, month, day)
    return ReceivedDate(
        None,
        DateProblem.AMBIGUOUS,
        f'"{printable(text)}" may be day {first} of month {second} '
        f"or day {second} of month "
        f"{first}; say whether dates are day-first or month-first",
    )


def _iso(text: str) -> ReceivedDate:
    try:
        when = dt.datetime.fromisoformat(text.replace(",", ".").upper())
    except ValueError:
        return _not_real(text)
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC)
    return ReceivedDate(when.date())


def _date(text: str, year: int, month: int, day: int) -> ReceivedDate:
    try:
        return ReceivedDate(dt.date(year, month, day))
    except ValueError:
        return _not_real(text)


def _not_real(text: str) -> ReceivedDate:
    return ReceivedDate(None, DateProblem.NOT_REAL, f'"{printable(text)}" is not a real date')


# A written-out date: its words and numbers, between spaces and , . - / (nothing else).
_WRITTEN = re.compile(r"^[A-Za-z0-9 ,.\-/]+$", re.ASCII)
_TOKEN = re.compile(r"[A-Za-z]+|\d+", re.ASCII)
_INFO = dateparser.parserinfo()
# Two defaults that differ in every part: a part the text does not give shows as a
# difference between the two readings, and such a text is no date.
_DEFAULTS = (dt.datetime(1904, 2, 3), dt.datetime(1908, 5, 7))


def _written_out(text: str) -> ReceivedDate:
    """A date written with its month's name (see the module docstring), read by dateutil."""
    not_a_date = ReceivedDate(None, DateProblem.NOT_A_DATE, f'"{printable(text)}" is not a date')
    if len(text) > 40 or not _WRITTEN.match(text):
        return not_a_date
    words = [t for t in _TOKEN.findall(text) if t.isalpha()]
    numbers = sorted(len(t) for t in _TOKEN.findall(text) if t.isdigit())
    months = [w for w in words if _INFO.month(w) is not None]
    others = [w for w in words if _INFO.month(w) is None]
    # one month name, a day of one or two digits, a year of four; "12th" may say its day
    if len(months) != 1 or numbers not in ([1, 4], [2, 4]):
        return not_a_date
    if any(w.casefold() not in ("st", "nd", "rd", "th") for w in others):
        return not_a_date
    try:
        read = {dateparser.parse(text, default=d).date() for d in _DEFAULTS}
    except (ValueError, OverflowError):  # ParserError is a ValueError: 31 Feb 2026
        return _not_real(text)
    if len(read) != 1:
        return not_a_date
    date = read.pop()
    # dateutil reads the year 0000 as 2000: the year must be the one written
    if f"{date.year:04d}" not in [t for t in _TOKEN.findall(text) if len(t) == 4]:
        return _not_real(text)
    return ReceivedDate(date)
