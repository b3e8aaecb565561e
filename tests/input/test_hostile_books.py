"""Hostile workbooks: each is refused with one line before calamine builds anything.

The files are built by tests/data/make_hostile.py. Before these checks, the
2 KB far_cell.xlsx made calamine try to build 702 million cells (a Rust abort
under a memory cap, 24 GB without one), dimensions.xls aborted at open, and
zip_bomb.xlsx was inflated to its 50 MB and read.
"""

from __future__ import annotations

import io
import os
import resource
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import REPO
from forkcli import spawn

from batch_anonymizer.core.errors import InputError
from batch_anonymizer.input.loader import load_table

HOSTILE = REPO / "tests" / "data" / "hostile"
CAP = 4 << 30  # the address space the CLI gets in the subprocess tests


def refuse(path: Path) -> str:
    with pytest.raises(InputError) as e:
        load_table(path)
    assert "\n" not in e.value.message
    return e.value.message


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "far_cell.xlsx",
            'sheet "Requests" of far_cell.xlsx spans 1,000,000 rows x 702 columns '
            "(702,000,000 cells), more than the 25,000,000 cells this tool reads in one sheet; "
            "a stray cell far below or to the right often causes this: delete the rows and "
            "columns after the data, or export the sheet as CSV",
        ),
        (
            "far_cell_declared.xlsx",
            'sheet "Requests" of far_cell_declared.xlsx declares a size (A1:XFE2) past what a '
            "spreadsheet holds (1,048,576 rows, 16,384 columns, and this tool reads at most "
            "25,000,000 cells a sheet); open it in a spreadsheet program and save a copy, or "
            "export the sheet as CSV",
        ),
        (
            "zip_bomb.xlsx",
            "zip_bomb.xlsx is refused: its part xl/worksheets/sheet1.xml inflates 1,023 times "
            "its size (a zip bomb?); a workbook of requests is never like this (this tool reads "
            "at most 1,024 MiB a part, 2,048 MiB in all, each part at most 250 times its "
            "compressed size): open it in a spreadsheet program and export the sheet as CSV",
        ),
        (
            "lying_size.xlsx",
            "lying_size.xlsx is refused: its part xl/worksheets/sheet1.xml inflates past the "
            "size it declares; a workbook of requests is never like this (this tool reads at "
            "most 1,024 MiB a part, 2,048 MiB in all, each part at most 250 times its "
            "compressed size): open it in a spreadsheet program and export the sheet as CSV",
        ),
        (
            "repeated.ods",
            "repeated.ods holds more than 25,000,000 cells, more than this tool reads in one "
            "sheet; split it, or export it as CSV",
        ),
        (
            "wide.xls",
            "wide.xls has 65,536 columns, more than the 16,384 a spreadsheet holds; "
            "remove the extra columns",
        ),
        (
            "dimensions.xls",
            "dimensions.xls declares a size (8,589,934,590 cells) past what a spreadsheet holds "
            "(1,048,576 rows, 16,384 columns, and this tool reads at most 25,000,000 cells a "
            "sheet); open it in a spreadsheet program and save a copy, or export the sheet as CSV",
        ),
    ],
)
def test_hostile_workbooks_are_refused_in_one_line(name: str, message: str) -> None:
    assert refuse(HOSTILE / name) == message


def test_a_formatted_empty_cell_far_away_is_no_reason_to_refuse() -> None:
    # Excel keeps <c r="ZZ1000000" s="1"/> where a value was deleted; calamine drops it.
    t = load_table(HOSTILE / "far_empty_cell.xlsx")
    assert t.columns == ("Email",)
    assert [r.cells for r in t.rows] == [("ann@example.com",)]


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))


