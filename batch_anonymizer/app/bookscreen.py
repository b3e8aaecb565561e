"""Remove rows from an .xlsx/.xlsm workbook without breaking it, or refuse to.

Removing a row shifts every row below it. Anything that points at a row
(a formula, a cross-sheet reference, a defined name, a hyperlink, a merged
range, a data validation, a conditional format, a table, a filter, a
comment, a picture anchored to a cell, a pivot table, a macro) would then
point at another person's row. Rather than rewrite each of those, the
workbook is screened only when it holds none of them: every part of the zip
must be one of a short list of kinds, every sheet's XML may hold only the
elements of plain cells (values, styles, column widths, views, page setup),
and no cell holds a formula. Anything else is refused, named, and nothing is
written; a CSV export of the sheet can always be screened.

A workbook that passes is rewritten part by part, in a stream (the loader's
zip checks, ``input.zipcheck``, inflate each part; at most one chunk and one
row are held), so screening costs a few megabytes besides the loader's own
reading of the list:

- each sheet loses the removed rows; the rows below move up (``<row r>``,
  each cell's ``r``) and ``<dimension>`` shrinks;
- the shared strings that only removed rows used are emptied (their index
  stays, so no other cell moves), so the erased people's cells are not left
  in the file;
- every other part is copied unchanged.

The sheet XML must be as spreadsheet programs write it: rows and cells with
an ``r`` attribute, no prefixed cell elements; a sheet that is not is refused
too.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ..core.errors import UsageError
from ..core.files import file_sha256
from ..core.text import printable
from ..input.zipcheck import ZipBook, open_zip_book

_Writer = Callable[[IO[bytes]], None]

#: Parts that removing rows cannot break (by folder or name, lower case).
_SAFE_PARTS = re.compile(
    rb"^(\[content_types\]\.xml|_rels/\.rels|docprops/.*|customxml/.*|docmetadata/.*"
    rb"|xl/workbook\.xml|xl/_rels/workbook\.xml\.rels|xl/styles\.xml|xl/sharedstrings\.xml"
    rb"|xl/theme/.*|xl/worksheets/[^/]+\.xml|xl/worksheets/_rels/[^/]+\.rels"
    rb"|xl/printersettings/.*|.*/)$"
)
#: What the other parts hold, said in the refusal.
_PART_FEATURES = (
    ("xl/calcchain.xml", "formulas"),
    ("xl/tables/", "tables"),
    ("xl/pivot", "pivot tables"),
    ("xl/drawings/", "pictures, shapes or charts"),
    ("xl/media/", "pictures"),
    ("xl/charts/", "charts"),
    ("xl/chartsheets/", "chart sheets"),
    ("xl/comments", "comments"),
    ("xl/threadedcomments/", "comments"),
    ("xl/externallinks/", "links to other workbooks"),
    ("xl/vbaproject.bin", "macros"),
    ("xl/connections.xml", "data connections"),
    ("xl/querytables/", "data connections"),
    ("xl/slicer", "slicers"),
    ("xl/richdata/", "pictures in cells"),
    ("xl/metadata.xml", "rich values in cells"),
)
#: Elements a sheet may hold outside its cells (and inside them: row, c, v, is, t, r, rPr...).
_SHEET_ELEMENTS = frozenset(
    (  # noqa: SIM905 - a list literal would take a line per element
        "worksheet sheetPr tabColor outlinePr pageSetUpPr dimension sheetViews sheetView pane "
        "selection sheetFormatPr cols col sheetData sheetCalcPr sheetProtection printOptions "
        "pageMargins pageSetup headerFooter oddHeader oddFooter evenHeader evenFooter "
        "firstHeader firstFooter colBreaks brk ignoredErrors ignoredError phoneticPr"
    ).split()
)
_ELEMENT_FEATURES = {
    "mergeCells": "merged cells",
    "hyperlinks": "hyperlinks",
    "dataValidations": "data validations",
    "conditionalFormatting": "conditional formats",
    "autoFilter": "filters",
    "sortState": "sort settings",
    "tableParts": "tables",
    "drawing": "pictures, shapes or charts",
    "legacyDrawing": "comments",
    "legacyDrawingHF": "pictures in headers",
    "picture": "a background picture",
    "rowBreaks": "page breaks between rows",
    "extLst": "extensions (newer validations, conditional formats or sparklines)",
    "protectedRanges": "protected ranges",
    "oleObjects": "embedded objects",
    "controls": "form controls",
    "scenarios": "scenarios",
    "dataConsolidate": "consolidated ranges",
    "customSheetViews": "custom views",
    "smartTags": "smart tags",
    "cellWatches": "cell watches",
    "webPublishItems": "web publishing ranges",
}
_WORKBOOK_FEATURES = {
    b"<definedName ": "defined names (named ranges, print areas or filters)",
    b"<definedName>": "defined names (named ranges, print areas or filters)",
    b"<externalReference": "links to other workbooks",
    b"<pivotCache": "pivot tables",
}
_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_ROW = re.compile(rb"<row\b[^>]*?(?:/>|>.*?</row>)", re.S)
_ROW_R = re.compile(rb'^<row\b[^>]*?\sr="(\d+)"')
_CELL = re.compile(rb"<c[\s>/]")
_CELL_ROW = re.compile(rb'<c\b[^>]*?\sr="[A-Z]{1,3}(\d+)"')
# a cell's r="B7" up to its row number (split out), the number dropped
_CELL_NUMBER = re.compile(rb'(<c\b[^>]*?\sr="[A-Z]{1,3})\d+(?=")')
_FORMULA = re.compile(rb"<f[\s>/]")
_SHARED = re.compile(rb'<c\b[^>]*?\st="s"[^>]*>\s*<v>(\d+)</v>')
_SI = re.compile(rb"<si\b[^>]*?(?:/>|>.*?</si>)", re.S)
_DIMENSION = re.compile(rb'(<dimension\b[^>]*\sref="[A-Z]{1,3}\d+:[A-Z]{1,3})(\d+)"')
_ROW_NUMBER = re.compile(rb'\sr="\d+"')
_EMPTY_SI = b"<si><t></t></si>"
_MAX_ROW = 64 << 20  # a row of 16,384 long cells is a few MB


@dataclass
class _Plan:
    """What pass one found: each sheet's part and rows to drop, the shared strings they used."""

    parts: dict[str, set[int]]  # sheet part (lower case) -> rows to drop
    dropped_strings: set[int] = field(default_factory=set)
    kept_strings: set[int] = field(default_factory=set)


