"""``redact``'s rewrite of a report's .xlsx and csv twins: only the cells that hold a key.

The workbook is rewritten part by part: every part but the worksheets is
copied byte for byte, and in a worksheet only the text cells that hold a
key change (``redactkeys.KeyMatcher.cell``); styles, numbers, dates, widths,
charts and the Summary's counts stay as the run wrote them. The writer keeps
text as inline strings (``constant_memory``), so each cell is changed where
it stands. A csv twin is read and written with the csv module and the same
neutralising (``cellsafe``) as ``report`` uses, so a line without a key is
written back unchanged.

Which cells are the input's own (blanked when they hold a key among other
words) is told by the header: every column that is not one of the report's
or the Requests sheet's own.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from .cellsafe import neutralise, unneutralise
from .redactkeys import KeyMatcher
from .report import LEDGER_COLUMNS, OPTIONAL_COLUMNS, RESULT_COLUMNS, VERIFY_COLUMNS
from .requests_sheet import REQUEST_COLUMNS

#: The report's own columns: any other column of a table is the input's.
OWN_COLUMNS = frozenset(
    (*RESULT_COLUMNS, *VERIFY_COLUMNS, *OPTIONAL_COLUMNS, *LEDGER_COLUMNS, *REQUEST_COLUMNS)
)
SUMMARY = "Summary"

_CELL = re.compile(
    rb'(<c r="([A-Z]+)(\d+)"[^>]*t="inlineStr"[^>]*><is><t[^>]*>)([^<]*)(</t></is></c>)'
)
_SHEET = re.compile(rb'<sheet name="([^"]*)" sheetId="\d+" r:id="(rId\d+)"/>')
_REL = re.compile(rb'<Relationship Id="(rId\d+)" Type="[^"]*/worksheet" Target="([^"]+)"/>')
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))


def _unescape(text: str) -> str:
    if "&" in text:
        for entity, char in _ENTITIES:
            text = text.replace(entity, char)
    return text


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _worksheets(z: zipfile.ZipFile) -> dict[str, str]:
    """Each worksheet part's name -> its sheet's title."""
    rels = {
        rid.decode(): "xl/" + target.decode().lstrip("/").removeprefix("xl/")
        for rid, target in _REL.findall(z.read("xl/_rels/workbook.xml.rels"))
    }
    return {
        rels[rid.decode()]: _unescape(name.decode())
        for name, rid in _SHEET.findall(z.read("xl/workbook.xml"))
        if rid.decode() in rels
    }


def _redact_sheet(data: bytes, title: str, keys: KeyMatcher) -> tuple[bytes, int]:
    """A worksheet part with its key cells redacted, and how many cells changed."""
    header: dict[bytes, str] = {}
    changed = 0

    def one(m: re.Match[bytes]) -> bytes:
        nonlocal changed
        col, row, raw = m[2], m[3], m[4].decode()
        text = _unescape(raw)
        if row == b"1" and title != SUMMARY:
            header[col] = text
        is_input = row != b"1" and title != SUMMARY and header.get(col, "") not in OWN_COLUMNS
        new = keys.cell(text, input_cell=is_input)
        if new == text:
            return m[0]
        changed += 1
        return m[1] + _escape(new).encode() + m[5]

    return _CELL.sub(one, data), changed


def redact_xlsx(source: Path, keys: KeyMatcher) -> tuple[Callable[[IO[bytes]], None], int]:
    """What writes the redacted copy of the workbook ``source``, and how many cells change."""
    parts: list[tuple[zipfile.ZipInfo, bytes]] = []
    changed = 0
    with zipfile.ZipFile(source) as z:
        sheets = _worksheets(z)
        for info in z.infolist():
            data = z.read(info)
            if info.filename in sheets:
                data, n = _redact_sheet(data, sheets[info.filename], keys)
                changed += n
            parts.append((info, data))

    def write(f: IO[bytes]) -> None:
        with zipfile.ZipFile(f, "w") as out:
            for info, data in parts:
                out.writestr(info, data)

    return write, changed


def redact_csv(source: Path, keys: KeyMatcher) -> tuple[Callable[[IO[bytes]], None], int]:
    """What writes the redacted copy of a csv twin ``source``, and how many cells change."""
    with source.open(encoding="utf-8-sig", errors="surrogatepass", newline="") as f:
        rows = list(csv.reader(f))
    header = [unneutralise(h) for h in rows[0]] if rows else []
    changed = 0
    out_rows = []
    for n, raw in enumerate(rows):
        row = []
        for i, value in enumerate(raw):
            text = unneutralise(value)
            name = header[i] if i < len(header) else ""
            new = keys.cell(text, input_cell=n > 0 and name not in OWN_COLUMNS)
            if new != text:
                changed += 1
                value = neutralise(new)
            row.append(value)
        out_rows.append(row)

    def write(f: IO[bytes]) -> None:
        t = io.TextIOWrapper(f, encoding="utf-8-sig", errors="surrogatepass", newline="")
        try:
            csv.writer(t).writerows(out_rows)
            t.flush()
        finally:
            t.detach()

    return write, changed


def leftover_keys(path: Path, keys: KeyMatcher) -> bool:
    """True when any part of ``path`` (each member of a zip, decompressed) still holds a key."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return any(keys.contains(z.read(i).decode("utf-8", "replace")) for i in z.infolist())
    return keys.contains(path.read_bytes().decode("utf-8", "replace"))