# The CLI's own __main__ under the cap, in a process forked from one that has imported it
# (tests/forkcli.py): the cap covers the imported modules' memory as a fresh process's would.
CAPPED = f"""
import resource, runpy, sys
resource.setrlimit(resource.RLIMIT_AS, ({CAP}, {CAP}))
sys.argv = ["batch_anonymizer", *sys.argv[1:]]
runpy.run_module("batch_anonymizer", run_name="__main__", alter_sys=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", ["far_cell.xlsx", "zip_bomb.xlsx", "dimensions.xls"])
def test_validate_refuses_bombs_under_a_4_gb_cap(name: str, tmp_path: Path) -> None:
    start = time.monotonic()
    env = {**os.environ, "RUST_BACKTRACE": "0"}
    proc = spawn(["validate", str(HOSTILE / name)], tmp_path, env, code=CAPPED)
    out, err = proc.communicate(timeout=60)
    elapsed = time.monotonic() - start
    assert proc.returncode == 2, err[-2000:]
    lines = err.splitlines()
    assert len(lines) == 1, err[-2000:]
    assert lines[0].startswith("error: ") and name in lines[0]
    assert "Traceback" not in err and "panicked" not in err
    assert out == ""
    assert elapsed < 20, elapsed
    assert not (tmp_path / "reports").exists()  # refused before anything was written


@pytest.mark.slow
def test_a_sheet_just_under_the_cell_budget_is_read_within_the_memory_budget(
    tmp_path: Path,
) -> None:
    # 1,000,000 rows x 24 columns = 24 million cells (almost all empty), under the 4 GB cap;
    # measured at about 1.05 GB peak: the budget stated in grid.py is 25 million cells in
    # about 1.1 GB. Before the checks this file loaded too; the far_cell bomb is the same
    # file 29 times larger.
    out_path, err_path = tmp_path / "out.txt", tmp_path / "err.txt"
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "batch_anonymizer",
                "validate",
                str(HOSTILE / "near_budget.xlsx"),
            ],
            cwd=tmp_path,
            stdout=out,
            stderr=err,
            preexec_fn=_cap,
        )
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 1, err_path.read_text()  # 1: its second row holds no key
    said = out_path.read_text()
    assert said.startswith("near_budget.xlsx: 2 rows: 2 erasure requests (no request-type column")
    assert "\n1 keys ready to send\n" in said
    assert usage.ru_maxrss < 2 * 1024 * 1024  # KiB: under 2 GB, with room for a slower machine


# -- the zip directory ----------------------------------------------------------------------


def _zip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data)
    return path


def test_a_zip_of_too_many_parts_is_refused_before_it_is_listed(tmp_path: Path) -> None:
    p = _zip(tmp_path / "many.xlsx", {f"x/{i}.xml": b"" for i in range(10_001)})
    assert refuse(p).startswith("many.xlsx is refused: its zip directory lists 10,001 parts in ")


def test_a_part_larger_than_a_gigabyte_is_refused_from_the_directory(tmp_path: Path) -> None:
    p = _zip(tmp_path / "big.xlsx", {"xl/workbook.xml": b"<workbook/>"})
    data = bytearray(p.read_bytes())
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (1 << 30 | 1).to_bytes(4, "little")  # the declared size
    p.write_bytes(bytes(data))
    assert refuse(p).startswith(
        "big.xlsx is refused: its part xl/workbook.xml inflates to 1,073,741,825 bytes; "
    )


def test_two_parts_of_one_name_are_refused(tmp_path: Path) -> None:
    # A reader taking the first and a checker taking the last would check the wrong one.
    p = tmp_path / "twice.xlsx"
    with zipfile.ZipFile(p, "w") as z, pytest.warns(UserWarning, match="Duplicate name"):
        z.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
        z.writestr("XL/Worksheets/Sheet1.xml", b"<worksheet/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
    assert refuse(p) == (
        "twice.xlsx cannot be read as a workbook (two parts are named XL/Worksheets/Sheet1.xml); "
        "it may be corrupt or password-protected: open it in a spreadsheet program and save a copy"
    )


def test_a_second_end_record_in_the_zip_comment_is_refused(tmp_path: Path) -> None:
    # Two readers searching for the end record differently would read two directories.
    p = _zip(tmp_path / "two_ends.xlsx", {"xl/workbook.xml": b"<workbook/>"})
    data = p.read_bytes()
    eocd = data.rfind(b"PK\x05\x06")
    fake = data[eocd : eocd + 20] + b"\x00\x00"
    comment = b"x" + fake
    p.write_bytes(data[: eocd + 20] + struct.pack("<H", len(comment)) + comment)
    assert refuse(p) == (
        "two_ends.xlsx cannot be read as a workbook (its zip directory's end record is "
        "ambiguous); it may be corrupt or password-protected: open it in a spreadsheet "
        "program and save a copy"
    )


def test_a_broken_zip_is_one_line(tmp_path: Path) -> None:
    good = io.BytesIO()
    with zipfile.ZipFile(good, "w") as z:
        z.writestr("a.xml", b"x" * 100)
    p = tmp_path / "cut.xlsx"
    p.write_bytes(good.getvalue()[:60])
    assert refuse(p).startswith("cut.xlsx cannot be read as a workbook (")


def test_an_xls_sheet_placed_past_the_end_is_refused_before_calamine_panics(
    tmp_path: Path,
) -> None:
    raw = bytearray((REPO / "tests" / "data" / "messy" / "sheets.xls").read_bytes())
    at = raw.find(b"\x85\x00")  # the first BOUNDSHEET record: its first field is the position
    while struct.unpack_from("<H", raw, at + 2)[0] not in range(8, 300):
        at = raw.find(b"\x85\x00", at + 1)
    struct.pack_into("<I", raw, at + 4, 0x7FFF_FFFF)
    p = tmp_path / "far.xls"
    p.write_bytes(bytes(raw))
    assert refuse(p) == (
        "far.xls cannot be read as a workbook (a sheet starts at 2,147,483,647, past the end "
        "of the workbook); it may be corrupt: open it in a spreadsheet program and save a copy"
    )


# -- text: every row is padded to the widest -------------------------------------------------


def test_one_wide_row_does_not_widen_every_row_past_the_cell_budget(tmp_path: Path) -> None:
    # 1,600 rows x 16,000 columns = 25.6 million cells once padded: refused before padding.
    p = tmp_path / "wide_row.csv"
    rows = ["Email"] + [f"user{i}@example.com" for i in range(1_600)] + [",".join("x" * 16_000)]
    p.write_text("\n".join(rows) + "\n")
    assert refuse(p) == (
        "wide_row.csv spans 1,602 rows x 16,000 columns (25,632,000 cells), more than the "
        "25,000,000 cells this tool reads in one sheet; a stray cell far below or to the "
        "right often causes this: delete the rows and columns after the data"
    )


def test_a_text_file_over_a_gigabyte_is_refused_before_it_is_read(tmp_path: Path) -> None:
    p = tmp_path / "huge.csv"
    with p.open("wb") as f:  # sparse: no disk is used
        f.write(b"Email\na@example.com\n")
        f.truncate((1 << 30) + 1)
    start = time.monotonic()
    assert refuse(p) == (
        "huge.csv is 1,073,741,825 bytes, more than the 1,024 MiB this tool reads from a text "
        "file; split it into smaller files"
    )
    assert time.monotonic() - start < 1
