"""Build the messy-input corpus in tests/data/messy/, deterministically.

Run: python tests/data/make_messy.py [--office]

Every file is small and holds one kind of mess real exports have. With
``--office`` (LibreOffice on PATH) the .xls and .ods files are rebuilt by real
office software from the .xlsx files; their bytes then change (office
programs stamp the time), so they are kept in git and rebuilt only on purpose.
Reserved values only: example.com/.org/.net and fiction-range telephones.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import openpyxl

OUT = Path(__file__).resolve().parent / "messy"
NOW = (2024, 1, 1, 0, 0, 0)


def _freeze_zip(path: Path) -> None:
    """Rewrite a zip with fixed timestamps so a rebuild gives the same bytes."""
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    # openpyxl stamps the save time into docProps/core.xml whatever we set
    items = [
        (n, re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", d))
        for n, d in items
    ]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            z.writestr(zipfile.ZipInfo(name, date_time=NOW), data, zipfile.ZIP_DEFLATED)


def _save(wb: openpyxl.Workbook, name: str) -> None:
    import datetime as dt

    wb.properties.created = wb.properties.modified = dt.datetime(2024, 1, 1)
    wb.save(OUT / name)
    _freeze_zip(OUT / name)


def text_files() -> None:
    """Delimited text in the encodings and dialects Excel and others write."""
    (OUT / "utf8_bom.csv").write_bytes(
        "E-mail,Name\r\nzoë@example.com,Zoë Brandt\r\nana.lópez@example.org,Ana López\r\n".encode(
            "utf-8-sig"
        )
    )
    (OUT / "utf16_tab.txt").write_bytes(
        "Name\tEmail\tPhone\r\nJürgen Groß\tjürgen@example.com\t+44 7700 900201\r\n"
        "Søren Ødegård\t\t+1 202 555 0171\r\n".encode("utf-16")
    )
    (OUT / "cp1252_semicolon.csv").write_bytes(
        "Name;Mail;Telephone\r\nJosé Núñez;jose@example.net;447700900123\r\n"
        "Zoë Ärger;zoe@example.net;4,4770E+11\r\nFrançois Œuvre;;+44 7700 900202\r\n".encode(
            "cp1252"
        )
    )
    (OUT / "pipe.txt").write_text(
        "Request|Email address|SMS number\nR1|pipe@example.com|+61 491 570 156\nR2|||\n",
        encoding="utf-8",
    )
    (OUT / "title_rows.csv").write_text(
        "GDPR erasure requests – March 2024,,\n,,\nExported by the DPO desk,,\n"
        "Name,Email,Phone\nAnn,ann@example.com,\n,,\nBob,,+1 202 555 0100\n,,\n,,\n"
        "Cleo,cleo@example.org,\n",
        encoding="utf-8",
    )
    (OUT / "wrapped.csv").write_text(
        "Email,Phone\n"
        "mailto:ann@example.com?subject=Delete%20me,\n"
        '"""Lee, Bob"" <bob@example.com>",\n'
        "Cleo Moss <cleo@example.org>,\n"
        '"a@example.com; b@example.com,c@example.net",\n'
        "\u00a0\u200bdev@example.net\u2060 ,\u00a0+44 7700 900301\u200b\n"
        ',"+44 7700 900302\n+44 7700 900303"\n'
        "not an email,tel:+12025550199\n",
        encoding="utf-8",
    )
    (OUT / "excel_phones.csv").write_text(
        "Name,Phone\nA,447700900123.0\nB,4.4770E+11\nC,7700900124\nD,447700900.5\nE,07700 900125\n",
        encoding="utf-8",
    )
    (OUT / "empty.csv").write_bytes(b"")
    (OUT / "header_only.csv").write_text("Email,Name\n\n\n", encoding="utf-8")
    (OUT / "report.csv").write_text(
        "source_row,key_type,key,status,http_status,message,attempts,finished_at,run_id,Email\n"
        "2,email,ann@example.com,success,200,Record updated successfully,1,"
        "2024-03-01T10:00:00Z,r-1,ann@example.com\n",
        encoding="utf-8",
    )
    (OUT / "csv_named.xlsx").write_text("Email,Name\nann@example.com,Ann\n", encoding="utf-8")


