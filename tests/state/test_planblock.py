"""The plan journaled as one record of its columns; journals of format 2 still read."""

from __future__ import annotations

import csv
import json
import shutil
import tracemalloc
from pathlib import Path

import pytest
from conftest import REPO, write_csv

from batch_anonymizer.app.options import InputOptions
from batch_anonymizer.app.prepare import prepare_run
from batch_anonymizer.audit.manifest import verify
from batch_anonymizer.core.errors import ReportError
from batch_anonymizer.core.lines import Lines
from batch_anonymizer.core.records import Outcome, Status
from batch_anonymizer.core.table import RowColumns
from batch_anonymizer.state import format as fmt
from batch_anonymizer.state import planblock, reader
from batch_anonymizer.state.journal import JournalWriter
from batch_anonymizer.state.reader import read_journal

V2 = REPO / "tests" / "data" / "v2"
WHERE = InputOptions(where=(("Batch", "erasure"),))


@pytest.fixture
def v2(tmp_path: Path) -> Path:
    """A copy of the format-2 run's folder (input, journal, csv, xlsx, manifest)."""
    folder = tmp_path / "v2"
    shutil.copytree(V2, folder)
    return folder


def journal_of(path: Path, prep_lines: object, carried: dict[int, Outcome]) -> Path:
    j = JournalWriter(path)
    j.write_plan({"t": "run", "v": 3, "run_id": "r1", "input": {}}, prep_lines, carried)  # type: ignore[arg-type]
    j.close()
    return path


def test_the_plan_is_one_record_and_reads_back_line_for_line(v2: Path, tmp_path: Path) -> None:
    prep = prepare_run(v2 / "in.csv", WHERE)
    path = journal_of(tmp_path / "r.journal", prep.lines, {})
    records = path.read_bytes().splitlines()
    assert [json.loads(r)["t"] for r in records] == ["run", "plan", "planned"]
    state = read_journal(path)
    assert list(state.lines) == list(prep.lines)
    # duplicate, invalid, no key, left out by --where: each with its own code and message
    said = {(ln.source_row, ln.status.value, ln.message) for ln in state.lines}
    assert (3, "duplicate", "duplicate of row 2") in said
    assert (5, "skipped", 'not processed: Batch is "keep", --where wants "erasure"') in said
    assert (6, "invalid", "no email or telephone in this row") in said
    fresh = prepare_run(v2 / "in.csv", WHERE)  # another plan object, the same lines
    fast = read_journal(path, fresh.lines)
    assert fast.lines_from_plan
    assert read_journal(path, prepare_run(v2 / "in.csv").lines).lines_from_plan is False


def test_carried_outcomes_follow_the_plan_record(v2: Path, tmp_path: Path) -> None:
    prep = prepare_run(v2 / "in.csv", WHERE)
    done = Outcome(Status.SUCCESS, None, "Record updated successfully", http_status=200)
    path = journal_of(tmp_path / "r.journal", prep.lines, {0: done, 9: done})
    kinds = [json.loads(r)["t"] for r in path.read_bytes().splitlines()]
    assert kinds == ["run", "plan", "planned", "prior", "prior"]
    assert read_journal(path).priors == {0: done, 9: done}
    assert read_journal(path, prepare_run(v2 / "in.csv", WHERE).lines).priors == {0: done, 9: done}


def test_a_plan_record_torn_by_a_crash_reads_as_no_plan(v2: Path, tmp_path: Path) -> None:
    prep = prepare_run(v2 / "in.csv", WHERE)
    path = journal_of(tmp_path / "r.journal", prep.lines, {})
    data = path.read_bytes()
    planned = data.index(b'\n{"t":"planned",')
    path.write_bytes(data[: planned - 40])  # killed while writing its plan
    state = read_journal(path, prep.lines)
    assert state.torn
    assert (list(state.lines), state.lines_from_plan) == ([], False)
    path.write_bytes(data[: planned + 30])  # killed after it, while writing its digest
    state = read_journal(path, prep.lines)
    assert state.torn
    assert (list(state.lines), state.lines_from_plan) == (list(prep.lines), False)


def test_a_resume_of_the_same_plan_reads_through_its_plan_record_without_holding_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "_PIECE", 1 << 14)  # read through 16 KiB at a time
    note = "x" * 400_000  # a plan record of ~0.8 MB
    src = write_csv(tmp_path / "in.csv", ["Email", "Note"], [["ann@example.com", note]] * 2)
    prep = prepare_run(src)
    done = Outcome(Status.SUCCESS, None, "Record updated successfully", http_status=200)
    path = tmp_path / "r.journal"
    j = JournalWriter(path)
    j.write_plan({"t": "run", "v": 3, "run_id": "r1", "input": {}}, prep.lines, {0: done})
    j.send(1, 1)
    j.done(1, done)
    j.close()
    with path.open("ab") as f:
        f.write(b'{"t":"send","i":1,"a":2')  # torn: killed while writing it
    full = read_journal(path)
    assert planblock.plan_digest(prep.lines)  # the fresh plan's digest, before measuring
    tracemalloc.start()
    try:
        fast = read_journal(path, prep.lines)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert fast.lines_from_plan and fast.lines is prep.lines
    assert peak < 200_000, peak  # its bytes and text would be ~1.6 MB
    for state in (fast, full):
        assert (state.priors, state.outcomes, state.sent, state.torn) == (
            {0: done}, {1: done}, {1: 1}, True
        )  # fmt: skip


