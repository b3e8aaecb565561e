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
import re
from dataclasses import dataclass, field
from enum import StrEnum

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
    import holidays  # here, not at the top: 0.2 s of start-up a run without --holidays skips

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
            import holidays

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

    YES = "yes"  # yes, true, 1, a date (the day the person was told), a reason, or these together
    NO = "no"  # empty, no, false, 0
    UNCLEAR = "unclear"  # anything else: counted as not extended, and said so


@dataclass(frozen=True, slots=True)
class ExtensionCell:
    """An extension cell read: what it says, the day the person was told, and why.

    ``told`` holds the readings of the date written (two when a typed date may be
    day-first or month-first and no order was given; none without a date);
    ``reason`` the text beside it (``Yes (complex)`` gives ``complex``).
    """

    said: Extension
    told: tuple[dt.date, ...] = ()
    reason: str = ""


_YES = frozenset({"yes", "y", "true", "1", "extended"})
_NO = frozenset({"", "no", "n", "false", "0", "none", "-"})
_LEADING_YES = re.compile(r"^(?:yes|y|true|extended)\b", re.IGNORECASE)
_LEADING_NO = re.compile(r"^(?:no|n|false|none)\b", re.IGNORECASE)
_WORD = re.compile(r"\S+")
_BRACKETS = re.compile(r"[()\[\]]")
#: Words that only say a date is the day the person was told: not part of the reason.
_FILLER = frozenset({"told", "notified", "informed", "sent", "on"})
#: Words of the grounds Art. 12(3) gives for an extension ("taking into account the
#: complexity and number of the requests"): a cell of only these is an extension.
REASON_WORDS = frozenset(
    {"complex", "complexity", "numerous", "number", "of", "requests", "request", "volume",
     "high", "large", "many", "and", "&", "+", "/"}
)  # fmt: skip
#: The most characters of a reason shown (the Requests sheet, the certificate).
REASON_CHARS = 200
_AROUND = " \t()[]:;,.-\u2013\u2014"  # what surrounds a reason: "Yes (complex)", "yes - complex"


def read_extension(cell: str, order: DayOrder | None = None) -> ExtensionCell:
    """What an extension cell (``Extended``, ``Extension``) says (see ``ExtensionCell``).

    The cell may hold yes/no, the date the person was told, a reason, or a
    yes-word and a date and a reason together (``Yes (complex)``, ``2026-11-10
    complex, numerous``, ``yes, told 12 Nov 2026``). A reason alone counts only
    when its words are Art. 12(3)'s grounds (``REASON_WORDS``). Text that still
    holds a digit once its date is taken out (a second date, a date that cannot
    be read) is unclear: no date is silently left out of the judgement.
    """
    text = trim(cell)
    if text.casefold() in _YES:
        return ExtensionCell(Extension.YES)
    if text.casefold() in _NO or _LEADING_NO.match(text):
        return ExtensionCell(Extension.NO)
    said_yes = _LEADING_YES.match(text)
    rest = text[said_yes.end() :].lstrip(_AROUND) if said_yes else text
    told, rest = _find_date(rest, order)
    reason = " ".join(w for w in _BRACKETS.sub(" ", rest).split() if w.casefold() not in _FILLER)
    reason = reason.strip(_AROUND)
    if any(c.isdigit() for c in reason):
        return ExtensionCell(Extension.UNCLEAR)
    if not said_yes and not told:
        words = reason.casefold().replace(",", " ").split()
        if not words or any(w not in REASON_WORDS for w in words):
            return ExtensionCell(Extension.UNCLEAR)
    if len(reason) > REASON_CHARS:  # a reason is a few words: the cell keeps the rest
        reason = reason[: REASON_CHARS - 1].rstrip() + "\u2026"
    return ExtensionCell(Extension.YES, told, reason)


def _find_date(text: str, order: DayOrder | None) -> tuple[tuple[dt.date, ...], str]:
    """The readings of the first date among the words of ``text`` (the most words that read
    as one date), and the text without it; ``((), text)`` when no words read as a date."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text[:200])]
    for i, (start, _) in enumerate(words):
        for _, end in reversed(words[i : i + 4]):
            head = text[start:end].strip(",;:()")
            read = received_date(head, order)
            if read.date is None and not read.ambiguous:
                continue
            rest = text[:start] + " " + text[end:]
            if read.date is not None:
                return (read.date,), rest
            both = (received_date(head, o).date for o in DayOrder)
            return tuple(dict.fromkeys(d for d in both if d is not None)), rest
    return (), text


def extension(cell: str, order: DayOrder | None = None) -> Extension:
    """Whether an extension cell says the deadline was extended (``read_extension``'s ``said``)."""
    return read_extension(cell, order).said


class Standing(StrEnum):
    """An extension judged against the request's dates (Art. 12(3): told within the month)."""

    NONE = "none"  # no extension
    STANDS = "stands"  # told within the first month, or no date to check it by
    LATE = "late"  # told after the one-month due date: it does not count
    BEFORE_RECEIPT = "before_receipt"  # dated before the request came in: cannot be right
    IN_DOUBT = "in_doubt"  # unclear, or a typed date whose two readings judge differently


def standing(
    read: ExtensionCell, received: dt.date | None, *, cal: Calendar | None = None
) -> Standing:
    """Whether the extension ``read`` stands for a request received on ``received``."""
    if read.said is Extension.NO:
        return Standing.NONE
    if read.said is Extension.UNCLEAR:
        return Standing.IN_DOUBT
    if received is None or not read.told:
        return Standing.STANDS
    due = due_date(received, cal=cal)
    verdicts = {_verdict(t, received, due) for t in read.told}
    if len(verdicts) > 1:
        # a typed date read both ways: a reading before receipt cannot be the day the
        # person was told, so the other reading decides (01/12/2026 for a request of
        # 26 October is 1 December, not 12 January)
        verdicts.discard(Standing.BEFORE_RECEIPT)
    return verdicts.pop() if len(verdicts) == 1 else Standing.IN_DOUBT


def _verdict(told: dt.date, received: dt.date, due: dt.date) -> Standing:
    if told < received:
        return Standing.BEFORE_RECEIPT
    return Standing.LATE if told > due else Standing.STANDS
