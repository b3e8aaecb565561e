"""Build the hostile-input corpus in tests/data/hostile/, deterministically.

Run: python tests/data/make_hostile.py

Each file is small and is built to make a careless loader spend gigabytes or
abort: a cell far away, a zip bomb, a part that lies about its size, a sheet
that declares a size no spreadsheet has, repeated rows in an .ods, an .xls
whose records point far away. Every zip entry gets a fixed timestamp, so a
rebuild gives the same bytes. Reserved values only (example.com).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "hostile"
NOW = (2024, 1, 1, 0, 0, 0)

_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Requests" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet(rows: str, dimension: str = "") -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f"{_HEAD}{dim}<sheetData>{rows}</sheetData></worksheet>".encode()


_KEYS = (
    '<row r="1">' + cell("A1", "Email") + "</row>"
    '<row r="2">' + cell("A2", "ann@example.com") + "</row>"
)


def xlsx(name: str, sheet_xml: bytes, *, extra: dict[str, bytes] | None = None) -> Path:
    parts = {
        "[Content_Types].xml": _CT.encode(),
        "_rels/.rels": _RELS.encode(),
        "xl/workbook.xml": _WORKBOOK.encode(),
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS.encode(),
        "xl/worksheets/sheet1.xml": sheet_xml,
        **(extra or {}),
    }
    path = OUT / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for part, data in parts.items():
            z.writestr(zipfile.ZipInfo(part, date_time=NOW), data, zipfile.ZIP_DEFLATED)
    return path


def lie_about_size(path: Path, part: str, declared: int) -> None:
    """Rewrite the central directory so ``part`` claims ``declared`` bytes (and a CRC to match)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(part)
        truth = z.read(part)
    crc = zlib.crc32(truth[:declared])
    name = part.encode()
    # central directory entry: signature, then the fixed fields; CRC at +16, sizes at +20/+24
    at = data.find(b"PK\x01\x02")
    while data[at + 46 : at + 46 + len(name)] != name:
        at = data.find(b"PK\x01\x02", at + 4)
        assert at != -1, part
    struct.pack_into("<II", data, at + 16, crc, info.compress_size)
    struct.pack_into("<I", data, at + 24, declared)
    # the local header says the same
    struct.pack_into("<I", data, info.header_offset + 14, crc)
    struct.pack_into("<I", data, info.header_offset + 22, declared)
    path.write_bytes(bytes(data))


def ods(name: str, rows: str) -> Path:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Requests">{rows}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    path = OUT / name
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            zipfile.ZipInfo("mimetype", date_time=NOW),
            b"application/vnd.oasis.opendocument.spreadsheet",
            zipfile.ZIP_STORED,
        )
        for part, data in (("META-INF/manifest.xml", manifest), ("content.xml", content)):
            z.writestr(zipfile.ZipInfo(part, date_time=NOW), data.encode(), zipfile.ZIP_DEFLATED)
    return path


def ods_cell(text: str, repeat: int = 1) -> str:
    rep = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return (
        f'<table:table-cell office:value-type="string"{rep}><text:p>{text}</text:p>'
        "</table:table-cell>"
    )


def xls(name: str, patch: dict[int, bytes]) -> Path:
    """tests/data/messy/sheets.xls with bytes replaced at the offsets of ``patch``."""
    data = bytearray((HERE / "messy" / "sheets.xls").read_bytes())
    for at, new in patch.items():
        data[at : at + len(new)] = new
    path = OUT / name
    path.write_bytes(bytes(data))
    return path


def _record(data: bytes, typ: int, length: int) -> int:
    at = data.find(struct.pack("<HH", typ, length))
    assert at != -1, hex(typ)
    return at + 4


def main() -> None:
    OUT.mkdir(exist_ok=True)
    # 1. One cell at ZZ1000000: a 702-million-cell grid from a 2 KB file.
    xlsx("far_cell.xlsx", sheet(_KEYS + '<row r="1000000">' + cell("ZZ1000000", "x") + "</row>"))
    # 2. The same, with a dimension that tells the truth about rows and lies about nothing else.
    xlsx("far_cell_declared.xlsx", sheet(_KEYS, dimension="A1:XFE2"))
    # 3. A zip bomb: a sheet part of 50 MB of spaces (about 50 KB compressed).
    xlsx("zip_bomb.xlsx", sheet(_KEYS + " " * 50_000_000))
    # 4. A part whose directory entry says 1 KB while it inflates to 20 MB.
    p = xlsx("lying_size.xlsx", sheet(_KEYS + " " * 20_000_000))
    lie_about_size(p, "xl/worksheets/sheet1.xml", 1024)
    # 5. A formatted empty cell far away (Excel writes one where a value was deleted):
    #    calamine drops it, so the sheet is read.
    xlsx("far_empty_cell.xlsx", sheet(_KEYS + '<row r="1000000"><c r="ZZ1000000" s="1"/></row>'))
    # 6. Just under the cell budget: 1,000,000 rows x 24 columns (X) = 24 million cells, read.
    xlsx("near_budget.xlsx", sheet(_KEYS + '<row r="1000000">' + cell("X1000000", "x") + "</row>"))
    # 7. An .ods row holding a value in 702 columns, repeated a million times.
    ods(
        "repeated.ods",
        "<table:table-row>" + ods_cell("Email") + "</table:table-row>"
        '<table:table-row table:number-rows-repeated="1000000">'
        + ods_cell("ann@example.com", 702)
        + "</table:table-row>",
    )
    # 8. An .xls whose first text cell sits in column 65,536 (BIFF allows the number).
    raw = (HERE / "messy" / "sheets.xls").read_bytes()
    xls("wide.xls", {_record(raw, 0x00FD, 10) + 2: struct.pack("<H", 0xFFFF)})
    # 9. An .xls whose DIMENSIONS record declares 4 billion rows.
    xls("dimensions.xls", {_record(raw, 0x0200, 14): struct.pack("<II", 0, 0xFFFF_FFFF)})


if __name__ == "__main__":
    main()
