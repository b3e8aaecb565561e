"""The zip end record: read as APPNOTE lays it out, its ZIP64 form included (issue 23, item 6).

Before, the directory's offset was read as its size: every workbook whose
directory starts past 16 MiB (a 2-row sheet beside a 17 MB picture, any
1,000,000-row sheet) was refused as "its zip directory lists 14 parts in
17,294,822 bytes".
"""

from __future__ import annotations

import os
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
from test_hostile_books import refuse

from batch_anonymizer.input.loader import load_table

KEY = "big.picture@example.com"


def _book(path: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.append(["Email"])
    book.active.append([KEY])
    book.save(path)
    return path


def test_a_sheet_beside_a_17_mb_part_is_read(tmp_path: Path) -> None:
    p = _book(tmp_path / "picture.xlsx")
    with zipfile.ZipFile(p, "a") as z:  # stored, incompressible: the directory starts past 17 MB
        z.writestr("xl/media/image1.png", os.urandom(17_000_000), zipfile.ZIP_STORED)
    table = load_table(p)
    assert [r.cells for r in table.rows] == [(KEY,)]


def _as_zip64(path: Path, *, comment: bytes = b"", parts: int | None = None) -> Path:
    """Rewrite ``path``'s end record in ZIP64 form: a ZIP64 end record and its locator, then
    an end record whose figures are all saturated (what a writer does past 65,535 parts or
    4 GiB). Python's zipfile writes this form only past those limits, even with
    ``force_zip64=True`` on a member (that makes only the member's own fields ZIP64)."""
    data = path.read_bytes()
    i = data.rfind(b"PK\x05\x06")
    n, size, offset = struct.unpack("<HII", data[i + 10 : i + 20])
    assert data[offset : offset + 4] == b"PK\x01\x02"
    count = n if parts is None else parts
    record = b"PK\x06\x06" + struct.pack("<QHHIIQQQQ", 44, 45, 45, 0, 0, count, count, size, offset)
    locator = b"PK\x06\x07" + struct.pack("<IQI", 0, i, 1)
    end = b"PK\x05\x06" + struct.pack(
        "<HHHHIIH", 0, 0, 0xFFFF, 0xFFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, len(comment)
    )
    path.write_bytes(data[:i] + record + locator + end + comment)
    return path


def test_a_zip64_end_record_is_read_through_its_locator(tmp_path: Path) -> None:
    # A 65,500-byte comment puts the ZIP64 record out of reach of a search from the end.
    p = _as_zip64(_book(tmp_path / "zip64.xlsx"), comment=b"c" * 65_500)
    with zipfile.ZipFile(p) as z:  # the form is real: zipfile finds the directory through it
        assert z.comment == b"c" * 65_500 and len(z.infolist()) > 1
    assert [r.cells for r in load_table(p).rows] == [(KEY,)]


def test_a_zip64_end_record_listing_too_many_parts_is_refused(tmp_path: Path) -> None:
    p = _as_zip64(_book(tmp_path / "many64.xlsx"), parts=10_001)
    assert refuse(p).startswith("many64.xlsx is refused: its zip directory lists 10,001 parts in ")


@pytest.mark.parametrize("saturated", ["parts", "size"])
def test_a_saturated_end_record_without_a_locator_is_judged_by_its_figures(
    tmp_path: Path, saturated: str
) -> None:
    p = _book(tmp_path / "odd.xlsx")
    data = bytearray(p.read_bytes())
    i = data.rfind(b"PK\x05\x06")
    if saturated == "parts":
        data[i + 8 : i + 12] = b"\xff\xff\xff\xff"
    else:
        data[i + 12 : i + 16] = b"\xff\xff\xff\xff"
    p.write_bytes(bytes(data))
    assert refuse(p).startswith("odd.xlsx is refused: its zip directory lists ")
