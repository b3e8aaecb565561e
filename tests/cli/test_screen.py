"""``screen``, ``history`` and ``ledger``: after a real run against the sandbox, real files."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import fast_args, start_sandbox, write_csv
from xlsxmake import excel_like

ERASED = "Jane.Doe@example.com"  # success
PHONE = "+44 7700 900123"  # success
ABSENT = "nobody@example.org"  # not_found: CustomerGauge held nothing, the person asked
REFUSED = "refused@example.net"  # failed: the vendor refused it, so not erased


@pytest.fixture
def erased(cli, tmp_path: Path) -> None:
    """A run that settled ERASED, PHONE and ABSENT, and failed REFUSED."""
    src = write_csv(tmp_path / "requests.csv", ["Email", "Phone"], [
        [ERASED, PHONE], [ABSENT, ""], [REFUSED, ""],
    ])  # fmt: skip
    with start_sandbox(f'{{"script": {{"{REFUSED}": [400]}}}}') as thread:
        thread.sandbox.seed([ERASED, REFUSED], [PHONE])
        res = cli(
            "run", src, *fast_args(thread.url), "--ledger", os.environ["BATCH_ANONYMIZER_LEDGER"]
        )
    assert res.code == 1, res.out + res.err  # the refused key
    assert "(4 entries recorded)" in res.out


UPLOAD = [
    ["Name", "Email", "Mobile"],
    ["Zoë Keep", "keep.one@example.com", ""],
    ["Jane", "JANE.DOE@EXAMPLE.COM", ""],  # another case
    ["Phone only", "", "0044 7700 900123"],  # another written form
    ["Nobody", "nobody@example.org", ""],
    ["Refused", "refused@example.net", ""],
    ["Both", "keep.two@example.com", "+44 (0)7700 900123"],
    ["National", "", "07700 900123"],
    ["Keep", "keep.three@example.com", "+44 7700 900999"],
]
# rows as a spreadsheet numbers them (header = 1) that hold an erased person
REMOVED_ROWS = {3, 4, 5, 7, 8}


def test_screen_csv_removes_exactly_the_erased_and_keeps_the_format(
    cli, erased, tmp_path: Path
) -> None:
    upload = tmp_path / "upload.csv"
    text = "\r\n".join(";".join(r) for r in UPLOAD) + "\r\n"
    upload.write_bytes(text.encode("cp1252"))
    check = cli("screen", upload, "--check", "--default-region", "GB")
    assert check.code == 1
    assert not (tmp_path / "upload-screened.csv").exists()
    assert ERASED.lower() not in check.out.lower()
    assert "j***@example.com" in check.out.lower()
    res = cli("screen", upload, "--default-region", "GB")
    assert res.code == 0, res.err
    data = (tmp_path / "upload-screened.csv").read_bytes()
    assert data.decode("cp1252").startswith("Name;Email;Mobile\r\n")  # encoding, delimiter
    kept = list(csv.reader(io.StringIO(data.decode("cp1252"), newline=""), delimiter=";"))
    expected = [r for n, r in enumerate(UPLOAD, 1) if n not in REMOVED_ROWS]
    assert kept == expected
    removed = (tmp_path / "upload-removed.csv").read_text(encoding="utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(removed)))
    assert {int(r["source_row"]) for r in lines} == REMOVED_ROWS
    assert {r["outcome"] for r in lines} == {"success", "not_found"}
    for secret_text in ("jane.doe", "900123", "nobody@"):
        assert secret_text not in removed.lower()


@pytest.mark.parametrize("check", [True, False])
def test_screen_refuses_national_telephones_without_a_region(
    cli, erased, tmp_path: Path, check: bool
) -> None:
    """Row 8's 07700 900123 is the erased PHONE: without its country it cannot be compared,
    and "kept" would upload an erased person (issue 22, item 8)."""
    upload = write_csv(tmp_path / "upload.csv", UPLOAD[0], UPLOAD[1:])
    res = cli("screen", upload.name, *(["--check"] if check else []))
    assert res.code == 2, res.out + res.err
    assert res.out == ""
    command = "batch-anonymizer screen upload.csv" + (" --check" if check else "")
    assert res.err == (
        "error: 1 telephone(s) are national numbers (rows 8): their country is unknown, so they "
        "cannot be compared with the ledger and an erased person could stay in the list; "
        f"nothing was written. Give their country: {command} --default-region CC "
        "(CC: for example GB)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("upload")) == [
        "upload.csv"
    ]


def test_screen_xlsx_removes_the_rows_and_keeps_the_other_sheets(
    cli, erased, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Contacts"
    for r in UPLOAD:
        ws.append(r)
    notes = book.create_sheet("Notes")
    notes["A1"] = "exported from the CRM"
    upload = tmp_path / "upload.xlsx"
    book.save(upload)
    res = cli("screen", upload, "--default-region", "GB")
    assert res.code == 0, res.err
    out = openpyxl.load_workbook(tmp_path / "upload-screened.xlsx")
    assert out.sheetnames == ["Contacts", "Notes"]
    assert out["Notes"]["A1"].value == "exported from the CRM"
    rows = [
        [c if c is not None else "" for c in r] for r in out["Contacts"].iter_rows(values_only=True)
    ]
    assert rows == [r for n, r in enumerate(UPLOAD, 1) if n not in REMOVED_ROWS]


def test_screen_check_exits_0_when_nobody_would_be_removed(cli, erased, tmp_path: Path) -> None:
    clean = write_csv(tmp_path / "clean.csv", ["Email"], [["new@example.com"], [REFUSED]])
    res = cli("screen", clean, "--check")
    assert res.code == 0, res.err
    assert not (tmp_path / "clean-screened.csv").exists()


def test_screen_compares_every_row_whatever_its_type_identity_or_hold(
    cli, erased, tmp_path: Path
) -> None:
    """A list to upload is not a list of requests: a "Type", "ID verified" or "Hold" column
    neither stops screen nor hides an erased person from it."""
    upload = write_csv(tmp_path / "upload.csv", ["Email", "Type", "ID verified", "Hold"], [
        ["keep.one@example.com", "B2B", "", ""],
        [ERASED, "B2C", "No", "yes"],
    ])  # fmt: skip
    res = cli("screen", upload, "--check")
    assert res.code == 1, res.err  # the erased person would be removed
    assert "j***@example.com" in res.out.lower()


def test_history_finds_a_key_in_any_written_form_newest_first(cli, erased, tmp_path: Path) -> None:
    found = cli("history", "jane.doe@EXAMPLE.com")
    assert found.code == 0
    assert "success" in found.out and "J***@example.com" in found.out
    assert "jane.doe" not in found.out.lower()
    assert cli("history", "447700900123").code == 0
    assert cli("history", "07700 900123", "--default-region", "GB").code == 0
    refused = cli("history", REFUSED)
    assert refused.code == 0 and "failed" in refused.out
    missing = cli("history", "stranger@example.com")
    assert missing.code == 1 and "not found" in missing.out


def test_history_of_a_national_number_asks_for_its_country(cli, erased, tmp_path: Path) -> None:
    """Without --default-region, "holds no entry" for an erased person would be false."""
    res = cli("history", "07700 900123")
    assert res.code == 2
    assert res.out == ""
    assert res.err == (
        "error: that telephone is a national number: its country is unknown, so the ledger "
        "cannot be searched for it; add --default-region CC (for example GB)\n"
    )


def test_ledger_export_names_nobody_and_stats_count_per_month(cli, erased, tmp_path: Path) -> None:
    res = cli("ledger", "export", "--out", tmp_path / "export.csv")
    assert res.code == 0
    text = (tmp_path / "export.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 4 and all(len(r["key_hmac"]) == 64 for r in rows)
    assert "@" not in text and "900123" not in text
    stats = cli("ledger", "stats")
    assert stats.code == 0
    assert stats.out.splitlines()[-1].split() == ["all", "2", "1", "1", "4"]


def test_screen_refuses_another_secret_and_a_missing_ledger(cli, erased, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.write_text("some-other-secret-long-enough\n")
    clean = write_csv(tmp_path / "clean.csv", ["Email"], [["new@example.com"]])
    res = cli("screen", clean, "--check", "--hmac-secret-file", other)
    assert res.code == 2 and "another secret" in res.err
    missing = cli("screen", clean, "--check", "--ledger", tmp_path / "none.sqlite3")
    assert missing.code == 2 and "there is no ledger" in missing.err
    assert os.environ["BATCH_ANONYMIZER_LEDGER"]


# -- workbooks: every sheet screened, written back intact or refused (issue 23, items 3-4) --


def LEDGER() -> str:  # read when the test runs: each test has its own ledger
    return os.environ["BATCH_ANONYMIZER_LEDGER"]


KEEP = ["Keep", "keep.one@example.com", "+44 7700 900999"]
GONE = ["Jane", ERASED, ""]


def _months(path: Path, **extra: list[list[str]]) -> Path:
    """months.xlsx: ``Jan`` holds a kept person, ``Feb`` an erased one between two kept;
    ``extra`` adds sheets (a hidden ``Old`` when named so)."""
    book = openpyxl.Workbook()
    jan = book.active
    jan.title = "Jan"
    for r in (["Name", "Email", "Phone"], KEEP):
        jan.append(r)
    feb = book.create_sheet("Feb")
    for r in (["Name", "Email", "Phone"], ["Ann", "ann@example.org", ""], GONE, KEEP):
        feb.append(r)
    for name, rows in extra.items():
        ws = book.create_sheet(name)
        for r in rows:
            ws.append(r)
        if name == "Old":
            ws.sheet_state = "hidden"
    book.save(path)
    return path


def _values(path: Path) -> dict[str, list[list[str]]]:
    book = openpyxl.load_workbook(path)
    return {
        ws.title: [[c if c is not None else "" for c in r] for r in ws.iter_rows(values_only=True)]
        for ws in book.worksheets
    }


def test_screen_of_a_workbook_screens_every_sheet(cli, erased, tmp_path: Path) -> None:
    """The issue's months.xlsx: the erased person on Feb (and on a hidden sheet) is found."""
    notes = [["Remark"], ["exported from the CRM"]]
    _months(tmp_path / "months.xlsx", Notes=notes, Old=[["Email"], [ABSENT]])
    check = cli("screen", "months.xlsx", "--check")
    assert check.code == 1, check.out + check.err
    assert check.out.splitlines()[:3] == [
        'Sheets screened: "Jan", "Feb", "Old"',
        'Sheets not screened: "Notes" (no email or telephone column)',
        f"months.xlsx: 5 row(s); 2 hold a key that the ledger {LEDGER()} holds as erased",
    ]
    res = cli("screen", "months.xlsx")
    assert res.code == 0, res.err
    assert _values(tmp_path / "months-screened.xlsx") == {
        "Jan": [["Name", "Email", "Phone"], KEEP],
        "Feb": [["Name", "Email", "Phone"], ["Ann", "ann@example.org", ""], KEEP],
        "Notes": notes,
        "Old": [["Email"]],
    }
    removed = (tmp_path / "months-removed.csv").read_text(encoding="utf-8-sig")
    assert [(r["source_sheet"], r["source_row"]) for r in csv.DictReader(io.StringIO(removed))] == [
        ("Feb", "3"),
        ("Old", "2"),
    ]
    again = cli("screen", "months-screened.xlsx", "--check")  # the copy reads back clean
    assert again.code == 0, again.out + again.err
    assert "5 row(s)" not in again.out and "3 row(s); 0 hold" in again.out


