"""When an erasure request is due: GDPR Art. 12(3), the month counted as the UK regulator does.

The ICO's published rule for counting "one month" (its guidance on the right
of access and the right to erasure):

- count from the day the request is received, working day or not;
- the deadline is the same calendar date in the next month (received 3
  September, due 3 October);
- when the next month has no such date, the last day of that month (received
  31 January, due 28 or 29 February);
- when the deadline falls on a Saturday, a Sunday or a public holiday, the
  next working day;
- an extension (two further months, notified within the first) runs to the
  same date three months after receipt, shifted the same way.

Public holidays come from the ``holidays`` package, only when a country is
given (``Calendar("GB")``, or a subdivision: ``Calendar("GB-ENG")``); without
one, only weekends move a deadline. Nothing here reads the clock.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

import holidays

from .cells import trim
from .dates import DayOrder, received_date

#: Months to the deadline: one month, or three with the extension of Art. 12(3).
MONTHS, EXTENDED_MONTHS = 1, 3
#: Dates received outside these are no date a request was received on (and 9999-12-31
#: would have no due date at all): they are read as not a date.
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def plausible(received: dt.date) -> bool:
    """Whether ``received`` can be the day a request came in (1900 to 2999)."""
    return EARLIEST <= received <= LATEST


def add_months(start: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the last day of that month when it has no such day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def check_country(code: str) -> str:
    """``code`` upper-cased when the ``holidays`` package knows it (``GB``, ``GB-ENG``, ``DE-BY``).

    Raises ``ValueError`` saying what is known otherwise.
    """
    country, _, subdiv = code.strip().upper().partition("-")
    known = holidays.list_supported_countries()
    if country not in known:
        raise ValueError(
            f'"{code}" is not a country the holidays package knows; use a two-letter code '
            "such as GB, IE, DE or US"
        )
    if subdiv and subdiv not in known[country]:
        subs = ", ".join(f"{country}-{s}" for s in known[country]) or "none"
        raise ValueError(f'"{code}": {country} has no subdivision {subdiv}; it has: {subs}')
    return f"{country}-{subdiv}" if subdiv else country


@dataclass
class Calendar:
    """Working days: Monday to Friday, less the public holidays of ``country`` (if given).

    ``country`` is a code ``check_country`` accepts, or ``""`` for weekends only.
    The holidays of each year are looked up once, when first needed.
    """

    country: str = ""
    _years: dict[int, frozenset[dt.date]] = field(default_factory=dict, repr=False)

    def holiday(self, day: dt.date) -> bool:
        """Whether ``day`` is a public holiday of the calendar's country."""
        if not self.country:
            return False
        found = self._years.get(day.year)
        if found is None:
            country, _, subdiv = self.country.partition("-")
            table = holidays.country_holidays(country, subdiv=subdiv or None, years=day.year)
            found = self._years[day.year] = frozenset(table)
        return day in found

    def working(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day (not a weekend, not a holiday)."""
        return day.weekday() < 5 and not self.holiday(day)

    def next_working(self, day: dt.date) -> dt.date:
        """``day`` itself when it is a working day, else the first working day after it."""
        while not self.working(day):
            day += dt.timedelta(days=1)
        return day


def due_date(received: dt.date, *, extended: bool = False, cal: Calendar | None = None) -> dt.date:
    """The deadline of a request received on ``received`` (see the module docstring)."""
    months = EXTENDED_MONTHS if extended else MONTHS
    return (cal or Calendar()).next_working(add_months(received, months))


class Extension(StrEnum):
    """What an extension cell says."""

    YES = "yes"  # yes, true, 1, or a date (the day the extension was decided or notified)
    NO = "no"  # empty, no, false, 0
    UNCLEAR = "unclear"  # anything else: counted as not extended, and said so


_YES = frozenset({"yes", "y", "true", "1", "extended"})
_NO = frozenset({"", "no", "n", "false", "0", "none", "-"})


def extension(cell: str, order: DayOrder | None = None) -> Extension:
    """Whether an extension cell (``Extended``, ``Extension``) says the deadline was extended."""
    text = trim(cell).casefold()
    if text in _YES:
        return Extension.YES
    if text in _NO:
        return Extension.NO
    read = received_date(cell, order)
    return Extension.YES if read.date is not None or read.ambiguous else Extension.UNCLEAR
