"""Checks of a zip workbook (.xlsx/.xlsm/.ods) before calamine opens it.

calamine trusts a workbook: it inflates whatever a part holds and builds a
sheet as large as its cells reach, and when memory runs out the process
aborts (a Rust panic, not a Python exception). So, from the zip alone and
before calamine reads anything:

- the zip's directory: at most ``MAX_MEMBERS`` parts and 16 MiB of directory;
- every part: at most ``MAX_PART_BYTES`` once inflated (as the directory
  says) and at most ``MAX_RATIO`` times its compressed size (for parts over
  16 MiB: sheets compress 5-30x, zip bombs about 1,000x), all of them
  together at most ``MAX_TOTAL_BYTES``;
- each part calamine reads (the package and workbook relationships, the
  workbook, shared strings, styles; each sheet it is asked for; an .ods's
  content) is inflated here first, in a stream, never past the size the
  directory gives: a part that inflates to more (or less) is refused, so no
  lie in the directory gets past;
- each sheet's cells, while its part streams (``sheetscan``; ``odsscan``):
  the furthest row and column any cell names and the number of cells, against
  ``grid``'s limits, stopping at the first one passed.

Nothing here builds more than one chunk (1 MiB) at a time.
"""

from __future__ import annotations

import contextlib
import struct
import zipfile
import zlib
from collections.abc import Generator
from pathlib import Path
from typing import BinaryIO

from ..core.errors import InputError
from ..core.text import printable
from . import odsscan
from .grid import MAX_CELLS, MAX_COLUMNS, MAX_ROWS, too_many_cells, too_many_columns, too_many_rows
from .sheetscan import Extent, Limits, NotWellFormed, scan_sheet

MAX_MEMBERS = 10_000
MAX_DIRECTORY_BYTES = 16 << 20
MAX_PART_BYTES = 1 << 30  # 1 GiB: a 1,048,576-row sheet of 20 columns is about 900 MB
MAX_TOTAL_BYTES = 2 << 30
MAX_RATIO = 250
_RATIO_FROM = 16 << 20
_CHUNK = 1 << 20
LIMITS = Limits(MAX_ROWS, MAX_COLUMNS, MAX_CELLS)
_OFFICE_DOC = "/relationships/officeDocument"


class ZipBook:
    """A zip workbook whose directory and opening parts passed; sheets are checked on demand."""

    def __init__(self, path: Path, z: zipfile.ZipFile, sheet_parts: dict[str, str] | None) -> None:
        self.path = path
        self.zip = z
        self.by_name = {_norm(i.filename): i for i in z.infolist()}
        self.sheet_parts = sheet_parts  # sheet name -> part (None: not known, check every part)
        self.ods = False
        self.active_tab: int | None = None  # the sheet the workbook opens on (0-based)

    def check_sheet(self, name: str, limits: Limits = LIMITS) -> None:
        """Raise ``InputError`` when the cells of sheet ``name`` pass ``limits``.

        An .ods has no part per sheet: its content was checked when it was opened.
        """
        if self.ods:
            return
        parts = self.sheet_parts or {}
        part = parts.get(name)
        if part is not None and _norm(part) in self.by_name:
            self._scan(
                self.by_name[_norm(part)],
                f'sheet "{printable(name)}" of {printable(self.path.name)}',
                limits,
            )
            return
        # An unknown mapping (or a sheet calamine finds elsewhere): every XML part is checked.
        for info in self.by_name.values():
            if info.filename.lower().endswith(".xml"):
                self._scan(
                    info, f"{printable(self.path.name)} ({printable(info.filename)})", limits
                )

    def _scan(self, info: zipfile.ZipInfo, where: str, limits: Limits) -> None:
        try:
            extent = scan_sheet(lambda: self.stream(info), limits, info.file_size)
        except NotWellFormed as e:
            raise InputError(
                f"{where} cannot be read ({printable(str(e))}); open the workbook in a spreadsheet "
                "program and save a copy, or export the sheet as CSV",
                path=str(self.path),
            ) from None
        judge(self.path, extent, where, limits)

    def stream(self, info: zipfile.ZipInfo) -> Generator[bytes, None, None]:
        """The inflated bytes of ``info``, checked against its declared size and CRC."""
        return inflate(self.path, self.zip, info)

    def close(self) -> None:
        self.zip.close()


