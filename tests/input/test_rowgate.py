"""Which rows may be erased, through the loader's plan: the request-type, identity and hold
columns found by header (or named), each row's status, code and message, and the refusal
of a type value the tool cannot classify."""

from __future__ import annotations

import pytest
from conftest import make_table

from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.errors import InputError
from batch_anonymizer.input.plan import make_plan, problem_summary
from batch_anonymizer.input.rowgate import GateColumns, gate_headline

HEADER = ["Email", "Request type", "Identity verified", "Hold"]


def _lines(header: list[str], rows: list[list[str]], **kw):  # type: ignore[no-untyped-def]
    plan = make_plan(make_table(header, rows), **kw)
    return plan, [(ln.source_row, ln.status.value, ln.code and ln.code.value) for ln in plan.lines]


def test_type_identity_and_hold_decide_each_row() -> None:
    plan, got = _lines(
        HEADER,
        [
            ["a@example.com", "Erasure", "Yes", ""],
            ["b@example.com", "Access", "Yes", ""],
            ["c@example.com", "Erasure", "Pending", ""],
            ["d@example.com", "Erasure", "Yes", "Art. 17(3)(b): legal obligation"],
            ["e@example.com", "Access", "No", "Dispute"],  # another right first
            ["f@example.com", "Deletion", "No", "Dispute"],  # a hold before the identity
            ["not-an-email", "Erasure", "No", ""],  # held, whatever its key
            ["", "Access", "", ""],  # no key, and not an erasure
        ],
    )
    assert (plan.type_column, plan.identity_column, plan.hold_column) == (
        "Request type",
        "Identity verified",
        "Hold",
    )
    assert got == [
        (2, "ready", None),
        (3, "skipped", "not_erasure"),
        (4, "held", "identity_unverified"),
        (5, "held", "hold"),
        (6, "skipped", "not_erasure"),
        (7, "held", "hold"),
        (8, "held", "identity_unverified"),
        (9, "skipped", "not_erasure"),
    ]
    messages = [ln.message for ln in plan.lines]
    assert messages[3] == ("held (Hold): Art. 17(3)(b): legal obligation; nothing was sent")
    assert messages[2].startswith('held: identity not verified (Identity verified is "Pending")')
    assert messages[1].startswith('not an erasure request (Request type is "Access")')
    summary = [(c.value, n) for c, n, _ in problem_summary(plan)]
    assert summary == [
        ("not_erasure", 3),
        ("hold", 2),
        ("identity_unverified", 2),
    ]
    assert gate_headline(plan) == (
        "8 rows: 5 erasure requests, 3 other rights (not_erasure: not sent), "
        "2 held (hold: not sent), 2 unverified (identity_unverified: not sent)"
    )


def test_a_key_held_on_one_row_is_held_on_every_row() -> None:
    plan, got = _lines(
        ["Email", "Phone", "Legal hold"],
        [
            ["ann@example.com", "", "Litigation"],
            ["ANN@example.com ", "+44 7700 900123", ""],  # the same email: held; its phone goes
            ["bob@example.com", "", ""],
        ],
    )
    assert got == [(2, "held", "hold"), (3, "held", "hold"), (3, "ready", None), (4, "ready", None)]
    assert plan.lines[1].message == "held: the same key is held on row 2: held (Legal hold): " \
        "Litigation; nothing was sent"  # fmt: skip
    assert plan.lines.code_counts()["hold"] == 2


def test_a_held_row_does_not_make_a_later_row_of_its_key_a_duplicate() -> None:
    _, got = _lines(
        ["Email", "ID verified"], [["ann@example.com", "No"], ["ann@example.com", "Yes"]]
    )
    assert got == [(2, "held", "identity_unverified"), (3, "ready", None)]


def test_where_comes_first() -> None:
    _, got = _lines(
        ["Email", "Type", "Team"],
        [["a@example.com", "Access", "x"], ["b@example.com", "Access", "y"]],
        where=[("Team", "y")],
    )
    assert got == [(2, "skipped", "skipped_filter"), (3, "skipped", "not_erasure")]