def test_the_screened_workbook_keeps_no_trace_of_the_erased(cli, erased, tmp_path: Path) -> None:
    """Shared strings only removed rows used are emptied (each keeps its index), a string a
    kept row also uses stays, and the rows below move up with their cells."""
    other = ["Jane", "jane.other@example.org", ""]  # another Jane: her name stays
    header = ["Name", "Email", "Phone"]
    feb = [header, ["Ann", "ann@example.org", ""], GONE, KEEP]
    excel_like(tmp_path / "months.xlsx", {"Jan": [header, other], "Feb": feb})
    res = cli("screen", "months.xlsx")
    assert res.code == 0, res.err
    with zipfile.ZipFile(tmp_path / "months-screened.xlsx") as z:
        text = b"".join(z.read(n) for n in z.namelist()).decode()
        shared = z.read("xl/sharedStrings.xml").decode()
        sheet = z.read("xl/worksheets/sheet2.xml").decode()
    assert ERASED not in text
    assert shared.count("<si>") == 11 and "<si><t>Jane</t></si>" in shared
    assert shared.count("<si><t></t></si>") == 1  # the erased email, and only it
    assert '<row r="3" spans="1:3" x14ac:dyDescent="0.25"><c r="A3" t="s">' in sheet
    assert 'r="4"' not in sheet and '<dimension ref="A1:C3"/>' in sheet
    assert _values(tmp_path / "months-screened.xlsx") == {
        "Jan": [header, other],
        "Feb": [header, ["Ann", "ann@example.org", ""], KEEP],
    }


