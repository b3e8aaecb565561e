"""Checks of an .xls (BIFF in an OLE2 compound file) before calamine opens it.

calamine reads every sheet of an .xls when it opens the file, and for each
one reserves room for as many cells as the sheet's ``DIMENSIONS`` record
declares (rows up to 2**32) before building a dense block from the first
to the last cell: a small file can make it abort. So the ``Workbook``
stream is found here (a minimal OLE2 reader: the FAT, the mini FAT, the
directory; every chain bounded by the file's sectors), its records are
walked as calamine walks them (each sheet from the position its
``BOUNDSHEET`` record gives, nested substreams skipped), and each sheet's
declared size, last row and column, and cell count are held against
``grid``'s limits. No part of the file is inflated: an .xls is not
compressed, so its size bounds the work.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

from ..core.errors import InputError
from .sheetscan import Extent, Limits

_FREE, _END = 0xFFFF_FFFF, 0xFFFF_FFFE
_U32 = 0xFFFF_FFFF
# Records that place one cell at (row u16, column u16) in their first four bytes.
_ONE_CELL = frozenset({0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006})
_MULRK, _DIMENSIONS, _BOF, _EOF, _BOUNDSHEET = 0x00BD, 0x0200, 0x0809, 0x000A, 0x0085


class NotXls(Exception):
    """The file is not an OLE2 workbook this check can read (calamine will say more)."""


def workbook_stream(data: bytes) -> bytes:
    """The ``Workbook`` (or ``Book``) stream of an OLE2 file; raises ``NotXls``."""
    if len(data) < 512 or data[:8] != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise NotXls("no OLE2 header")
    shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
    if shift not in (9, 12) or mini_shift != 6:
        raise NotXls("odd sector sizes")
    size = 1 << shift
    n_sectors = (len(data) - size) // size + 1
    (first_dir,) = struct.unpack_from("<I", data, 0x30)
    cutoff, first_minifat, _, first_difat, n_difat = struct.unpack_from("<IIIII", data, 0x38)

    def sector(n: int) -> bytes:
        got = data[(n + 1) * size : (n + 2) * size]
        if len(got) != size:  # calamine panics on a sector cut short
            raise NotXls(f"sector {n} is past the end of the file")
        return got

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    n = first_difat
    for _ in range(min(n_difat, n_sectors)):
        if n in (_FREE, _END):
            break
        links = struct.unpack(f"<{size // 4}I", sector(n))
        difat.extend(links[:-1])
        n = links[-1]
    fat: list[int] = []
    for s in difat:
        if s in (_FREE, _END):
            continue
        fat.extend(struct.unpack(f"<{size // 4}I", sector(s)))

    def chain(start: int, table: list[int], limit: int) -> list[int]:
        out: list[int] = []
        n = start
        while n not in (_END, _FREE):
            if n >= len(table) or len(out) > limit:
                raise NotXls("a broken sector chain")
            out.append(n)
            n = table[n]
        return out

    directory = b"".join(sector(s) for s in chain(first_dir, fat, n_sectors))
    entries: dict[str, tuple[int, int]] = {}
    root_start, root_len = _END, 0
    for i in range(0, len(directory) - 127, 128):
        e = directory[i : i + 128]
        name_len = struct.unpack_from("<H", e, 64)[0]
        name = e[: max(0, min(name_len, 64) - 2)].decode("utf-16-le", "replace")
        kind = e[66]
        start, length = struct.unpack_from("<IQ", e, 116)
        if kind == 5:
            root_start = start
            root_len = length
        elif kind == 2 and name in ("Workbook", "Book"):
            entries[name] = (start, length)
    found = entries.get("Workbook") or entries.get("Book")
    if found is None:
        raise NotXls("no Workbook stream")
    start, length = found
    if length > len(data):
        raise NotXls("a stream longer than the file")
    if length >= cutoff:
        stream = b"".join(sector(s) for s in chain(start, fat, n_sectors))
        return stream[:length]
    minifat: list[int] = []
    for s in chain(first_minifat, fat, n_sectors):
        minifat.extend(struct.unpack(f"<{size // 4}I", sector(s)))
    mini = b"".join(sector(s) for s in chain(root_start, fat, n_sectors))[:root_len]
    parts = [mini[m * 64 : (m + 1) * 64] for m in chain(start, minifat, len(mini) // 64 + 1)]
    return b"".join(parts)[:length]


def _records(stream: bytes, pos: int) -> Iterator[tuple[int, bytes]]:
    """(type, data) of each record from ``pos``, as calamine's ``RecordIter`` (no CONTINUE)."""
    n = len(stream)
    while pos + 4 <= n:
        typ, length = struct.unpack_from("<HH", stream, pos)
        if pos + 4 + length > n:
            return
        yield typ, stream[pos + 4 : pos + 4 + length]
        pos += 4 + length