def book_copy(source: Path, sha256: str, drop: dict[str, set[int]]) -> _Writer:
    """A writer of ``source`` without the rows ``drop`` names (sheet name -> row numbers).

    Raises ``UsageError``, before anything is written, for a workbook whose
    rows cannot be removed safely (it names what blocks it) or that changed
    since it was read (``sha256``).
    """
    if not any(drop.values()):
        return lambda f: _copy_file(source, f)  # nothing removed: the same bytes
    book = open_zip_book(source, source.suffix.lower())
    try:
        plan = _check(source, book, drop)
    except BaseException:
        book.close()
        raise
    book.close()

    def write(f: IO[bytes]) -> None:
        if file_sha256(source) != sha256:
            raise UsageError(
                f"{printable(source.name)} changed while it was screened; screen it again"
            )
        again = open_zip_book(source, source.suffix.lower())
        try:
            _write(again, plan, f)
        finally:
            again.close()

    return write


def _copy_file(source: Path, f: IO[bytes]) -> None:
    with source.open("rb") as src:
        while chunk := src.read(1 << 20):
            f.write(chunk)


def _refuse(source: Path, what: str, where: str = "") -> UsageError:
    return UsageError(
        f"{printable(source.name)}: rows cannot be removed safely from this workbook: it has "
        f"{what}{where}, which would then point at other rows; nothing was written. Save the "
        "sheet as CSV (File > Save As > CSV UTF-8) and screen the CSV, or remove those and "
        "screen the workbook again (screen --check lists the rows without writing)"
    )


