"""A resume of this very plan, matched over the plan's columns: the same outcomes carried and
the same jobs, field by field, as the per-line matching gives, without making every line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import make_table

from batch_anonymizer.api.pool import ReadyJobs, stop_list_owed
from batch_anonymizer.app.prepare import Prepared
from batch_anonymizer.core.job import Job
from batch_anonymizer.core.lines import Lines
from batch_anonymizer.core.records import KeyForm, Line, Outcome, Status
from batch_anonymizer.input.plan import make_plan
from batch_anonymizer.state.previous import Previous
from batch_anonymizer.state.resume import carry_over

ROWS = [
    ["a@example.com", "+44 7700 900001"],  # lines 0 (email), 1 (telephone)
    ["b@example.com", ""],  # 2
    ["a@example.com", "+1 202 555 0101"],  # 3 (a duplicate), 4
    ["not-an-email", ""],  # 5 (invalid)
    ["c@example.com", "+44 7700 900002"],  # 6, 7
    ["d@example.com", ""],  # 8
]
T = "2026-12-01T10:00:00Z"
# a verified erasure whose stop-list addition failed: an email owes that step alone...
OWED = Outcome(Status.SUCCESS, records_after=0, stop_list="failed", run_id="run-0", finished_at=T)
# ...a telephone owes nothing (the list holds emails): carried
PHONE_DONE = replace(OWED, message="anonymized")
NOT_FOUND = Outcome(Status.NOT_FOUND, message="no records", attempts=1, run_id="run-0")
LOST = Outcome(Status.PENDING, attempts=2, unknown_attempts=1, key_form=KeyForm.LOWERCASE,
               records_before=3, run_id="run-0")  # fmt: skip
REFUSED = Outcome(Status.PENDING, message="HTTP 503", attempts=1, run_id="run-0")
NEVER_SENT = Outcome(Status.PENDING, message="not sent: the run was halted", run_id="run-0")
KNOWN = {
    0: OWED,
    1: PHONE_DONE,
    2: LOST,
    3: Outcome(Status.SUCCESS, run_id="run-0"),  # a duplicate now: not a ready line
    4: NOT_FOUND,
    5: Outcome(Status.FAILED, attempts=1, run_id="run-0"),  # an invalid line now
    6: REFUSED,
    7: NEVER_SENT,
    42: Outcome(Status.SUCCESS, run_id="run-0"),  # no such line
}


def _previous(known: dict[int, Outcome]) -> Previous:
    # the input's SHA-256 make_table gives: the same input, matched by line index
    return Previous(Path("x.journal"), "run-0", "0" * 64, "in.csv", ("Email", "Phone"), (),
                    plan_outcomes=known)  # fmt: skip


@pytest.fixture
def lines_never_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Walking every line of the plan fails the test (what the columns must spare)."""

    def walked(self: Lines) -> Iterator[Line]:
        raise AssertionError("every line of the plan was made")

    monkeypatch.setattr(Lines, "__iter__", walked)


def test_resume_by_index_carries_and_sends_as_the_per_line_way(lines_never_walked: None) -> None:
    plan = make_plan(make_table(["Email", "Phone"], ROWS))
    lines = plan.lines
    assert isinstance(lines, Lines)
    got = carry_over(plan, _previous(KNOWN), allow_changed_input=False)
    assert isinstance(got.jobs, ReadyJobs)  # made as the pool takes them
    assert got.carried == {1: PHONE_DONE, 4: NOT_FOUND}
    assert list(got.carried) == [1, 4]  # in line order, as the report and ledger take them
    lost = ("resent after an interrupted run: 1 earlier attempt(s) had no recorded answer "
            "(outcome unknown)")  # fmt: skip
    want = [
        Job(lines[0], stop_list_only=OWED),
        Job(lines[2], 2, 1, lost, prior_form=KeyForm.LOWERCASE, prior_records=3),
        Job(lines[6], 1, 0, "resent: earlier run left it pending (HTTP 503)"),
        Job(lines[7]),
        Job(lines[8]),
    ]
    assert list(got.jobs) == want
    assert len(got.jobs) == 5 and got.jobs[1] == want[1] and got.jobs[3:] == want[3:]
    assert stop_list_owed(got.jobs) == 1
    # the ledger's citing keeps every job as it was
    cited = got.jobs.citing({0: "erased 2026-11-01", 8: "erased 2026-11-02"})
    assert list(cited) == [
        replace(want[0], prior_erasure="erased 2026-11-01"),
        *want[1:4],
        replace(want[4], prior_erasure="erased 2026-11-02"),
    ]
    prep = Prepared(Path("in.csv"), "0" * 64, 1, ("Email", "Phone"), lines, got.carried, got.jobs)
    assert prep.planned_counts() == {
        "ready": 5, "success": 1, "not_found": 1, "duplicate": 1, "invalid": 1
    }  # fmt: skip


def test_resume_by_index_equals_the_per_line_matching() -> None:
    """The columns' way against the per-line loop (the plan's lines as plain records),
    with nothing, some and every line done before."""
    rows = [[f"p{i}@example.com", f"+44 7700 900{i:03d}"] for i in range(6)]
    plan = make_plan(make_table(["Email", "Phone"], rows))
    earlier = [OWED, PHONE_DONE, LOST, NOT_FOUND, REFUSED, NEVER_SENT]
    for done in (0, 3, 12):
        known = {i: earlier[i % 6] for i in range(done)}
        per_line = carry_over(replace(plan, lines=tuple(plan.lines)), _previous(known),
                              allow_changed_input=False)  # fmt: skip
        got = carry_over(plan, _previous(known), allow_changed_input=False)
        assert isinstance(got.jobs, ReadyJobs) and isinstance(per_line.jobs, list)
        assert got.carried == per_line.carried, done
        assert got.jobs == per_line.jobs, done
        # every ready line once: carried, or sent
        assert sorted([*got.carried, *(j.line.index for j in got.jobs)]) == list(range(12))
