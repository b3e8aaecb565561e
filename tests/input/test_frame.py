"""The framer: a sheet's rows after the header become numbered rows, blank ones counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from batch_anonymizer.input import frame as frame_module
from batch_anonymizer.input.frame import frame

BOOK = Path("requests.xlsx")


def test_blank_rows_are_left_out_whatever_their_first_cell_holds() -> None:
    # a blank row is told from its first cell when that holds text (the common case): a
    # first cell that is empty or starts with a space needs the whole row looked at
    grid = [
        ["Name", "Email"],
        ["Ann", "ann@example.com"],
        ["  ", ""],  # spaces only: blank
        [" Bo", "bo@example.com"],  # starts with a space, holds data: kept
        ["", "\u00a0"],  # a no-break space only: blank
        ["", "cy@example.com"],  # no first cell, but data: kept
    ]
    sheet, columns, rows, blank = frame(BOOK, "Requests", grid, 0)
    assert (sheet, columns, blank) == ("Requests", ["Name", "Email"], 2)
    assert [(r.sheet, r.number, r.cells) for r in rows] == [
        ("Requests", 2, ("Ann", "ann@example.com")),
        ("Requests", 4, (" Bo", "bo@example.com")),
        ("Requests", 6, ("", "cy@example.com")),
    ]


def test_rows_keep_their_numbers_across_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    # rows become columns 3 at a time here (65,536 in use); blank rows on either side of
    # a seam, and one at the bottom, which is not data (and not counted)
    monkeypatch.setattr(frame_module, "_BATCH", 3)
    blanks = {3, 4, 10}
    grid = [["ID", "Email"]] + [
        ["", " "] if i in blanks else [f"R{i}", f"u{i}@example.com"] for i in range(1, 11)
    ]
    _, _, rows, blank = frame(BOOK, None, grid, 0)
    assert blank == 2
    assert [(r.number, r.cells[0]) for r in rows] == [
        (2, "R1"),
        (3, "R2"),
        (6, "R5"),
        (7, "R6"),
        (8, "R7"),
        (9, "R8"),
        (10, "R9"),
    ]


def test_a_wider_row_widens_the_table_and_shorter_rows_are_padded() -> None:
    grid = [["Name", "Email"], ["Ann", "ann@example.com"], ["Bo", "bo@example.com", "note", ""]]
    grid += [["Cy"]]
    _, columns, rows, blank = frame(BOOK, None, grid, 0)
    assert (columns, blank) == (["Name", "Email", "column 3"], 0)
    assert [r.cells for r in rows] == [
        ("Ann", "ann@example.com", ""),
        ("Bo", "bo@example.com", "note"),
        ("Cy", "", ""),
    ]
