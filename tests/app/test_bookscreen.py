"""``app.bookscreen``: rows removed from a workbook in a stream, across chunk boundaries, and
nothing but the project's own errors from a sheet of any bytes."""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xlsxmake import excel_like

from batch_anonymizer.app.bookscreen import book_copy
from batch_anonymizer.core.errors import AnonymizerError
from batch_anonymizer.core.files import file_sha256
from batch_anonymizer.input.loader import load_table

HEADER = ["Name", "Email", "Phone"]


def _copy(path: Path, drop: dict[str, set[int]]) -> bytes:
    out = io.BytesIO()
    book_copy(path, file_sha256(path), drop)(out)
    return out.getvalue()


def test_rows_split_across_chunks_are_removed_and_renumbered(tmp_path: Path) -> None:
    # 12,000 rows of ~170 bytes: the sheet's XML is about 2 MB, inflated 1 MiB at a time.
    rows = [[f"Person {i} " + "x" * 40, f"user{i}@example.com", ""] for i in range(12_000)]
    path = excel_like(tmp_path / "long.xlsx", {"Contacts": [HEADER, *rows]})
    drop = {2, 3, 6_001, 6_002, 6_003, 12_001}  # first rows, the middle, the last
    (tmp_path / "long-screened.xlsx").write_bytes(_copy(path, {"Contacts": drop}))
    with zipfile.ZipFile(tmp_path / "long-screened.xlsx") as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    numbers = [int(n) for n in re.findall(rb'<row r="(\d+)"', sheet)]
    assert numbers == list(range(1, 12_001 - len(drop) + 1))
    kept = [r for n, r in enumerate([HEADER, *rows], 1) if n not in drop]
    table = load_table(tmp_path / "long-screened.xlsx")
    assert [list(r.cells) for r in table.rows] == [[*r[:2], ""] for r in kept[1:]]
    assert [r.number for r in table.rows] == list(range(2, len(kept) + 1))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    at=st.integers(min_value=0, max_value=2_000),
    junk=st.binary(max_size=12) | st.sampled_from([b"<", b">", b'"', b"</row>", b"<row", b"<f>"]),
)
def test_a_sheet_of_any_bytes_gives_a_copy_or_one_of_our_errors(
    tmp_path: Path, at: int, junk: bytes
) -> None:
    path = excel_like(tmp_path / "f.xlsx", {"S": [HEADER, ["A", "a@example.com", ""]] * 20})
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet[:at] + junk + sheet[at + len(junk) :]
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(bad, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    with contextlib.suppress(AnonymizerError):  # refused: fine; anything else fails
        _copy(bad, {"S": {3, 5}})


def test_a_row_the_sheet_does_not_hold_is_refused(tmp_path: Path) -> None:
    path = excel_like(tmp_path / "short.xlsx", {"S": [HEADER, ["A", "a@example.com", ""]]})
    with pytest.raises(AnonymizerError, match="rows this tool cannot place"):
        _copy(path, {"S": {9}})