def bad_workbooks() -> None:
    """Files with a workbook extension that are not readable workbooks."""
    rnd = random.Random(7)
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    (OUT / "encrypted.xlsx").write_bytes(ole2 + rnd.randbytes(4088))
    (OUT / "garbage.xlsx").write_bytes(rnd.randbytes(2048))
    with zipfile.ZipFile(OUT / "corrupt.xlsx", "w") as z:
        z.writestr(zipfile.ZipInfo("readme.txt", date_time=NOW), "not a workbook")


def workbooks() -> None:
    """Workbooks with real numeric cells, title rows, hidden rows, several sheets."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Requests"
    ws["A1"] = "Erasure requests, March 2024"
    ws.merge_cells("A1:D1")
    ws.append([])
    ws.append(["Name", "Email", "Phone", "Region"])  # row 3
    ws.append(["Ann", "ann@example.com", 447700900123, "Central"])  # 4: a number cell
    ws.append(["Bob", None, 447700900.5, None])  # 5: a float with a fraction
    ws.append([])  # 6: blank
    ws.append(["Cleo", "cleo@example.org", 7700900124, None])  # 7: lost its 0
    ws.append(["Dev", "Dev <dev@example.net>", "+1 202 555 0142", "North"])  # 8: hidden row
    ws.row_dimensions[8].hidden = True
    ws.append(["Eva", None, None, "South"])  # 9: no key
    ws.column_dimensions["D"].hidden = True
    ws.merge_cells("D4:D5")
    _save(wb, "title_rows.xlsx")

    wb = openpyxl.Workbook()
    jan = wb.active
    jan.title = "January"
    jan.append(["Email", "Name"])
    jan.append(["ann@example.com", "Ann"])
    jan.append(["bob@example.com", "Bob"])
    wb.create_sheet("Empty")
    feb = wb.create_sheet("February")
    feb.append(["Name", "email", "Mobile"])
    feb.append(["Ann", "ANN@example.com", None])
    feb.append(["Finn", None, "+44 7700 900401"])
    _save(wb, "sheets.xlsx")

    wb = openpyxl.Workbook()
    wb.active.title = "Requests"
    wb.active.append(["Email"])
    wb.active.append(["ann@example.com"])
    notes = wb.create_sheet("Notes")
    notes.append(["Remember to check the archive too"])
    _save(wb, "notes_sheet.xlsx")

    wb = openpyxl.Workbook()
    wb.active.title = "Summary"
    wb.active.append(["run_id", "r-1"])
    rows = wb.create_sheet("Rows")
    rows.append(["source_row", "key_type", "key", "status", "attempts", "run_id", "Email"])
    rows.append([2, "email", "ann@example.com", "failed", 3, "r-1", "ann@example.com"])
    _save(wb, "report.xlsx")


def office_files() -> None:
    """.xls and .ods written by LibreOffice from the .xlsx files."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        sys.exit("--office needs LibreOffice (soffice) on PATH")
    for src, fmt, dest in [
        ("sheets.xlsx", "xls", "sheets.xls"),
        ("sheets.xlsx", "ods", "sheets.ods"),
        ("title_rows.xlsx", "xls", "title_rows.xls"),
    ]:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [office, "--headless", "--convert-to", fmt, "--outdir", tmp, str(OUT / src)],
                check=True,
                capture_output=True,
            )
            shutil.move(str(Path(tmp) / (Path(src).stem + "." + fmt)), OUT / dest)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    text_files()
    bad_workbooks()
    workbooks()
    if "--office" in sys.argv[1:]:
        office_files()
    print(f"wrote the messy corpus to {OUT}")


if __name__ == "__main__":
    main()