def _check(source: Path, book: ZipBook, drop: dict[str, set[int]]) -> _Plan:
    """Pass one: refuse what removing rows would break; collect the removed rows' strings."""
    parts = book.sheet_parts
    if parts is None:
        raise _refuse(source, "sheets whose parts cannot be told apart")
    for name in book.by_name:
        if not _SAFE_PARTS.match(name.encode()):
            what = next((w for p, w in _PART_FEATURES if name.startswith(p)), "")
            raise _refuse(source, what or f"a part this tool does not know ({printable(name)})")
    sheet_parts = {_norm(p) for p in parts.values()}
    for name in book.by_name:
        if name.startswith("xl/worksheets/") and name.endswith(".xml") and name not in sheet_parts:
            raise _refuse(source, f"a sheet part no sheet names ({printable(name)})")
        if name.startswith("xl/worksheets/_rels/"):
            rels = b"".join(book.stream(book.by_name[name]))
            if b"Type=" in rels and rels.count(b"/printerSettings") != rels.count(b"Type="):
                raise _refuse(source, "links from a sheet (hyperlinks, pictures or comments)")
    info = book.by_name.get("xl/workbook.xml")
    if info is None:
        raise _refuse(source, "its workbook part in an unusual place")
    workbook = b"".join(book.stream(info))
    for marker, what in _WORKBOOK_FEATURES.items():
        if marker in workbook:
            raise _refuse(source, what)
    unknown = set(drop) - set(parts)
    if unknown:
        raise _refuse(source, f"a sheet this tool cannot find ({printable(sorted(unknown)[0])})")
    plan = _Plan({_norm(p): drop.get(sheet, set()) for sheet, p in parts.items()})
    for sheet, part in parts.items():
        where = f' (sheet "{printable(sheet)}")'
        rows = drop.get(sheet, set())
        found: set[int] = set()
        if _norm(part) not in book.by_name:
            raise _refuse(source, f"a sheet without its part ({printable(part)})", where)
        for kind, data in _pieces(book, _norm(part)):
            if kind == "row":
                n = _row_number(source, data, where)
                if _FORMULA.search(data):
                    raise _refuse(source, "formulas", where)
                if n in rows:
                    found.add(n)
                    plan.dropped_strings.update(int(i) for i in _SHARED.findall(data))
            else:
                for tag in _TAG.findall(data):
                    name = tag.decode("ascii", "replace")
                    if name not in _SHEET_ELEMENTS:
                        what = _ELEMENT_FEATURES.get(name, f"<{printable(name)}> elements")
                        raise _refuse(source, what, where)
        if found != rows:  # a row read by the loader that the sheet's XML does not hold
            raise _refuse(source, "rows this tool cannot place", where)
    return plan


def _norm(part: str) -> str:
    return part.replace("\\", "/").lower()


def _row_number(source: Path, row: bytes, where: str) -> int:
    """The row's number, when it and each of its cells say it (as programs write them)."""
    row = row.lstrip()
    m = _ROW_R.match(row)
    cells = _CELL_ROW.findall(row)
    if m is None or len(cells) != len(_CELL.findall(row)) or any(c != m[1] for c in cells):
        raise _refuse(source, "rows or cells written without their position", where)
    return int(m[1])


def _pieces(book: ZipBook, part: str) -> Iterator[tuple[str, bytes]]:
    """The sheet XML as ("xml", bytes outside the rows) and ("row", one <row> element), in
    order; joined, they are the part. An "xml" piece never ends inside a tag."""
    buf = b""
    state = "pre"  # before <sheetData>, in it ("data"), after it ("post")
    for chunk in _chunks(book, part):
        buf += chunk
        last = chunk == b""
        pos = 0  # what is before pos has been given out (buf is cut once a chunk)
        while pos < len(buf):
            if state == "data":
                start = pos
                while start < len(buf) and buf[start] in b" \t\r\n":
                    start += 1
                m = _ROW.match(buf, start)
                if m is not None:
                    yield "row", buf[pos : m.end()]
                    pos = m.end()
                    continue
                if buf.startswith(b"<row", start) and not last and len(buf) - pos < _MAX_ROW:
                    break  # the row goes on in the next chunk
                if len(buf) - start < 12 and not last:
                    break  # perhaps </sheetData> cut short
                state = "post"  # </sheetData>, or something a sheet's rows never hold
                continue
            if state == "pre":
                i = buf.find(b"<sheetData", pos)
                j = buf.find(b">", i) if i != -1 else -1
                if j != -1:
                    yield "xml", buf[pos : j + 1]
                    state = "post" if buf[j - 1 : j] == b"/" else "data"
                    pos = j + 1
                    continue
            cut = len(buf) if last else buf.rfind(b"<", pos)
            if cut <= pos:
                break
            yield "xml", buf[pos:cut]
            pos = cut
        buf = buf[pos:]
    if buf:
        yield "xml", buf