def judge(path: Path, extent: Extent, where: str, limits: Limits = LIMITS) -> None:
    """Raise ``InputError`` when ``extent`` passes ``limits`` (the first limit passed)."""
    if extent.declared:
        raise InputError(
            f"{where} declares a size ({printable(extent.declared)}) past what a spreadsheet holds "
            f"({limits.rows:,} rows, {limits.columns:,} columns, and this tool reads at most "
            f"{limits.cells:,} cells a sheet); open it in a spreadsheet program and save a copy, "
            "or export the sheet as CSV",
            path=str(path),
        )
    if extent.rows > limits.rows:
        too_many_rows(path)
    if extent.columns > limits.columns:
        too_many_columns(path, extent.columns, where)
    if extent.rows * extent.columns > limits.cells:
        too_many_cells(path, extent.rows, extent.columns, where)
    if extent.cells > limits.cells:
        raise InputError(
            f"{where} holds more than {limits.cells:,} cells, more than this tool reads in one "
            "sheet; split it, or export it as CSV",
            path=str(path),
        )


def open_zip_book(path: Path, suffix: str) -> ZipBook:
    """Check ``path``'s zip directory and the parts calamine reads when it opens the workbook.

    Raises ``InputError`` for anything past the limits, or a zip that cannot be read.
    """
    _check_directory(path)
    try:
        z = zipfile.ZipFile(path)
        infos = z.infolist()
    except Exception as e:  # BadZipFile, NotImplementedError (a zip version), OSError...
        raise _corrupt(path, e) from None
    book = ZipBook(path, z, None)
    try:
        _check_parts(path, infos)
        return _check_book(book, suffix)
    except BaseException:
        book.close()
        raise


