"""Memory and time of ``screen`` on a large workbook: ``--check`` (the loader alone) against
writing the screened copy (the loader, then the streamed rewrite of ``app.bookscreen``).

    python bench/screen_book.py [ROWS]   (default 500,000 rows x 12 columns)

Builds ``bench/work/screen/big.xlsx`` as Excel writes one (text in shared strings, one
distinct email a row), a sandbox ledger that erased 20 of its people (a ``--sandbox`` run),
then runs both commands under ``/usr/bin/time -v`` and prints wall time and peak memory.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import zipfile
from pathlib import Path

WORK = Path(__file__).resolve().parent / "work" / "screen"
COLUMNS = ["Name", "Email", "Phone", "City", "Country", "Segment", "Owner", "Source",
           "Status", "Language", "Region", "Notes"]  # fmt: skip


def _row(i: int) -> list[str]:
    return [f"Person {i}", f"user{i}@example.com", f"+44 7700 900{i % 1000:03d}",
            ["London", "Leeds", "York"][i % 3], "GB", f"S{i % 7}", f"owner{i % 40}",
            "web", "active", "en", f"R{i % 12}", ""]  # fmt: skip


def build(path: Path, rows: int) -> None:
    strings: dict[str, int] = {}
    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ship = "http://schemas.openxmlformats.org/package/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(f'<worksheet {main}><dimension ref="A1:L{rows + 1}"/><sheetData>'.encode())
            for r, values in enumerate([COLUMNS] + [_row(i) for i in range(rows)], 1):
                cells = []
                for c, v in enumerate(values):
                    if v:
                        n = strings.setdefault(v, len(strings))
                        cells.append(f'<c r="{chr(65 + c)}{r}" t="s"><v>{n}</v></c>')
                f.write(f'<row r="{r}" spans="1:12">{"".join(cells)}</row>'.encode())
            f.write(b"</sheetData></worksheet>")
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(f'<sst {main} uniqueCount="{len(strings)}">'.encode())
            for v in strings:
                f.write(f"<si><t>{v}</t></si>".encode())
            f.write(b"</sst>")
        z.writestr("xl/workbook.xml", f'<workbook {main} xmlns:r="{rel}"><sheets><sheet '
                   'name="Contacts" sheetId="1" r:id="rId1"/></sheets></workbook>')  # fmt: skip
        z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{ship}"><Relationship '
                   f'Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
                   f'<Relationship Id="rId2" Type="{rel}/sharedStrings" '
                   'Target="sharedStrings.xml"/></Relationships>')  # fmt: skip
        z.writestr("_rels/.rels", f'<Relationships xmlns="{ship}"><Relationship Id="rId1" '
                   f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
                   "</Relationships>")  # fmt: skip
        z.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="rels" ContentType='
                   '"application/vnd.openxmlformats-package.relationships+xml"/><Default '
                   'Extension="xml" ContentType="application/xml"/><Override PartName='
                   f'"/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/><Override PartName='
                   f'"/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/><Override '
                   f'PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
                   "</Types>")  # fmt: skip


def measure(args: list[str]) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in MB, exit code) of the CLI with ``args``."""
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "batch_anonymizer", *args]
    p = subprocess.run(cmd, cwd=WORK, capture_output=True, text=True, check=False)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)[1])  # type: ignore[index]
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", p.stderr)[1]  # type: ignore[index]
    parts = [float(x) for x in wall.split(":")]
    seconds = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) > 2 else 0)
    return seconds, rss // 1024, p.returncode


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000
    WORK.mkdir(parents=True, exist_ok=True)
    book = WORK / "big.xlsx"
    build(book, rows)
    erased = WORK / "erased.csv"
    with erased.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Email"])
        w.writerows([[f"user{i}@example.com"] for i in range(0, rows, max(1, rows // 20))])
    run = ["run", str(erased), "--sandbox", "--yes", "--no-progress", "--reports-dir", "reports"]
    subprocess.run([sys.executable, "-m", "batch_anonymizer", *run], cwd=WORK, check=False,
                   capture_output=True)  # fmt: skip
    ledger = str(WORK / "reports" / "sandbox-ledger.sqlite3")
    print(f"{book.name}: {rows:,} rows x 12 columns, {book.stat().st_size / 1e6:.1f} MB")
    for label, extra in (("screen --check", ["--check"]), ("screen (writes)", [])):
        s, mb, code = measure(["screen", str(book), "--ledger", ledger, *extra])
        print(f"{label:16} {s:7.1f} s  {mb:6,} MB peak  exit {code}")


if __name__ == "__main__":
    main()
