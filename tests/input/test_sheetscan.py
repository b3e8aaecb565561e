"""The sheet scanner: how far a sheet's cells reach, the fast path and the exact path alike."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batch_anonymizer.input.cellrefs import column_letters, column_number, digits_upto, letters_upto
from batch_anonymizer.input.sheetscan import Extent, Limits, NotWellFormed, scan_sheet

WIDE = Limits(rows=1_048_576, columns=16_384, cells=25_000_000)
HEAD = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="x"><sheetData>'
TAIL = b"</sheetData></worksheet>"


def chunked(data: bytes, size: int = 1 << 20) -> Iterator[bytes]:
    """``data`` in pieces of ``size`` bytes, as a zip member is read."""
    for i in range(0, len(data), size):
        yield data[i : i + size]


def scan(body: bytes, limits: Limits = WIDE, size: int = 1 << 10) -> Extent:
    data = HEAD + body + TAIL
    return scan_sheet(lambda: chunked(data, size), limits)


def v(ref: str) -> bytes:
    return f'<c r="{ref}" t="s"><v>0</v></c>'.encode()


def test_plain_cells_reach_their_last_row_and_column() -> None:
    body = b'<row r="1">' + v("A1") + v("F1") + b'</row><row r="7">' + v("C7") + b"</row>"
    assert scan(body) == Extent(7, 6, 3)


def test_cells_out_of_order_still_count() -> None:
    body = b'<row r="9">' + v("AB900") + b'</row><row r="1">' + v("A1") + b"</row>"
    assert scan(body) == Extent(900, 28, 2)


def test_a_far_cell_stops_the_scan_at_the_limit() -> None:
    e = scan(v("A1") + v("ZZ1000000") + v("B2"))
    assert e.stopped and (e.rows, e.columns) == (1_000_000, 702)


def test_formatted_empty_cells_are_dropped_as_calamine_drops_them() -> None:
    assert scan(v("A1") + b'<c r="ZZ1000000" s="1"/>') == Extent(1, 1, 2)


# Spellings a careless byte scanner misses and calamine reads: each must reach ZZ900.
TRICKS = {
    "single quotes": b"<c r='ZZ900'><v>1</v></c>",
    "spaces around =": b'<c r = "ZZ900"><v>1</v></c>',
    "a newline before r": b'<c\nr="ZZ900"><v>1</v></c>',
    "lowercase letters": b'<c r="zz900"><v>1</v></c>',
    "a prefix on the element": b'<x:c xmlns:x="y" r="ZZ900"><x:v>1</x:v></x:c>',
    "r after other attributes": b'<c s="1" r="ZZ900"><v>1</v></c>',
    "a > inside a value before r": b'<c x="a>b" r="ZZ900"><v>1</v></c>',
    "an attribute spreadsheets do not write": b'<c r="ZZ900" foo="1"><v>1</v></c>',
}


def test_every_spelling_calamine_reads_is_found() -> None:
    for what, cell in TRICKS.items():
        e = scan(v("A1") + cell)
        assert (e.rows, e.columns) == (900, 702), what


def test_a_second_r_is_not_well_formed_and_refused() -> None:
    # calamine takes the last r; a byte scanner reading the first would see A1 only.
    for cell in (b'<c r="A1" r="ZZ900"><v>1</v></c>', b'<c r="A1" x="a>b" r="ZZ900"/>'):
        with pytest.raises(NotWellFormed, match="duplicate attribute"):
            scan(v("A1") + cell)


def test_cells_without_r_are_placed_by_counting() -> None:
    # calamine: the current row (set by <row r>, one more after </row>), one column right
    body = (
        b'<row r="5"><c><v>1</v></c><c/><c><v>1</v></c></row>'  # A5, (B5 empty), C5
        b"<row><c><v>1</v></c></row>"  # A6
    )
    assert scan(body) == Extent(6, 3, 3)


def test_a_utf16_sheet_is_read_by_the_exact_path() -> None:
    xml = '<?xml version="1.0" encoding="UTF-16"?><worksheet><sheetData>'
    xml += '<c r="A1"><v>1</v></c><c r="ZZ900"><v>1</v></c></sheetData></worksheet>'
    data = xml.encode("utf-16")
    e = scan_sheet(lambda: chunked(data, 64), WIDE)
    assert (e.rows, e.columns) == (900, 702)


def test_a_windows_1252_sheet_is_read_by_the_exact_path() -> None:
    # expat knows no windows-1252; calamine does: the text is re-encoded, not refused
    xml = '<?xml version="1.0" encoding="windows-1252"?><worksheet><sheetData>'
    xml += '<c r="A1" t="inlineStr"><is><t>Zoë €</t></is></c><c r="ZZ900"><v>1</v></c>'
    xml += "</sheetData></worksheet>"
    data = xml.encode("cp1252")
    e = scan_sheet(lambda: chunked(data, 16), WIDE)
    assert (e.rows, e.columns) == (900, 702)


def test_a_doctype_is_refused_by_the_exact_path() -> None:
    data = b"<!DOCTYPE x [<!ENTITY a \"b\">]><worksheet><c r='A1'/></worksheet>"
    with pytest.raises(NotWellFormed):
        scan_sheet(lambda: chunked(data), WIDE)


_cell = st.tuples(st.integers(1, 3000), st.integers(1, 800), st.booleans())


@settings(deadline=None)
@given(
    cells=st.lists(_cell, max_size=30),
    size=st.integers(7, 300),
    plain=st.booleans(),
)
def test_fast_and_exact_paths_agree(
    cells: list[tuple[int, int, bool]], size: int, plain: bool
) -> None:
    parts = []
    for row, col, empty in cells:
        ref = f"{column_letters(col)}{row}"
        attrs = "" if plain else ' s="1"'
        parts.append(f'<c r="{ref}"{attrs}/>' if empty else f'<c r="{ref}"{attrs}><v>1</v></c>')
    body = "".join(parts).encode()
    fast = scan(body, size=size)
    valued = [(r, c) for r, c, empty in cells if not empty]
    assert (fast.rows, fast.columns) == (
        max((r for r, _ in valued), default=0),
        max((c for _, c in valued), default=0),
    )
    # The same cells written so that only the exact path can read them.
    odd = body.replace(b'<c r="', b"<c  r='").replace(b'" s="1"', b'\' s="1"')
    odd = re.sub(rb"<c  r='([A-Z]+[0-9]+)\"", rb"<c  r='\1'", odd)
    exact = scan(odd, size=size)
    assert (exact.rows, exact.columns) == (fast.rows, fast.columns)


@given(st.integers(1, 2_000_000))
def test_digit_bounds_match_exactly_the_numbers_up_to_n(n: int) -> None:
    pattern = re.compile(digits_upto(n) + rb"\Z")
    for k in {1, n - 1, n, n + 1, n * 10, 10 ** len(str(n)), 10 ** (len(str(n)) - 1)}:
        if k >= 1:
            assert bool(pattern.match(str(k).encode())) == (k <= n), (n, k)


@given(st.integers(1, 16_384))
def test_letter_bounds_match_exactly_the_columns_up_to_n(n: int) -> None:
    pattern = re.compile(letters_upto(n) + rb"\Z")
    for k in {1, n - 1, n, n + 1, 26, 27, 702, 703, 16_384}:
        if 1 <= k <= 18_278:
            assert bool(pattern.match(column_letters(k).encode())) == (k <= n), (n, k)
    assert column_number(column_letters(n)) == n