def _formula(ws) -> None:
    ws["D2"] = "=LOWER(B2)"


def _hyperlink(ws) -> None:
    ws["A2"].hyperlink = "https://www.example.com/"


def _merged(ws) -> None:
    ws.merge_cells("A3:A4")


def _validation(ws) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(type="list", formula1='"a,b"')
    dv.add("C2:C4")
    ws.add_data_validation(dv)


def _conditional(ws) -> None:
    from openpyxl.formatting.rule import CellIsRule

    ws.conditional_formatting.add("A2:A4", CellIsRule(operator="equal", formula=['"Jane"']))


def _defined_name(ws) -> None:
    from openpyxl.workbook.defined_name import DefinedName

    ws.parent.defined_names["people"] = DefinedName("people", attr_text="Feb!$A$2:$C$4")


def _table(ws) -> None:
    from openpyxl.worksheet.table import Table

    ws.add_table(Table(displayName="People", ref="A1:C4"))


def _comment(ws) -> None:
    from openpyxl.comments import Comment

    ws["A4"].comment = Comment("call first", "team")


@pytest.mark.parametrize(
    ("add", "named"),
    [
        (_formula, 'formulas (sheet "Feb")'),
        (_hyperlink, "links from a sheet (hyperlinks, pictures or comments)"),
        (_merged, 'merged cells (sheet "Feb")'),
        (_validation, 'data validations (sheet "Feb")'),
        (_conditional, 'conditional formats (sheet "Feb")'),
        (_defined_name, "defined names (named ranges, print areas or filters)"),
        (_table, "tables"),
        (_comment, "comments"),
    ],
)
def test_a_workbook_that_removing_rows_would_break_is_refused(
    cli, erased, tmp_path: Path, add, named: str
) -> None:
    path = _months(tmp_path / "months.xlsx")
    book = openpyxl.load_workbook(path)
    add(book["Feb"])
    book.save(path)
    res = cli("screen", "months.xlsx")
    assert res.code == 2, res.out + res.err
    assert res.err == (
        f"error: months.xlsx: rows cannot be removed safely from this workbook: it has {named}, "
        "which would then point at other rows; nothing was written. Save the sheet as CSV "
        "(File > Save As > CSV UTF-8) and screen the CSV, or remove those and screen the "
        "workbook again (screen --check lists the rows without writing)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("months")) == [
        "months.xlsx"
    ]


