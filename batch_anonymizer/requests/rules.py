"""Which columns make the requests and their deadlines, and how they are recorded in a report.

A run records its rules in the run facts (``setting.request_column``,
``setting.received_column``, ``setting.extension_column``,
``setting.date_order``, ``setting.holidays``, ``setting.deadlines_as_of``, and
the columns that decided which rows may be erased: ``setting.types_from``,
``setting.identity_from``, ``setting.holds_from``), so
that ``report JOURNAL``, ``retry`` and ``certificates`` derive exactly the
same requests from the report's lines later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..core.requests import GATE_SETTINGS
from ..core.timefmt import parse_iso
from ..input.dates import DayOrder
from ..input.headers import (
    DATE_RECEIVED_HEADERS,
    EXTENSION_HEADERS,
    REQUEST_ID_HEADERS,
    find_by_header,
)
from ..input.transcend import pull_shape

_NAMES = (
    "request_column",
    "received_column",
    "extension_column",
    "date_order",
    "holidays",
    "platform_days_column",
)
AS_OF = "deadlines_as_of"


@dataclass(frozen=True, slots=True)
class RequestRules:
    """The columns of the request id, the date received and the extension (None: none),
    how typed dates are read, whose public holidays move a deadline ("": none), and the
    DSR platform's days-left column (None: none)."""

    request_column: str | None = None
    received_column: str | None = None
    extension_column: str | None = None
    day_order: DayOrder | None = None
    holidays: str = ""
    type_column: str | None = None  # the request type (None: every row an erasure request)
    identity_column: str | None = None  # identity verified (None: not recorded in the input)
    hold_column: str | None = None  # a filled cell holds the row
    # the DSR platform's days-left column (Transcend's ``daysUntilOverdue``), compared with
    # the tool's own due date
    platform_days_column: str | None = None

    def settings(self, as_of: dt.date) -> tuple[tuple[str, str], ...]:
        """The rules as run-fact settings (only those that are set), and the date of the report."""
        values = (
            self.request_column,
            self.received_column,
            self.extension_column,
            self.day_order.value if self.day_order else "",
            self.holidays,
            self.platform_days_column,
        )
        gates = (self.type_column, self.identity_column, self.hold_column)
        shown = [(name, v) for name, v in zip(_NAMES, values, strict=True) if v]
        shown += [(name, v) for name, v in zip(GATE_SETTINGS, gates, strict=True) if v]
        return (*shown, (AS_OF, as_of.isoformat()))


def rules_from_facts(
    facts: Mapping[str, str], columns: Sequence[str]
) -> tuple[RequestRules, dt.date | None]:
    """The rules and the date a report's requests were derived with, from its facts.

    A report written before requests existed records none: its columns are
    found by header, as a run would have found them, and its date is the day
    the run ended (None when the facts do not say).
    """

    def get(name: str) -> str:
        return facts.get(f"setting.{name}", "")

    recorded = any(get(name) for name in (*_NAMES, AS_OF))
    order = get("date_order")
    rules = RequestRules(
        request_column=_column(get("request_column"), columns, REQUEST_ID_HEADERS, recorded),
        received_column=_column(get("received_column"), columns, DATE_RECEIVED_HEADERS, recorded),
        extension_column=_column(get("extension_column"), columns, EXTENSION_HEADERS, recorded),
        day_order=DayOrder(order) if order in DayOrder._value2member_map_ else None,
        holidays=get("holidays"),
        # recorded since these columns exist; an older report's lines say no more
        type_column=_column(get(GATE_SETTINGS[0]), columns, (), True),
        identity_column=_column(get(GATE_SETTINGS[1]), columns, (), True),
        hold_column=_column(get(GATE_SETTINGS[2]), columns, (), True),
        platform_days_column=_platform_days(get("platform_days_column"), columns, recorded),
    )
    return rules, _as_of(get(AS_OF), facts)


def _column(
    name: str, columns: Sequence[str], headers: Sequence[str], recorded: bool
) -> str | None:
    if name:
        return name if name in columns else None
    return None if recorded else find_by_header(columns, headers)


def _platform_days(name: str, columns: Sequence[str], recorded: bool) -> str | None:
    if name:
        return name if name in columns else None
    shape = None if recorded else pull_shape(columns)
    return shape.days_until_overdue if shape else None


def _as_of(text: str, facts: Mapping[str, str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    for name in ("ended_at", "started_at"):
        when = parse_iso(facts.get(name, ""))
        if when is not None:
            return when.date()
    return None