def _check_parts(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """The zip directory's figures: parts, names, declared sizes and ratios."""
    if len(infos) > MAX_MEMBERS:
        raise _too_big(path, f"it holds {len(infos):,} parts")
    total = 0
    names: set[str] = set()
    for info in infos:
        name = _norm(info.filename)
        if name in names:  # which of the two would calamine read? Neither is checked blind.
            raise _corrupt(path, ValueError(f"two parts are named {info.filename}"))
        names.add(name)
        total += info.file_size
        if info.file_size > MAX_PART_BYTES:
            raise _too_big(
                path, f"its part {printable(info.filename)} inflates to {info.file_size:,} bytes"
            )
        if total > MAX_TOTAL_BYTES:
            raise _too_big(path, f"its parts inflate to more than {total:,} bytes")
        if info.file_size > _RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _too_big(
                path,
                f"its part {printable(info.filename)} inflates "
                f"{info.file_size // max(info.compress_size, 1):,} times its size (a zip bomb?)",
            )


def _check_book(book: ZipBook, suffix: str) -> ZipBook:
    """The parts calamine reads when it opens the workbook (an .ods: its content too)."""
    path = book.path
    if suffix == ".ods":
        book.ods = True
        for name in ("mimetype", "meta-inf/manifest.xml"):
            _drain(book, name)
        content = book.by_name.get("content.xml")
        if content is not None:
            try:
                extent = odsscan.scan_content(book.stream(content), LIMITS)
            except NotWellFormed as e:
                raise InputError(
                    f"{printable(path.name)} cannot be read ({printable(str(e))}); open it in a "
                    "spreadsheet program and save a copy",
                    path=str(path),
                ) from None
            judge(path, extent, printable(path.name))
        return book
    xl = _office_dir(book)
    for name in ("sharedStrings.xml", "styles.xml", "_rels/workbook.xml.rels", "workbook.xml"):
        _drain(book, xl + name)
    book.sheet_parts = _sheet_parts(book, xl)
    views = _elements(_drain(book, xl + "workbook.xml"), "workbookView")
    tab = views[0].get("activeTab", "0") if views else "0"
    book.active_tab = int(tab) if tab.isdigit() and len(tab) < 6 else None
    return book


def _drain(book: ZipBook, name: str) -> bytes:
    """Inflate the part ``name`` (if present) through the checks; its first 1 MiB is returned."""
    info = book.by_name.get(_norm(name))
    if info is None:
        return b""
    head = b""
    for chunk in book.stream(info):
        if len(head) < _CHUNK:
            head += chunk[: _CHUNK - len(head)]
    return head


def _office_dir(book: ZipBook) -> str:
    """The folder of the workbook part (``xl/``), from ``_rels/.rels`` as calamine finds it."""
    rels = _drain(book, "_rels/.rels")
    for attrs in _elements(rels, "Relationship"):
        if attrs.get("Type", "").endswith(_OFFICE_DOC):
            target = attrs.get("Target", "")
            i = target.rfind("/")
            folder = target[: i + 1] if i != -1 else ""
            return folder.removeprefix("/")
    return "xl/"


def _sheet_parts(book: ZipBook, xl: str) -> dict[str, str] | None:
    """Sheet name -> part name, as calamine maps them (None when the parts cannot be read)."""
    rels = {
        a.get("Id", ""): a.get("Target", "")
        for a in _elements(_drain(book, xl + "_rels/workbook.xml.rels"), "Relationship")
    }
    sheets = _elements(_drain(book, xl + "workbook.xml"), "sheet")
    if not rels or not sheets:
        return None
    out: dict[str, str] = {}
    for a in sheets:
        rid = next((v for k, v in a.items() if k.rpartition(":")[2] == "id"), "")
        target = rels.get(rid)
        if target is None:
            return None
        out[a.get("name", "")] = target[1:] if target.startswith("/") else xl + target
    return out


def _elements(xml_bytes: bytes, local: str) -> list[dict[str, str]]:
    """The attributes of every element named ``local`` (any prefix) in a small XML part."""
    import xml.parsers.expat

    found: list[dict[str, str]] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        if name.rpartition(":")[2] == local:
            found.append(attrs)

    p = xml.parsers.expat.ParserCreate()
    p.StartElementHandler = start
    # A truncated head or a broken part: what was found is kept; calamine judges the rest.
    with contextlib.suppress(xml.parsers.expat.ExpatError):
        p.Parse(xml_bytes, True)
    return found


def inflate(path: Path, z: zipfile.ZipFile, info: zipfile.ZipInfo) -> Generator[bytes, None, None]:
    """Inflate ``info`` chunk by chunk, never past its declared size, which it must reach.

    (The CRC is left to calamine's zip reader: a wrong one is a corrupt file, not a bomb.)
    """
    if info.flag_bits & 0x1:
        raise InputError(
            f"{printable(path.name)} is encrypted; remove the password and save a copy",
            path=str(path),
        )
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _corrupt(path, ValueError(f"compression method {info.compress_type}"))
    try:
        yield from _inflate(z, info)
    except (OSError, ValueError, EOFError, zlib.error, struct.error) as e:
        raise _corrupt(path, e) from None
    except _TooBig:
        raise _too_big(
            path, f"its part {printable(info.filename)} inflates past the size it declares"
        ) from None


class _TooBig(Exception):
    pass


def _inflate(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> Generator[bytes, None, None]:
    fp = z.fp
    if fp is None:
        raise ValueError("closed")
    if info.header_offset < 0:
        raise ValueError(f"bad offset of {info.filename}")
    fp.seek(info.header_offset)
    header = fp.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise ValueError(f"bad local header of {info.filename}")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    fp.seek(info.header_offset + 30 + name_len + extra_len)
    left = info.compress_size
    d = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    size = 0
    while left > 0 or (d is not None and d.unconsumed_tail):
        raw = b""
        if d is None or not d.unconsumed_tail:
            raw = fp.read(min(left, 1 << 18))
            if not raw:
                raise EOFError(f"{info.filename} is cut short")
            left -= len(raw)
        out = raw if d is None else d.decompress(d.unconsumed_tail + raw, _CHUNK)
        size += len(out)
        if size > info.file_size:
            raise _TooBig
        if out:
            yield out
        if d is not None and d.eof:
            break
    if size != info.file_size or (d is not None and not d.eof):
        raise ValueError(f"{info.filename} is not the size its zip entry gives")


def _check_directory(path: Path) -> None:
    """Refuse a zip whose central directory is larger than ``MAX_DIRECTORY_BYTES`` or lists
    more than ``MAX_MEMBERS`` parts, or whose end record is ambiguous.

    Python's zipfile and calamine's zip reader each look for the end record
    from the end of the file; a second one hidden in a zip comment could make
    them read two different directories, so this check and calamine would see
    different parts. There must be one end record, and its comment must end
    the file. Its figures (APPNOTE 4.3.16: parts at offset 10, directory size
    at 12, directory offset at 16) are taken from the ZIP64 end record when a
    field is saturated and the ZIP64 locator (the 20 bytes before it) says
    where that record is (APPNOTE 4.3.14-15: parts at 32, size at 40).
    """
    with path.open("rb") as f:
        f.seek(0, 2)
        end = f.tell()
        start = max(0, end - 65_557)
        f.seek(start)
        tail = f.read()
        i = tail.rfind(b"PK\x05\x06")
        if i == -1 or len(tail) < i + 22:
            return  # zipfile says what is wrong
        (comment,) = struct.unpack("<H", tail[i + 20 : i + 22])
        if tail.count(b"PK\x05\x06") != 1 or i + 22 + comment != len(tail):
            raise _corrupt(path, ValueError("its zip directory's end record is ambiguous"))
        entries, size, offset = struct.unpack("<HII", tail[i + 10 : i + 20])
        if entries == 0xFFFF or 0xFFFF_FFFF in (size, offset):
            entries, size = _zip64_figures(f, tail, i, start, (entries, size))
    if size > MAX_DIRECTORY_BYTES or entries > MAX_MEMBERS:
        raise _too_big(path, f"its zip directory lists {entries:,} parts in {size:,} bytes")


def _zip64_figures(
    f: BinaryIO, tail: bytes, i: int, start: int, plain: tuple[int, int]
) -> tuple[int, int]:
    """(parts, directory size) from the ZIP64 end record the locator before ``tail[i]`` names;
    ``plain`` (the saturated figures) when there is no locator or record (zipfile judges)."""
    loc = tail[i - 20 : i] if i >= 20 else b""
    if len(loc) != 20 or loc[:4] != b"PK\x06\x07":
        return plain
    (at,) = struct.unpack("<Q", loc[8:16])
    if at >= start + i - 20:
        return plain
    f.seek(at)
    record = f.read(56)
    if len(record) != 56 or record[:4] != b"PK\x06\x06":
        return plain
    entries, size = struct.unpack("<QQ", record[32:48])
    return entries, size


def _norm(name: str) -> str:
    return name.replace("\\", "/").lower()


def _too_big(path: Path, why: str) -> InputError:
    return InputError(
        f"{printable(path.name)} is refused: {why}; a workbook of requests is never like this "
        "(this tool reads at most "
        f"{MAX_PART_BYTES >> 20:,} MiB a part, {MAX_TOTAL_BYTES >> 20:,} MiB in all, each part "
        f"at most {MAX_RATIO} times its compressed size): open it in a spreadsheet program "
        "and export the sheet as CSV",
        path=str(path),
    )


def _corrupt(path: Path, e: BaseException) -> InputError:
    text = " ".join(str(e).split()) or type(e).__name__
    return InputError(
        f"{printable(path.name)} cannot be read as a workbook ({printable(text[:120])}); it may be "
        "corrupt or password-protected: open it in a spreadsheet program and save a copy",
        path=str(path),
    )


__all__ = ["LIMITS", "ZipBook", "inflate", "judge", "open_zip_book"]
