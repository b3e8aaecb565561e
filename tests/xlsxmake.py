"""Workbooks as Excel writes them, for the tests of ``screen`` (openpyxl writes text inline,
Excel in shared strings)."""

from __future__ import annotations

import zipfile
from pathlib import Path


def excel_like(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    """A workbook as Excel writes it: text in shared strings (openpyxl writes inline text),
    rows with ``spans``, an ``x14ac`` attribute, a selection and ignored errors."""
    strings: dict[str, int] = {}
    parts: dict[str, str] = {}
    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    for n, rows in enumerate(sheets.values(), 1):
        body = []
        for r, row in enumerate(rows, 1):
            cells = []
            for c, value in enumerate(row):
                if value:
                    n_s = strings.setdefault(value, len(strings))
                    cells.append(f'<c r="{"ABC"[c]}{r}" t="s"><v>{n_s}</v></c>')
            body.append(f'<row r="{r}" spans="1:3" x14ac:dyDescent="0.25">{"".join(cells)}</row>')
        parts[f"xl/worksheets/sheet{n}.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<worksheet {main} '
            'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">'
            f'<dimension ref="A1:C{len(rows)}"/><sheetViews><sheetView workbookViewId="0">'
            '<selection activeCell="B2" sqref="B2"/></sheetView></sheetViews>'
            f"<sheetData>{''.join(body)}</sheetData>"
            '<ignoredErrors><ignoredError sqref="C2:C9" numberStoredAsText="1"/></ignoredErrors>'
            "</worksheet>"
        )
    si = "".join(f"<si><t>{v}</t></si>" for v in strings)
    parts["xl/sharedStrings.xml"] = f'<sst {main} uniqueCount="{len(strings)}">{si}</sst>'
    names = "".join(
        f'<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>' for n, name in enumerate(sheets, 1)
    )
    parts["xl/workbook.xml"] = (
        f'<workbook {main} xmlns:r="{rel}"><sheets>{names}</sheets></workbook>'
    )
    links = "".join(
        f'<Relationship Id="rId{n}" Type="{rel}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    ship = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts["xl/_rels/workbook.xml.rels"] = (
        f'<Relationships xmlns="{ship}">{links}<Relationship Id="rS" Type="{rel}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>'
    )
    parts["_rels/.rels"] = (
        f'<Relationships xmlns="{ship}"><Relationship Id="rId1" Type="{rel}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    )
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    overrides = "".join(
        f'<Override PartName="/{name}" ContentType="{ct}.worksheet+xml"/>'
        for name in parts
        if name.startswith("xl/worksheets/")
    )
    parts["[Content_Types].xml"] = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
        f"{overrides}</Types>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return path
