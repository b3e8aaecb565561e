"""The input's rows kept as columns: the same rows, cells and places as row tuples give."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from batch_anonymizer.core.records import SourceRow
from batch_anonymizer.core.table import (
    ColumnsBuilder,
    column_cells,
    iter_cells,
    row_place,
    row_places,
    row_sheets,
    rows_cells,
)
from batch_anonymizer.input.factorize import column_codes
from batch_anonymizer.input.loader import load_table

# cells as people type them: empty, spaces, non-ASCII, a lone surrogate, the separators
CELL = st.sampled_from(
    [
        "",
        " ",
        "ann@example.com",
        "+44 7700 900123",
        "Zoë",
        "株式会社",
        "\ud800",
        "a,b",
        "\x1f",
        "😀",
    ]
) | st.text(max_size=6)


@settings(max_examples=30, deadline=None)
@given(
    sheets=st.lists(
        st.tuples(
            st.sampled_from([None, "A", "B"]),
            st.lists(st.lists(CELL, min_size=3, max_size=3), max_size=7),
        ),
        min_size=1,
        max_size=3,
    ),
    batch=st.integers(min_value=1, max_value=4),
)
def test_rows_read_back_as_they_were_added(sheets, batch) -> None:  # type: ignore[no-untyped-def]
    expected: list[SourceRow] = []
    built = ColumnsBuilder(3)
    number = 2
    for sheet, rows in sheets:
        for start in range(0, len(rows), batch):
            part = rows[start : start + batch]
            numbers = list(range(number, number + len(part)))
            built.add(sheet, numbers, part)
            expected += [SourceRow(sheet, n, tuple(r)) for n, r in zip(numbers, part, strict=True)]
            number += len(part) + 1  # a blank row between batches still counts
    kept = built.done()
    assert len(kept) == len(expected)
    assert list(kept) == expected
    assert kept == expected and kept == tuple(expected)
    assert [kept[i] for i in range(len(kept))] == expected
    assert kept[1:3] == tuple(expected[1:3])
    if expected:
        assert kept[-1] == expected[-1]
    for c in range(3):
        assert column_cells(kept, c) == [r.cells[c] for r in expected]
        codes, values = column_codes(kept, c)  # arrow's numbering of ASCII columns
        assert [values[i] for i in codes.tolist()] == column_cells(expected, c)
        assert values == list(dict.fromkeys(column_cells(expected, c)))  # first seen first
        assert list(iter_cells(kept, c)) == column_cells(expected, c)
    backwards = list(range(len(expected)))[::-1] * 2
    assert rows_cells(kept, backwards) == [expected[i].cells for i in backwards]
    assert row_places(kept) == row_places(expected)
    used = list(dict.fromkeys(sheet for sheet, rows in sheets if rows))
    assert row_sheets(kept) == row_sheets(expected) == used
    joined = ["\x1f".join(c for r in expected[i : i + batch] for c in r.cells)
              for i in range(0, len(expected), batch)]  # fmt: skip
    assert list(kept.joined_chunks(batch, "\x1f")) == joined
    assert [row_place(kept, i) for i in range(len(kept))] == [(r.sheet, r.number) for r in expected]


def test_a_column_added_while_building_is_empty_in_the_rows_before() -> None:
    built = ColumnsBuilder(1)
    built.add(None, [2], [["ann@example.com"]])
    built.widen(3)
    built.add(None, [3], [["bob@example.com", "x", "y"]])
    kept = built.done()
    assert list(kept) == [
        SourceRow(None, 2, ("ann@example.com", "", "")),
        SourceRow(None, 3, ("bob@example.com", "x", "y")),
    ]
    assert kept != [SourceRow(None, 2, ("ann@example.com", "", ""))]  # shorter: not equal


def test_a_csv_wider_below_its_header_loads_as_rows_did(tmp_path: Path) -> None:
    """The framer widens the columns when a later row is wider (trailing empty cells
    aside), batch by batch, and skips blank rows: the rows a row-by-row read gives."""
    text = "Email\nann@example.com\n\nbob@example.com,x,,\ncleo@example.com,,y,,\n,\n"
    p = tmp_path / "in.csv"
    p.write_text(text, encoding="utf-8")
    t = load_table(p)
    assert t.columns == ("Email", "column 2", "column 3")
    assert list(t.rows) == [
        SourceRow(None, 2, ("ann@example.com", "", "")),
        SourceRow(None, 4, ("bob@example.com", "x", "")),
        SourceRow(None, 5, ("cleo@example.com", "", "y")),
    ]
    assert t.blank_rows == 1  # the blank rows at the bottom are not data, nor counted


def test_the_digest_read_a_batch_of_lines_at_a_time_is_that_of_the_records(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The plan's digest reads the cells a batch at a time: across batch boundaries (a
    row's lines split between two batches, rows without a key) the bytes are the same."""
    from conftest import make_table

    from batch_anonymizer.core import lines as lines_module
    from batch_anonymizer.input.plan import make_plan
    from batch_anonymizer.state.linesdigest import _digest

    rows = [
        ["ann@example.com", "+44 7700 900123", "Zoë"],
        ["", "", "nobody"],
        ["bob@example.org", "+44 7700 900124", ""],
        ["ann@example.com", "", "again"],
        ["cleo@example.net", "+1 202 555 0101", "株式会社"],
    ]
    for cells in (rows, [*rows, ["", "", "a\x1fb"]]):  # then a separator in a cell: JSON
        built = ColumnsBuilder(3)
        built.add(None, list(range(2, 2 + len(cells))), cells)
        tuples = make_table(["Email", "Phone", "Name"], cells)
        kept = replace(tuples, rows=built.done())  # as the loader keeps them: columns
        for table in (tuples, kept):
            plan = make_plan(table)
            expected = _digest(tuple(plan.lines))
            for chunk in (1, 2, 3, 64):
                monkeypatch.setattr(lines_module, "_CHUNK", chunk)
                assert _digest(plan.lines) == expected, chunk


def test_a_column_is_numbered_in_order_of_first_appearance() -> None:
    built = ColumnsBuilder(2)
    built.add(None, [2, 3, 4, 5], [("b", "Zoë"), ("a", "x"), ("b", "Zoë"), ("", "x")])
    kept = built.done()
    codes, values = column_codes(kept, 0)  # ASCII: numbered by arrow in place
    assert (codes.tolist(), values) == ([0, 1, 0, 2], ["b", "a", ""])
    codes, values = column_codes(kept, 1)  # not ASCII: numbered by pandas
    assert (codes.tolist(), values) == ([0, 1, 0, 1], ["Zoë", "x"])
