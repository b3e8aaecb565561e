"""Hidden sheets are skipped by default and named; the sheet read is always said (issue 23,
item 5).

Before, ``hidden.xlsx`` (a hidden ``Staff`` sheet first, the visible and active
``Requests`` second) had ``staff@example.com`` anonymized and the request ignored,
and nothing named the sheet read.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import REPO, start_sandbox

from batch_anonymizer.core.errors import InputError
from batch_anonymizer.input.loader import load_table

MESSY = REPO / "tests" / "data" / "messy"
STAFF = "staff@example.com"
REQUEST = "requester@example.org"


def hidden_book(path: Path, *, active: int = 1, state: str = "hidden") -> Path:
    """The issue's hidden.xlsx: ``Staff`` (hidden) first, ``Requests`` (visible) second."""
    book = openpyxl.Workbook()
    staff = book.active
    staff.title = "Staff"
    staff.append(["Email"])
    staff.append([STAFF])
    staff.sheet_state = state
    requests = book.create_sheet("Requests")
    requests.append(["Request ID", "Email"])
    requests.append(["REQ-1", REQUEST])
    notes = book.create_sheet("Notes")
    notes.append(["Email"])
    notes.append(["notes@example.net"])
    book.active = active
    book.save(path)
    return path


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_first_sheet_is_skipped_and_named(tmp_path: Path, state: str) -> None:
    table = load_table(hidden_book(tmp_path / "hidden.xlsx", state=state))
    assert table.sheets == ("Requests",)
    assert [r.cells for r in table.rows] == [("REQ-1", REQUEST)]
    why = "hidden" if state == "hidden" else "very hidden"
    assert table.skipped_sheets == (("Staff", why),)
    assert table.active_sheet == "Requests"


def test_sheet_reads_a_hidden_sheet_on_purpose(tmp_path: Path) -> None:
    table = load_table(hidden_book(tmp_path / "hidden.xlsx"), sheet="Staff")
    assert [r.cells for r in table.rows] == [(STAFF,)]
    assert table.skipped_sheets == ()


def test_all_sheets_leaves_the_hidden_ones_out(tmp_path: Path) -> None:
    table = load_table(hidden_book(tmp_path / "hidden.xlsx"), all_sheets=True)
    assert table.sheets == ("Requests", "Notes")
    assert table.skipped_sheets == (("Staff", "hidden"),)
    every = load_table(tmp_path / "hidden.xlsx", all_sheets=True, hidden_sheets=True)
    assert every.sheets == ("Staff", "Requests", "Notes")


def test_a_workbook_of_hidden_sheets_only_is_refused(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Email"])
    book.create_sheet("Old").sheet_state = "veryHidden"
    book.save(tmp_path / "shown.xlsx")  # openpyxl refuses to hide every sheet: the zip is edited
    with (
        zipfile.ZipFile(tmp_path / "shown.xlsx") as z,
        zipfile.ZipFile(tmp_path / "all_hidden.xlsx", "w") as out,
    ):
        for info in z.infolist():
            data = z.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b'state="visible"', b'state="hidden"')
            out.writestr(info, data)
    with pytest.raises(InputError) as e:
        load_table(tmp_path / "all_hidden.xlsx")
    assert e.value.message == (
        'every sheet of all_hidden.xlsx is hidden ("Sheet" (hidden), "Old" (very hidden)); read '
        "the one that holds the requests with --sheet NAME"
    )


def _hide_first_xls(path: Path) -> Path:
    raw = bytearray((MESSY / "sheets.xls").read_bytes())
    at = raw.find(b"\x85\x00")  # the first BOUNDSHEET record: position (4 bytes), then state
    while struct.unpack_from("<H", raw, at + 2)[0] not in range(8, 300):
        at = raw.find(b"\x85\x00", at + 1)
    raw[at + 8] = 1  # hsState: hidden
    path.write_bytes(bytes(raw))
    return path


def _hide_first_ods(path: Path) -> Path:
    with zipfile.ZipFile(MESSY / "sheets.ods") as z, zipfile.ZipFile(path, "w") as out:
        for info in z.infolist():
            data = z.read(info)
            if info.filename == "content.xml":  # the January table's style: not displayed
                head, sep, rest = data.partition(b'style:name="ta1"')
                data = (
                    head + sep + rest.replace(b'table:display="true"', b'table:display="false"', 1)
                )
            out.writestr(info, data)
    return path


@pytest.mark.parametrize("make", [_hide_first_xls, _hide_first_ods], ids=["xls", "ods"])
def test_hidden_sheets_of_xls_and_ods_are_skipped_too(tmp_path: Path, make) -> None:
    path = make(tmp_path / ("hidden." + ("xls" if make is _hide_first_xls else "ods")))
    table = load_table(path, all_sheets=True)
    assert table.sheets == ("February",)  # January hidden, Empty holds nothing
    assert table.skipped_sheets == (("January", "hidden"),)
    assert table.active_sheet is None  # not read from these formats


def test_validate_names_the_sheet_read_and_the_sheets_skipped(cli, tmp_path: Path) -> None:
    hidden_book(tmp_path / "hidden.xlsx", active=2)  # opens on Notes
    res = cli("validate", "hidden.xlsx")
    lines = res.out.splitlines()
    assert lines[2:5] == [
        'Sheet read: "Requests" of hidden.xlsx',
        'Sheets not read: "Staff" (hidden); --sheet NAME reads one',
        'Note: hidden.xlsx opens on sheet "Notes", which is not read; --sheet "Notes" reads it',
    ]


def test_a_run_of_hidden_xlsx_sends_the_request_not_the_staff(cli, tmp_path: Path) -> None:
    hidden_book(tmp_path / "hidden.xlsx")
    with start_sandbox() as thread:
        thread.sandbox.seed([STAFF, REQUEST], [])
        res = cli("run", "hidden.xlsx", "--base-url", thread.url, "--yes", "--no-progress")
        sent = {e.key for e in thread.sandbox.log if e.method == "POST"}
    assert res.code == 0, res.err
    assert sent == {REQUEST}
    assert 'Sheet read: "Requests" of hidden.xlsx' in res.err.splitlines()
