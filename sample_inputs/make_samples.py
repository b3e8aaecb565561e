"""Build sample_inputs/requests.xlsx and requests.csv (same rows), deterministically.

Run: python sample_inputs/make_samples.py

Reserved values only: addresses at example.com/.org/.net, telephones from
ranges kept for fiction (UK +44 7700 900xxx, US +1 202 555 01xx, AU 0491 570 xxx).
On purpose the sample holds: duplicates that differ only in case or spaces, one
malformed email, one row with neither key, rows with both keys.

Dates received are counted back from a fixed reference day, REFERENCE (1 December
2026), so the file never changes: from 92 days before it to 2 days before, a mix
of requests older than their month and recent ones. One row's date is typed as
``05/11/2026`` (5 November or 11 May: the report says ``ambiguous_date`` until
the run says ``--day-first`` or ``--month-first``), and one old request has
``Extended`` set (three months instead of one). Every eleventh request is
``Access``, not erasure, by its ``Request type``; ``Identity verified`` says
``Yes`` or the day it was checked, but ``Pending`` for one erasure request, and
one erasure request has a ``Hold`` (a legal hold). Tests count deadlines against
REFERENCE; a real run counts them against the day it runs.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
HEADER = [
    "Request ID",
    "Date received",
    "Extended",
    "Name",
    "Email",
    "Phone",
    "Request type",
    "Identity verified",
    "Hold",
]
FIXED = dt.datetime(2024, 1, 1)
#: The day the sample's dates received are counted back from (see the docstring).
REFERENCE = dt.date(2026, 12, 1)
TYPED_ROW, EXTENDED_ROW = 33, 3  # the row with a typed (ambiguous) date, the extended one
# the request whose identity check is still pending, and the one under a legal hold
PENDING_ROW, HELD_ROW = 5, 7
HOLD_REASON = "Legal hold: pending litigation, Art. 17(3)(e)"

FIRST = ["Ann", "Bob", "Cleo", "Dev", "Eva", "Finn", "Gina", "Hugo", "Isla", "Jon", "Kai", "Lena"]
LAST = ["Lee", "Park", "Novak", "Shah", "Berg", "Quinn", "Rossi", "Ito", "Moss", "Falk"]
DOMAINS = ["example.com", "example.org", "example.net"]
AU = ["+61 491 570 156", "+61 491 570 157", "+61 491 570 158", "+61 491 570 159", "+61 491 570 110"]


def rows() -> list[list[object]]:
    """The sample rows: mostly valid, a few problems a real export has."""
    out: list[list[object]] = []
    au = iter(AU)
    for i in range(46):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        name = f"{first} {last}"
        email = f"{first.lower()}.{last.lower()}{i}@{DOMAINS[i % 3]}"
        phone = ""
        if i % 4 == 1:
            phone = f"+44 7700 900{100 + i:03d}"
        elif i % 4 == 2:
            phone = f"+1 202 555 {100 + i:04d}"
        elif i % 9 == 3:
            phone = next(au)
        if i % 5 == 4:
            email = ""  # telephone only
            phone = phone or f"+44 7700 900{300 + i:03d}"
        kind = "Access" if i % 11 == 10 else "Erasure"
        received: object = REFERENCE - dt.timedelta(days=92 - 2 * i)
        if i == TYPED_ROW:
            received = f"{received:%d/%m/%Y}"  # typed by a person: day and month can swap
        extended = "yes" if i == EXTENDED_ROW else ""
        verified: object = "Yes"
        if i == PENDING_ROW:
            verified = "Pending"
        elif i % 6 == 0:
            verified = REFERENCE - dt.timedelta(days=90 - 2 * i)  # the day it was checked
        hold = HOLD_REASON if i == HELD_ROW else ""
        out.append(
            [f"REQ-{1001 + i}", received, extended, name, email, phone, kind, verified, hold]
        )
    first_email = str(out[0][4])
    first_phone = next(str(r[5]) for r in out if str(r[5]).startswith("+44"))
    extra: list[list[object]] = [
        # the same person writing again, address in other case and with spaces
        [
            "REQ-1047",
            REFERENCE - dt.timedelta(days=6),
            "",
            "Ann Lee",
            "  " + first_email.upper() + " ",
            "",
            "Erasure",
            "Yes",
            "",
        ],
        # the same telephone written without spaces: a duplicate after normalisation
        [
            "REQ-1048",
            REFERENCE - dt.timedelta(days=5),
            "",
            "Bob Park",
            "",
            first_phone.replace(" ", ""),
            "Erasure",
            "Yes",
            "",
        ],
        # an old request with a malformed email: invalid, and overdue (still owed an answer)
        [
            "REQ-1049",
            REFERENCE - dt.timedelta(days=42),
            "",
            "Maria Garcia",
            "maria.garcia@example",
            "",
            "Erasure",
            "Yes",
            "",
        ],
        [
            "REQ-1050",
            REFERENCE - dt.timedelta(days=4),
            "",
            "Unknown caller",
            "",
            "",
            "Erasure",
            "Yes",
            "",
        ],
    ]
    return out + extra


def _freeze_zip(path: Path) -> None:
    """Rewrite the workbook with fixed timestamps so a rebuild gives the same bytes."""
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    # openpyxl stamps the save time into docProps/core.xml whatever we set
    items = [
        (n, re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", d))
        for n, d in items
    ]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            z.writestr(
                zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED
            )


def write_xlsx(path: Path, data: list[list[object]]) -> None:
    """Text cells for keys (as a careful exporter writes them), real date cells."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Requests"
    ws.append(HEADER)
    for r in data:
        ws.append(r)
        ws.cell(ws.max_row, 2).number_format = "yyyy-mm-dd"
        ws.cell(ws.max_row, 8).number_format = "yyyy-mm-dd"
    widths = (12, 14, 10, 18, 34, 20, 13, 16, 44)
    for col, width in zip("ABCDEFGHI", widths, strict=True):
        ws.column_dimensions[col].width = width
    wb.properties.created = wb.properties.modified = FIXED
    wb.save(path)
    _freeze_zip(path)


def write_csv(path: Path, data: list[list[object]]) -> None:
    """UTF-8 with BOM, as Excel's "CSV UTF-8" writes it; dates as ISO text."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for r in data:
            w.writerow([v.isoformat() if isinstance(v, dt.date) else v for v in r])


def main() -> None:
    data = rows()
    write_xlsx(HERE / "requests.xlsx", data)
    write_csv(HERE / "requests.csv", data)
    print(f"wrote {len(data)} rows to {HERE / 'requests.xlsx'} and requests.csv")


if __name__ == "__main__":
    main()
