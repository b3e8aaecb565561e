"""What a prepared run will do, as lines for a person: before a run asks, and ``validate``.

The sheets read, the key columns chosen and left out, the rows the gates hold
back, and the requests with their dates. A retry (no plan: the earlier run
chose the columns) has none of them.
"""

from __future__ import annotations

import datetime as dt

from ..core.timefmt import utc_now
from ..input.book import sheet_lines
from ..input.columns import column_lines
from ..input.plan import problem_summary
from ..input.rowgate import gate_headline, gate_lines
from ..requests import overview_lines
from .prepare import Prepared

__all__ = ["gate_headline", "plan_lines", "problem_summary"]


def plan_lines(prep: Prepared, today: dt.date | None = None) -> list[str]:
    """The key columns chosen and left out, the gates, and the requests with their dates
    (counted against ``today``, default the UTC date); none for a retry."""
    if prep.plan is None:  # retry: the earlier run chose them
        return []
    day = today or utc_now().date()
    requests = overview_lines(prep.lines, prep.input_columns, prep.rules, day)
    return sheet_lines(prep.plan.table) + column_lines(prep.plan) + gate_lines(prep.plan) + requests