def test_a_plan_record_damaged_or_cut_is_judged_on_the_fast_path_as_in_the_full_read(
    v2: Path, tmp_path: Path
) -> None:
    prep = prepare_run(v2 / "in.csv", WHERE)
    path = journal_of(tmp_path / "r.journal", prep.lines, {})
    data = path.read_bytes()
    planned = data.index(b'\n{"t":"planned",')
    path.write_bytes(data[: planned - 40] + b"\xff" + data[planned - 39 :])  # not UTF-8
    for lines in (None, prep.lines):
        with pytest.raises(ReportError, match="damaged at line 2"):
            read_journal(path, lines)
    path.write_bytes(data[:-1])  # killed before the newline of its digest's record
    state = read_journal(path, prep.lines)
    assert (state.torn, state.lines_from_plan, list(state.lines)) == (True, False, list(prep.lines))
    after = b'{"t":"send","i":0,"a":1}\n{"t":"done","i":0,"o":{\n{"t":"send","i":1,"a":1}\n'
    path.write_bytes(data + after)  # a record after the plan cut short, not the last one
    with pytest.raises(ReportError, match="damaged at line 5"):
        read_journal(path, prep.lines)


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [
            {k: v for k, v in row.items() if k not in ("run_id", "finished_at")}
            for row in csv.DictReader(f)
        ]


def test_a_format_2_journal_reports_verifies_and_resumes(v2: Path, cli) -> None:  # type: ignore[no-untyped-def]
    state = read_journal(v2 / "v2.journal")
    assert state.version == 2
    assert len(state.lines) == 10
    assert verify(v2 / "v2.xlsx").ok
    res = cli("report", v2 / "v2.journal", "--report", v2 / "again.xlsx")
    assert res.code == 0, res.err
    assert rows_of(v2 / "again.csv") == rows_of(v2 / "v2.csv")
    prep = prepare_run(v2 / "in.csv", WHERE, resume=v2 / "v2.journal")
    assert prep.jobs == []  # every ready key was erased in that run
    assert sorted(o.status.value for o in prep.carried.values()) == ["success"] * 5


def test_a_run_resumed_from_format_2_writes_format_3(v2: Path, cli) -> None:  # type: ignore[no-untyped-def]
    res = cli(
        "run", v2 / "in.csv", "--sandbox", "--yes", "--no-progress", "--no-ledger",
        "--where", "Batch=erasure", "--resume", v2 / "v2.journal", "--report", v2 / "v3.xlsx",
    )  # fmt: skip
    assert res.code == 1, res.err  # invalid rows: "finished with problems", as that run did
    run = json.loads((v2 / "v3.journal").read_bytes().splitlines()[0])
    assert run["v"] == fmt.FORMAT_VERSION == 3
    assert rows_of(v2 / "v3.csv") == rows_of(v2 / "v2.csv")  # carried over, line for line
    assert verify(v2 / "v3.xlsx").ok
    res = cli("report", v2 / "v3.journal", "--report", v2 / "again.xlsx")
    assert res.code == 0, res.err
    assert rows_of(v2 / "again.csv") == rows_of(v2 / "v2.csv")


def test_the_text_columns_go_in_chunks_and_read_back_whole(
    v2: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planblock, "_CHUNK", 2)  # 6 rows: three chunks of cells
    prep = prepare_run(v2 / "in.csv", WHERE)
    path = journal_of(tmp_path / "r.journal", prep.lines, {})
    record = json.loads(path.read_bytes().splitlines()[1])
    assert len(record["cells"]) == 3
    assert list(read_journal(path).lines) == list(prep.lines)
    # a chunk whose texts hold the separator is a list of them
    assert planblock._text_chunk(["a\x1fb", "c"]) == b'["a\\u001fb","c"]'
    mixed = {"cells": ["x\x1fy", ["a\x1fb", "c"]], "key": [], "norm": [], "written": []}
    assert planblock.texts(mixed)["cells"] == ["x", "y", "a\x1fb", "c"]


def as_tuples(lines: Lines) -> Lines:
    """The same plan over its rows as plain ``SourceRow`` tuples (not columns)."""
    return Lines(
        tuple(lines.rows), lines.row_of, lines.entry_of, lines.status, lines.first_of,
        lines.entries, lines.skip_reason, lines.several_sheets, lines.row_code,
    )  # fmt: skip


@pytest.mark.parametrize(
    "cells",
    [
        ["Zoë@example.com", "株式会社"],  # not ASCII: four bytes a character
        ["a\x1fb@example.com", "x"],  # a cell holding the separator: a list of texts
        ["\ud800", "😀"],  # a lone surrogate, a character beyond the BMP
    ],
)
def test_a_table_of_columns_encodes_as_its_rows_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cells: list[str]
) -> None:
    monkeypatch.setattr(planblock, "_CHUNK", 2)  # chunks end within the table
    src = tmp_path / "in.csv"
    rows = ["Email,Name", "ann@example.com,Ann", f"{cells[0]},{cells[1]}", ",", "bob@example.org,"]
    src.write_text("\n".join(rows) + "\n", encoding="utf-8", errors="surrogatepass")
    lines = prepare_run(src).lines
    assert isinstance(lines, Lines)
    assert isinstance(lines.rows, RowColumns)  # the columns' own path, compared below
    assert b"".join(planblock.pieces(lines)) == b"".join(planblock.pieces(as_tuples(lines)))