def _chunks(book: ZipBook, part: str) -> Iterator[bytes]:
    """The part's inflated chunks, then ``b""`` (the end)."""
    yield from book.stream(book.by_name[part])
    yield b""


def _write(book: ZipBook, plan: _Plan, f: IO[bytes]) -> None:
    """Pass two: the workbook without the dropped rows, shared strings emptied, the rest
    copied; the shared strings last (the parts' order means nothing to a reader)."""
    shared = "xl/sharedstrings.xml"
    probe = _probe(plan.dropped_strings)
    with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as out:
        for name, info in book.by_name.items():
            if name == shared:
                continue
            if name in plan.parts:
                body = _sheet(book, name, plan.parts[name], plan, probe)
            else:
                body = book.stream(info)
            _put(out, info, body)
        if shared in book.by_name:
            gone = plan.dropped_strings - plan.kept_strings
            _put(out, book.by_name[shared], _strings(book, shared, gone))


def _put(out: zipfile.ZipFile, info: zipfile.ZipInfo, body: Iterable[bytes]) -> None:
    copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    copy.compress_type = zipfile.ZIP_DEFLATED if not info.is_dir() else zipfile.ZIP_STORED
    copy.external_attr = info.external_attr
    with out.open(copy, "w", force_zip64=info.file_size > 1 << 30) as w:
        for chunk in body:
            w.write(chunk)


def _probe(strings: set[int]) -> re.Pattern[bytes] | None:
    """A search for a cell value that is one of ``strings`` (then checked to be a shared
    string), so kept rows are searched at C speed."""
    if not strings:
        return None
    values = b"|".join(str(i).encode() for i in sorted(strings))
    return re.compile(rb"<v>(?:" + values + rb")</v>")


def _sheet(
    book: ZipBook, part: str, rows: set[int], plan: _Plan, probe: re.Pattern[bytes] | None
) -> Iterator[bytes]:
    """The sheet without ``rows``, the rows below moved up; shared strings kept rows use
    are noted in ``plan.kept_strings``."""
    shift = 0
    for kind, data in _pieces(book, part):
        if kind == "xml":
            if rows and b"<dimension" in data:
                data = _DIMENSION.sub(lambda m: _less(m, len(rows)), data, count=1)
            yield data
            continue
        m = _ROW_R.match(data.lstrip())
        n = int(m[1]) if m is not None else 0
        if n in rows:
            shift += 1
            continue
        if probe is not None and probe.search(data):
            plan.kept_strings.update(int(i) for i in _SHARED.findall(data))
        if shift:
            # Split at each cell's row number and glue the new one in: a template with a
            # group reference would be expanded in Python, cell by cell (3x slower).
            new = str(n - shift).encode()
            pieces = _CELL_NUMBER.split(_ROW_NUMBER.sub(b' r="' + new + b'"', data, count=1))
            pieces[1::2] = [ref + new for ref in pieces[1::2]]
            data = b"".join(pieces)
        yield data


def _less(m: re.Match[bytes], removed: int) -> bytes:
    last = max(1, int(m[2]) - removed)
    return m[1] + str(last).encode() + b'"'


def _strings(book: ZipBook, part: str, gone: set[int]) -> Iterator[bytes]:
    """The shared strings, those in ``gone`` emptied (each keeps its place)."""
    index = 0
    buf = b""
    head = True
    for chunk in _chunks(book, part):
        buf += chunk
        if head:
            i = buf.find(b"<si")
            if i == -1:
                continue
            yield buf[:i]
            buf = buf[i:]
            head = False
        pos = 0
        out = []
        for m in _SI.finditer(buf):
            if m.start() != pos and buf[pos : m.start()].strip():
                raise UsageError(f"the shared strings of {printable(part)} cannot be read")
            out.append(_EMPTY_SI if index in gone else buf[pos : m.end()])
            index += 1
            pos = m.end()
        yield b"".join(out)
        buf = buf[pos:]
        if len(buf) > _MAX_ROW:
            raise UsageError(f"the shared strings of {printable(part)} cannot be read")
    if b"<si" in buf:
        raise UsageError(f"the shared strings of {printable(part)} cannot be read")
    yield buf