def test_a_workbook_with_nobody_to_remove_is_copied_as_it_is(cli, erased, tmp_path: Path) -> None:
    path = tmp_path / "clean.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Email", "Lower"])
    book.active.append(["new@example.com", "=LOWER(A2)"])
    book.save(path)
    assert cli("screen", "clean.xlsx").code == 0
    assert (tmp_path / "clean-screened.xlsx").read_bytes() == path.read_bytes()


def test_screen_of_one_sheet_of_a_workbook_is_refused_when_writing(
    cli, erased, tmp_path: Path
) -> None:
    _months(tmp_path / "months.xlsx")
    res = cli("screen", "months.xlsx", "--sheet", "Feb")
    assert res.code == 2
    assert "drop --sheet" in res.err
    assert cli("screen", "months.xlsx", "--sheet", "Feb", "--check").code == 1


def ledger_files() -> dict[str, bytes]:
    folder = Path(os.environ["BATCH_ANONYMIZER_LEDGER"]).parent
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_read_only_commands_work_on_read_only_storage_and_write_nothing(
    cli, erased, tmp_path: Path
) -> None:
    ledger = Path(os.environ["BATCH_ANONYMIZER_LEDGER"])
    before = ledger_files()
    assert list(before) == [ledger.name]
    ledger.chmod(0o444)
    ledger.parent.chmod(0o555)  # as root the bits do not stop a write: the test sees any file
    try:
        upload = write_csv(tmp_path / "up.csv", ["Email"], [[ERASED], ["keep@example.com"]])
        assert cli("history", ERASED).code == 0
        assert cli("screen", upload, "--check").code == 1
        assert cli("ledger", "stats").code == 0
        assert cli("ledger", "export").out.count("\n") == 5
        assert ledger_files() == before  # no -wal, no -shm, the same bytes
    finally:
        ledger.parent.chmod(0o700)