def sheet_extents(stream: bytes, limits: Limits) -> list[Extent]:
    """The extent of each sheet of a BIFF stream; stops at the first limit passed."""
    positions = []
    for typ, d in _records(stream, 0):
        if typ == _BOUNDSHEET and len(d) >= 4:
            positions.append(struct.unpack_from("<I", d)[0])
        elif typ == _EOF:
            break
    out = []
    for pos in positions:
        if pos > len(stream):
            raise NotXls(f"a sheet starts at {pos:,}, past the end of the workbook")  # a panic
        e = _sheet(stream, pos, limits)
        out.append(e)
        if e.stopped:
            break
    return out


def _sheet(stream: bytes, pos: int, limits: Limits) -> Extent:
    rows = cols = cells = 0
    seen_bof, depth = False, 0
    for typ, d in _records(stream, pos):
        if depth:
            depth += 1 if typ == _BOF else -1 if typ == _EOF else 0
            continue
        if typ == _BOF:
            depth, seen_bof = (1, True) if seen_bof else (0, True)
            continue
        if typ == _EOF:
            break
        if typ == _DIMENSIONS:
            reserve = _reserved(d)
            if reserve > limits.cells:
                return Extent(0, 0, 0, stopped=True, declared=f"{reserve:,} cells")
        elif typ in _ONE_CELL and len(d) >= 4:
            row, col = struct.unpack_from("<HH", d)
            rows, cols, cells = max(rows, row + 1), max(cols, col + 1), cells + 1
        elif typ == _MULRK and len(d) >= 6:
            row, first = struct.unpack_from("<HH", d)
            (last,) = struct.unpack_from("<H", d, len(d) - 2)
            if last >= first and len(d) == 6 + 6 * (last - first + 1):
                rows, cols = max(rows, row + 1), max(cols, last + 1)
                cells += last - first + 1
        e = Extent(rows, cols, cells)
        if e.beyond(limits):
            return Extent(rows, cols, cells, stopped=True)
    return Extent(rows, cols, cells)


def _reserved(d: bytes) -> int:
    """How many cells calamine reserves for a ``DIMENSIONS`` record (u32 arithmetic)."""
    if len(d) == 10:
        rf, rl, cf, cl = struct.unpack_from("<HHHH", d)
    elif len(d) == 14:
        rf, rl, cf, cl = struct.unpack_from("<IIHH", d)
    else:
        return 0  # calamine refuses the record: the file will not open
    if cf > 0xFF or cl < cf:
        cf = 0
    if rl < 1 or cl < 1:
        return 1
    return int((((rl - 1 - rf) & _U32) + 1) * (((cl - 1 - cf) & _U32) + 1))


def check_xls(path: Path, limits: Limits, max_bytes: int) -> Extent:
    """The largest sheet extent of the .xls ``path``; raises ``InputError`` past ``max_bytes``.

    A file this reader cannot follow (a broken chain, a sector cut short, no
    Workbook stream) is refused here: calamine panics on much of that.
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            f"{path.name} is {size:,} bytes, more than the {max_bytes >> 20:,} MiB this tool "
            "reads from an .xls; save it as .xlsx or export the sheet as CSV",
            path=str(path),
        )
    try:
        extents = sheet_extents(workbook_stream(path.read_bytes()), limits)
    except (NotXls, struct.error, UnicodeDecodeError) as e:
        # calamine's own reader panics on much of what this one cannot follow
        raise InputError(
            f"{path.name} cannot be read as a workbook ({e}); it may be corrupt: open it in "
            "a spreadsheet program and save a copy",
            path=str(path),
        ) from None
    return max(
        extents, key=lambda e: (e.stopped, e.rows * e.columns, e.cells), default=Extent(0, 0, 0)
    )
