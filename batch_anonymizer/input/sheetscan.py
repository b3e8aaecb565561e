"""How far a worksheet's cells reach, read from its XML before calamine builds the sheet.

calamine builds a sheet as one dense block from its first to its last cell
(and ``to_python(skip_empty_area=False)`` from A1), so one cell at
``ZZ1000000`` in a 2 KB file costs 702 million cells. This module streams the
sheet's XML (``<c r="B7">`` and ``<row r="7">``) and stops as soon as a limit
is passed, so the cost of a hostile sheet is bounded by the bytes read.

It places cells as calamine does (``xlsx/cells_reader.rs``): a cell with an
``r`` attribute is where ``r`` says; one without is at the current row (set
by ``<row r>``, one more after each ``</row>``) and one column right of the
previous cell. Element names are compared without their prefix. A
self-closing ``<c r="ZZ9"/>`` (a formatted empty cell) is dropped, as calamine
drops it; any other cell counts, even one calamine finds empty, so a sheet is
never judged smaller than calamine will build it.

Two ways to read, same answer:

- the fast path, for the XML spreadsheet programs write (``<c r="B7" ...>``
  with plain attributes, no prefixes): C-speed searches over each chunk for a
  cell beyond the furthest one known so far; nothing is done per cell.
- the exact path, with expat, for anything else (a cell without ``r``, odd
  quoting or spacing, prefixed names, another encoding). It is also the
  referee for what the fast path cannot judge, so a file that surprises the
  fast path is read again from its start this way.
"""

from __future__ import annotations

import codecs
import contextlib
import itertools
import re
import xml.parsers.expat
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from .cellrefs import column_number, digits_upto, letters_upto


@dataclass(frozen=True, slots=True)
class Limits:
    """What a sheet may reach: rows, columns, and cells (rows x columns, and ``<c>`` count)."""

    rows: int
    columns: int
    cells: int


@dataclass(frozen=True, slots=True)
class Extent:
    """How far the cells of one sheet reach (1-based; 0 when it has none).

    ``cells`` counts ``<c>`` elements. ``stopped`` is True when reading stopped
    at the first limit passed: the figures are then "at least". ``declared``
    is the sheet's ``<dimension ref>`` when that alone passes the row or
    column limit (no spreadsheet program writes one).
    """

    rows: int
    columns: int
    cells: int
    stopped: bool = False
    declared: str = ""

    def beyond(self, limits: Limits) -> bool:
        """Whether this extent passes any of ``limits``."""
        return (
            self.rows > limits.rows
            or self.columns > limits.columns
            or self.rows * self.columns > limits.cells
            or self.cells > limits.cells
        )


class NotWellFormed(Exception):
    """The sheet's XML cannot be read by the exact path (it says where)."""


class _Stop(Exception):
    """A limit was passed: stop reading."""


_MAX_TAG = 1 << 16  # a start tag longer than this is not one a spreadsheet program writes
_MAX_RAISES = 64  # cells beyond the furthest known before the fast path hands over
_CELL = b'<c r="'
_DIMENSION = re.compile(
    rb"<dimension[ \t\r\n][^>]*?\bref[ \t\r\n]*=[ \t\r\n]*[\"']([^\"'<>]{1,40})"
)
_PREFIXED = re.compile(rb":(?:c|row)[ \t\r\n/>]")
_REF = re.compile(rb"([A-Z]{1,3})([1-9][0-9]{0,6})")
# A plain cell tag, after its r value: the attributes spreadsheet programs write (s, t, cm,
# vm, ph; never a second r) with plain values (letters and digits: no quote, no ">"), then
# the end. Anything else (other attributes, spacing or quoting) goes to the exact path.
_REST = rb'"(?: (?:s|t|cm|vm|ph)="[0-9A-Za-z]++")*+/?>'


