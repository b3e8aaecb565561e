"""Requests made as a run makes them: rows planned by the real planner, outcomes given per key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from conftest import make_table

from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.records import Line, Outcome, ReportLine, Status
from batch_anonymizer.core.reportlines import ReportLines
from batch_anonymizer.core.requests import Request
from batch_anonymizer.input.dates import DayOrder
from batch_anonymizer.input.plan import make_plan
from batch_anonymizer.requests import RequestRules, derive_requests, stream_requests

RUN = "20261201T100000Z-abc123"
DONE = "2026-12-01T10:00:00Z"
TODAY = dt.date(2026, 12, 1)
HEADER = ["Request ID", "Date received", "Extended", "Email", "Phone"]

SUCCESS = Outcome(
    Status.SUCCESS, records_before=2, records_after=0, finished_at=DONE, run_id=RUN, attempts=1
)
NOT_FOUND = Outcome(
    Status.NOT_FOUND, Reason.NOT_FOUND, records_before=0, records_after=0, finished_at=DONE
)
STILL = Outcome(
    Status.FAILED, Reason.STILL_PRESENT, records_before=2, records_after=1, finished_at=DONE
)
FAILED = Outcome(Status.FAILED, Reason.RETRIES_EXHAUSTED, finished_at=DONE, attempts=6)
PENDING = Outcome(Status.PENDING, Reason.INTERRUPTED)
UNVERIFIED = Outcome(Status.SUCCESS, finished_at=DONE, run_id=RUN, attempts=1)  # --no-verify
READY = Outcome(Status.READY, message="would be sent (dry run)")


def derive(
    rows: list[list[str]],
    outcomes: Mapping[str, Outcome] | None = None,
    *,
    today: dt.date = TODAY,
    header: list[str] = HEADER,
    where: tuple[tuple[str, str], ...] = (),
    order: DayOrder | None = None,
    holidays: str = "",
    platform_days: str | None = None,
) -> list[Request]:
    """Plan ``rows`` as a run would, give each ready key the outcome named for it (default
    a verified success), and derive the requests."""
    plan = make_plan(make_table(header, rows), where=where)
    given = outcomes or {}

    def outcome(line: Line) -> Outcome:
        if line.status is Status.READY:
            return given.get(line.key, SUCCESS)
        return Outcome(line.status, line.code, line.message)

    lines = [ReportLine(line, outcome(line)) for line in plan.lines]
    rules = RequestRules(
        plan.request_id_column,
        plan.date_received_column,
        plan.extension_column,
        order,
        holidays,
        type_column=plan.type_column,
        identity_column=plan.identity_column,
        hold_column=plan.hold_column,
        platform_days_column=platform_days,
    )
    derived = list(derive_requests(lines, plan.table.columns, rules, today))
    # a run's report makes them one at a time from the plan's columns: the same requests
    made = ReportLines(plan.lines, outcome)
    assert list(stream_requests(made, plan.table.columns, rules, today)) == derived
    return derived


def planned(
    rows: list[list[str]],
    outcomes: Mapping[str, Outcome] | None = None,
    *,
    header: list[str] = HEADER,
) -> tuple[list[ReportLine], RequestRules]:
    """The report lines of ``rows`` (outcomes as in ``derive``) and the rules a run would use."""
    plan = make_plan(make_table(header, rows))
    outcomes = outcomes or {}
    lines = [
        ReportLine(
            line,
            outcomes.get(line.key, SUCCESS)
            if line.status is Status.READY
            else Outcome(line.status, line.code, line.message),
        )
        for line in plan.lines
    ]
    rules = RequestRules(
        plan.request_id_column,
        plan.date_received_column,
        plan.extension_column,
        type_column=plan.type_column,
        identity_column=plan.identity_column,
        hold_column=plan.hold_column,
    )
    return lines, rules