def test_ledger_export_refuses_an_existing_file_and_the_ledger_itself(
    cli, erased, tmp_path: Path
) -> None:
    ledger = Path(os.environ["BATCH_ANONYMIZER_LEDGER"])
    out = tmp_path / "export.csv"
    out.write_text("keep me\n")
    res = cli("ledger", "export", "--out", out)
    assert res.code == 2 and "exists" in res.err and "--force" in res.err
    assert out.read_text() == "keep me\n"
    assert cli("ledger", "export", "--out", out, "--force").code == 0
    assert out.read_text(encoding="utf-8-sig").startswith("key_hmac,")
    link = tmp_path / "link.sqlite3"
    link.symlink_to(ledger)
    before = ledger_files()
    for target in (ledger, link, tmp_path / ".." / tmp_path.name / "link.sqlite3"):
        res = cli("ledger", "export", "--out", target, "--force")
        assert res.code == 2 and "the ledger's own file" in res.err, res.err
    assert ledger_files() == before


@pytest.mark.parametrize("kind", ["empty", "foreign"])
def test_a_file_that_is_not_a_ledger_is_refused_by_every_command(
    cli, tmp_path: Path, kind: str
) -> None:
    other = tmp_path / "other.sqlite3"
    if kind == "empty":
        other.touch()
    else:
        import sqlite3

        with sqlite3.connect(other) as db:
            db.execute("CREATE TABLE contacts (email TEXT)")
    before = other.read_bytes()
    src = write_csv(tmp_path / "in.csv", ["Email"], [[ERASED]])
    commands = [
        ("history", ERASED),
        ("screen", src, "--check"),
        ("ledger", "stats"),
        ("run", src, "--sandbox", "--dry-run", "--no-progress"),
        ("run", src, "--sandbox", "--yes", "--no-progress"),
    ]
    for words in commands:
        res = cli(*words, "--ledger", other)
        assert res.code == 2, (words, res.out, res.err)
        assert "not an erasure ledger" in res.err or "an empty file" in res.err, res.err
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "other.sqlite3"]


@pytest.mark.parametrize(
    "written", [f"mailto:{ERASED}?subject=erase", f'"Jane Doe" <{ERASED}>', f"Jane <{ERASED}>"]
)
def test_history_reads_an_address_as_a_run_reads_it_from_a_cell(cli, erased, written: str) -> None:
    res = cli("history", written)
    assert res.code == 0, res.out + res.err
    assert res.out.startswith("1 entry, newest first:")


@pytest.mark.parametrize("text", ["abc", "ann@", "12", "ann@example.com; bob@example.com"])
def test_history_refuses_what_is_neither_an_email_nor_a_telephone(cli, erased, text) -> None:
    res = cli("history", text)
    assert res.code == 2 and res.out == ""
    assert res.err.startswith("error: that is neither an email address nor a telephone number")
    assert res.err.count("\n") == 1


def test_a_secret_file_without_bound_or_readable_by_others(cli, erased, tmp_path: Path) -> None:
    huge = tmp_path / "huge"
    huge.write_bytes(b"x" * (65 * 1024))
    for source in (huge, Path("/dev/zero")):
        res = cli("history", ERASED, "--hmac-secret-file", source)
        assert res.code == 2 and res.err.count("\n") == 1, res.err
        assert "holds more than 64 KiB: it is not a secret file" in res.err
    secret = Path(os.environ["BATCH_ANONYMIZER_CONFIG_DIR"]) / "hmac-secret"
    assert cli("history", ERASED).err == ""  # 0600 as created: no warning
    secret.chmod(0o644)
    res = cli("history", ERASED)
    assert res.code == 0
    assert res.err == (
        f"warning: the ledger secret file {secret} can be read by others (mode 0644): whoever "
        f"reads it can tell whom the ledger names; make it yours alone with `chmod 600 {secret}`\n"
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a read-only tmpfs needs root")
def test_read_only_commands_work_on_a_read_only_file_system(cli, erased, tmp_path: Path) -> None:
    import shutil
    import subprocess

    folder = tmp_path / "ro"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        ledger = folder / "ledger.sqlite3"
        shutil.copy(os.environ["BATCH_ANONYMIZER_LEDGER"], ledger)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        upload = write_csv(tmp_path / "up.csv", ["Email"], [[ERASED]])
        assert cli("history", ERASED, "--ledger", ledger).code == 0
        assert cli("screen", upload, "--check", "--ledger", ledger).code == 1
        assert cli("ledger", "stats", "--ledger", ledger).code == 0
        assert [p.name for p in folder.iterdir()] == ["ledger.sqlite3"]
        # a writing command is refused in one line (nothing listens on port 9: nothing sent)
        res = cli("run", upload, "--base-url", "http://127.0.0.1:9", "--yes", "--ledger", ledger)
        assert res.code == 2 and res.err.count("error:") == 1, res.err
        assert res.err.splitlines()[-1].startswith("error: cannot open the ledger ")
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
