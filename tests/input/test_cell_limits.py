"""One cell holding too much: an ``invalid`` / ``too_many_keys`` line, nothing of it sent.

Before the limit, one cell of 25 million comma-separated pieces was split
into 25 million strings in planning and ended in MemoryError.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import make_table

from batch_anonymizer.core.errors import InputError
from batch_anonymizer.input.cells import email_keys, phone_keys, split_emails
from batch_anonymizer.input.loader import load_table
from batch_anonymizer.input.plan import make_plan, problem_summary


def _lines(cells: list[list[str]], columns: tuple[str, ...] = ("Email", "Phone")) -> list[tuple]:
    plan = make_plan(make_table(list(columns), cells))
    return [(ln.source_row, ln.status.value, ln.code, ln.key, ln.message) for ln in plan.lines]


def test_a_cell_of_1000_keys_is_sent_and_1001_is_not() -> None:
    ok = ", ".join(f"u{i}@example.com" for i in range(1_000))
    plan = make_plan(make_table(["Email"], [[ok]]))
    assert [ln.status.value for ln in plan.lines] == ["ready"] * 1_000
    too = ok + ", u1000@example.com"
    assert _lines([[too, "+44 7700 900123"]]) == [
        (
            2,
            "invalid",
            "too_many_keys",
            "",
            "the cell holds more than 1,000 keys; nothing of it is sent: "
            "put each person's keys on a row of their own",
        ),
        # the row's other cells are still sent
        (2, "ready", None, "447700900123", "warning: number range unknown to the phone library"),
    ]


def test_a_cell_of_25_million_pieces_is_refused_in_seconds_without_splitting_it() -> None:
    cell = "a@example.com," * 25_000_000  # 350 MB of text
    start = time.monotonic()
    got = _lines([[cell], ["b@example.com"]], ("Email",))
    assert time.monotonic() - start < 10
    assert got == [
        (
            2,
            "invalid",
            "too_many_keys",
            "",
            "the cell holds 350,000,000 characters, more than the 1,000,000 a cell of keys may "
            "hold; nothing of it is sent: put each person's keys on a row of their own",
        ),
        (3, "ready", None, "b@example.com", ""),
    ]


def test_splitting_stops_after_the_limit() -> None:
    cell = ";".join(["+44 7700 900123"] * 5_000)
    assert len(phone_keys(cell)) == 1_001
    assert len(phone_keys(cell, limit=3)) == 4
    cell = ",".join(["a@example.com"] * 5_000)
    assert len(email_keys(cell)) == 1_001
    assert len(split_emails('"Doe, J" <j@example.com>, ' * 5_000, limit=10)) == 11


def test_validate_counts_cells_with_too_many_keys() -> None:
    too = ", ".join(f"u{i}@example.com" for i in range(1_001))
    plan = make_plan(make_table(["Email"], [[too], [too], ["a@example.com"]]))
    assert problem_summary(plan) == [("too_many_keys", 2, "2 cells with more than 1,000 keys")]


def test_running_out_of_memory_in_planning_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import batch_anonymizer.input.plan as plan_module

    def exhausted(*_: object, **__: object) -> None:
        raise MemoryError

    monkeypatch.setattr(plan_module, "plan_lines", exhausted)
    with pytest.raises(InputError) as e:
        make_plan(make_table(["Email"], [["a@example.com"]]))
    assert e.value.message == (
        "planning in.csv needs more memory than this machine has; split it into smaller files"
    )


def test_running_out_of_memory_in_loading_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import batch_anonymizer.input.loader as loader_module

    def exhausted(*_: object, **__: object) -> None:
        raise MemoryError

    monkeypatch.setattr(loader_module, "read_text", exhausted)
    p = tmp_path / "big.csv"
    p.write_text("Email\na@example.com\n")
    with pytest.raises(InputError) as e:
        load_table(p)
    assert e.value.message == (
        "big.csv is too large to read in the memory this machine has; split it into smaller files"
    )
