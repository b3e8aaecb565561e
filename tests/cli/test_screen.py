"""``screen``, ``history`` and ``ledger``: after a real run against the sandbox, real files."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import openpyxl
import pytest
from conftest import start_sandbox, write_csv

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
        res = cli("run", src, "--base-url", thread.url, "--yes", "--no-progress", "--rate", "0")
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
    # without --default-region the national number cannot be compared: kept, and said so
    plain = cli("screen", upload, "--check")
    assert plain.code == 1
    assert "could not be compared" in plain.err and "rows 8" in plain.err


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