def scan_sheet(
    open_chunks: Callable[[], Generator[bytes, None, None]], limits: Limits, size: int | None = None
) -> Extent:
    """The extent of the sheet whose XML ``open_chunks()`` gives; stops at the first limit passed.

    ``open_chunks`` is called again, for the exact path, when the fast path
    cannot judge. ``size`` is the XML's length when known: a cell takes at
    least 10 bytes (``<c><v>1</v>``), so in a part of at most ten times
    ``limits.cells`` bytes the fast path does not count cells (``cells`` is
    then 0). Raises ``NotWellFormed`` when the exact path cannot read the XML.
    """
    fast = _Fast(limits, count=size is None or size // 10 > limits.cells)
    with contextlib.closing(open_chunks()) as chunks:
        try:
            if fast.run(chunks):
                return fast.extent()
        except _Stop:
            return fast.extent(stopped=True)
    with contextlib.closing(open_chunks()) as chunks:
        return _exact(chunks, limits)


class _Fast:
    def __init__(self, limits: Limits, *, count: bool = True) -> None:
        self.limits = limits
        self.count = count
        self.rows = self.columns = self.cells = 0
        self.raises = 0
        self.declared = ""

    def extent(self, *, stopped: bool = False) -> Extent:
        return Extent(self.rows, self.columns, self.cells, stopped, self.declared)

    def run(self, chunks: Iterable[bytes]) -> bool:
        """Read every chunk; False when the exact path must decide."""
        carry = b""
        first = True
        for data in chunks:
            buf = carry + data if carry else data
            if first:
                first = False
                if not _ascii_compatible(buf):
                    return False
                self._dimension(buf[:_MAX_TAG])
            lt = buf.rfind(b"<")
            if lt != -1 and buf.find(b">", lt) == -1:
                if len(buf) - lt > _MAX_TAG:
                    return False
                buf, carry = buf[:lt], buf[lt:]
            else:
                carry = b""
            if not self._chunk(buf):
                return False
        return not carry.strip() or self._chunk(carry)

    def _chunk(self, buf: bytes) -> bool:
        if b":" in buf and _PREFIXED.search(buf):
            return False
        if self.count:
            self.cells += buf.count(_CELL)
        last = buf.rfind(_CELL)
        if last != -1:
            self._see(buf, last)  # cells come in order: the last one is usually the furthest
        self._check()
        pos = 0
        while True:
            m = _beyond(self.rows, self.columns).search(buf, pos)
            if m is None:
                return True
            at = m.start()
            after = buf[at + 2 : at + 3]
            if after and after not in b" \t\r\n/>":
                pos = at + 2  # <col>, <color>, <cfRule>: not a cell
                continue
            tag = _plain(buf, at)
            if tag is None or not self._see(buf, at):
                return False  # no r, odd spacing or quoting, a second r: the exact path decides
            if not tag[0].endswith(b"/>"):
                self.raises += 1
                if self.raises > _MAX_RAISES:
                    return False
                self._check()
            pos = at + 2

    def _dimension(self, head: bytes) -> None:
        """Stop at a declared size past the row or column limit (calamine only warns)."""
        m = _DIMENSION.search(head)
        if m is None:
            return
        ref = m[1].decode("ascii", "replace")
        pos = _position(ref.rpartition(":")[2])
        if pos is None or pos[1] is None:
            return
        rows, columns = pos[0] + 1, pos[1] + 1
        if rows > self.limits.rows or columns > self.limits.columns:
            self.rows, self.columns = rows, columns
            self.declared = ref
            raise _Stop

    def _see(self, buf: bytes, at: int) -> bool:
        """Take the plain cell tag at ``at`` into the extent; False when it is not plain.

        A self-closing ``<c r="ZZ9"/>`` is a formatted empty cell: calamine drops it.
        """
        m = _REF.match(buf, at + len(_CELL))
        if m is None or buf[m.end() : m.end() + 1] != b'"':
            return False
        tag = _PLAIN.match(buf, at)
        if tag is not None and tag[0].endswith(b"/>"):
            return True
        self.rows = max(self.rows, int(m[2]))
        self.columns = max(self.columns, column_number(m[1]))
        return True

    def _check(self) -> None:
        if self.extent().beyond(self.limits):
            raise _Stop


_PLAIN = re.compile(rb'<c r="[A-Z]{1,3}[1-9][0-9]{0,6}' + _REST)


def _plain(buf: bytes, at: int) -> re.Match[bytes] | None:
    return _PLAIN.match(buf, at)


def _ascii_compatible(head: bytes) -> bool:
    """Whether the XML starts as UTF-8 (or ASCII) does: tags can then be found as bytes."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if not head.startswith(b"<"):
        return False
    if head.startswith(b"<?xml"):
        end = head.find(b"?>")
        decl = head[: end if end != -1 else 200].lower()
        m = re.search(rb"encoding\s*=\s*[\"']([^\"']*)", decl)
        if m and m[1] not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
            return False
    return True


@lru_cache(maxsize=256)
def _beyond(rows: int, columns: int) -> re.Pattern[bytes]:
    """A ``<c`` that is not a plain cell tag within ``rows`` and ``columns``."""
    within = letters_upto(columns) + digits_upto(rows) if rows and columns else b"(?!)"
    return re.compile(rb'<c(?! r="' + within + _REST + rb")")


# -- the exact path ---------------------------------------------------------------------

_U32 = 0xFFFF_FFFF


def _position(ref: str) -> tuple[int, int | None] | None:
    """calamine's ``get_row_and_optional_column``: 0-based (row, column or None), or None.

    Letters of either case then digits; u32 arithmetic wraps as in a release build.
    """
    col = row = 0
    digits = False
    for ch in ref:
        o = ord(ch)
        if not digits and ("A" <= ch <= "Z" or "a" <= ch <= "z"):
            col = (col * 26 + (o & 0x1F)) & _U32
        elif "0" <= ch <= "9":
            row = (row * 10 + o - 48) & _U32
            digits = True
        else:
            return None
    if row == 0:
        return None
    return row - 1, (col - 1 if col else None)


_EXPAT_ENCODINGS = ("utf-8", "utf8", "utf-16", "utf16", "us-ascii", "ascii", "iso-8859-1", "latin1")


def _as_expat_reads(chunks: Iterable[bytes]) -> tuple[Iterator[bytes], str | None]:
    """``chunks``, re-encoded as UTF-8 when they declare an encoding expat lacks
    (calamine reads windows-1252 and others); the encoding to give expat, or None."""
    it = iter(chunks)
    first = b""
    for data in it:  # the whole XML declaration, whatever the chunk size
        first += data
        if b">" in first or len(first) > 512:
            break
    m = re.match(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)", first)
    name = m[1].decode().lower() if m else ""
    if not name or name in _EXPAT_ENCODINGS:
        return itertools.chain((first,), it), None
    try:
        if not codecs.lookup(name)._is_text_encoding:  # hex, base64, zlib: bytes to bytes
            raise LookupError(name)
        decoder = codecs.getincrementaldecoder(name)(errors="replace")
    except LookupError:
        raise NotWellFormed(f"it declares an unknown encoding, {name}") from None

    def recoded() -> Iterator[bytes]:
        for data in itertools.chain((first,), it):
            yield decoder.decode(data).encode("utf-8")
        yield decoder.decode(b"", final=True).encode("utf-8")

    return recoded(), "utf-8"


def _exact(chunks: Iterable[bytes], limits: Limits) -> Extent:
    chunks, encoding = _as_expat_reads(chunks)
    parser = xml.parsers.expat.ParserCreate(encoding)
    state = [0, 0, 0, 0, 0]  # row index, column index, rows, columns, cells

    pending: list[int] = []  # (row, column) of the open cell, until a child gives it a value

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if pending:
            row, col = pending
            pending.clear()
            state[2] = max(state[2], row + 1)
            state[3] = max(state[3], col + 1)
            state[4] += 1
            if Extent(state[2], state[3], state[4]).beyond(limits):
                raise _Stop
        if local == "row":
            r = attrs.get("r")
            pos = _position(r) if r is not None else None
            if pos is not None:
                state[0] = pos[0]
        elif local == "c":
            r = attrs.get("r")
            pos = _position(r) if r is not None else None
            if pos is not None and pos[1] is not None:
                row, col = pos[0], pos[1]
            elif r is None:
                row, col = state[0], state[1]
            else:
                return  # calamine refuses such a reference: the sheet will not load
            state[1] = col + 1
            pending[:] = [row, col]  # a cell without a child element is empty: calamine drops it

    def end(name: str) -> None:
        local = name.rpartition(":")[2]
        if local == "c":
            pending.clear()
        elif local == "row":
            state[0] += 1
            state[1] = 0

    def doctype(*_: object) -> None:
        raise NotWellFormed("it declares a DOCTYPE, which a spreadsheet never does")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = doctype
    try:
        for data in chunks:
            parser.Parse(data, False)
        parser.Parse(b"", True)
    except _Stop:
        return Extent(state[2], state[3], state[4], stopped=True)
    except xml.parsers.expat.ExpatError as e:
        raise NotWellFormed(f"line {e.lineno}: {xml.parsers.expat.ErrorString(e.code)}") from None
    return Extent(state[2], state[3], state[4])