@pytest.mark.parametrize(
    ("header", "found"),
    [
        (["Email", "DSR type", "ID verified", "Legal hold"], (1, 2, 3)),
        (["Email", "Right", "Identity checked", "Do not erase"], (1, 2, 3)),
        (["Email", "action", "Verified identity", "Exception"], (1, 2, 3)),
        (["Email", "Request Type", "ID Verified", "On hold"], (1, 2, 3)),
        (["Email", "Type", "Email verified", "Notes"], (1, None, None)),  # describes a key
        (["Email", "Name"], (None, None, None)),
    ],
)
def test_columns_are_found_by_header(header: list[str], found: tuple[int | None, ...]) -> None:
    row = ["a@example.com", "Erasure", "Yes", ""][: len(header)]
    plan = make_plan(make_table(header, [row]))
    want = tuple(None if i is None else header[i] for i in found)
    assert (plan.type_column, plan.identity_column, plan.hold_column) == want


def test_columns_named_with_the_options() -> None:
    table = make_table(["Email", "Kind", "KYC", "Freeze"], [["a@example.com", "Access", "yes", ""]])
    gate = GateColumns("kind", "KYC", "Freeze")
    plan = make_plan(table, gate=gate)
    assert (plan.type_column, plan.identity_column, plan.hold_column) == ("Kind", "KYC", "Freeze")
    assert plan.lines[0].code.value == "not_erasure"  # type: ignore[union-attr]
    with pytest.raises(InputError, match='--hold-column "Frost": the input has no such column'):
        make_plan(table, gate=GateColumns(hold_column="Frost"))


def test_without_columns_every_row_goes_and_the_headline_says_so() -> None:
    plan, got = _lines(["Email"], [["a@example.com"]])
    assert got == [(2, "ready", None)]
    assert gate_headline(plan) == (
        "1 row: 1 erasure request (no request-type column: every row treated as an erasure "
        "request), 0 other rights (not_erasure: not sent), 0 held (hold: not sent), "
        "identity verification: not recorded in the input"
    )


def test_an_unclassified_type_is_refused_with_each_value_counted() -> None:
    rows = [["a@example.com", v] for v in ("Erasure", "Forget", "forget ", "Purge", "", "Forget")]
    with pytest.raises(InputError) as e:
        make_plan(make_table(["Email", "Request type"], rows))
    assert str(e.value) == (
        'the request-type column "Request type" holds values that are neither an erasure nor '
        'another right: "Forget" (2 rows), (empty) (1 row), "Purge" (1 row), "forget" '
        "(1 row). If such a value asks for erasure, say so with --erasure-type VALUE "
        '(repeatable), e.g. --erasure-type "Forget"; otherwise correct the cells, or leave '
        "those rows out with --where. Nothing was sent"
    )
    plan = make_plan(
        make_table(["Email", "Request type"], rows),
        gate=GateColumns(erasure_types=("forget", "purge", "")),
    )
    assert {ln.status.value for ln in plan.lines} == {"ready", "duplicate"}


def test_the_last_guard_refuses_a_held_or_not_erasure_line_as_a_job() -> None:
    from dataclasses import replace

    from batch_anonymizer.app.opening import refuse_gated
    from batch_anonymizer.core.job import Job

    plan = make_plan(make_table(HEADER, [["a@example.com", "Access", "Yes", ""],
                                         ["b@example.com", "Erasure", "No", ""],
                                         ["c@example.com", "Erasure", "Yes", ""]]))  # fmt: skip
    refuse_gated([Job(plan.lines[2])])  # a ready line: fine
    for line in (plan.lines[0], plan.lines[1], replace(plan.lines[1], status=plan.lines[2].status)):
        with pytest.raises(InputError, match="would have been sent: nothing was sent"):
            refuse_gated([Job(plan.lines[2]), Job(line)])
    # a plan's ready lines as the pool takes them: read from the columns, the same guard
    from batch_anonymizer.api.pool import ReadyJobs

    refuse_gated(ReadyJobs(plan.lines))
    plan.lines.entries.problem[int(plan.lines.entry_of[2])] = (Reason.HOLD, "held")
    with pytest.raises(InputError, match=r"row 4 is ready \(hold\) and would have been sent"):
        refuse_gated(ReadyJobs(plan.lines))
