"""An input table's rows kept as columns of text: a ``Sequence[SourceRow]`` that makes a row
only when a stage asks for it.

A million-row sheet of six columns is six million cells. As Python strings in
row tuples they cost ~580 MB before anything is planned; here each column is one
string holding its cells end to end, with the offset where each cell starts (the
layout of an arrow string column), ~1 byte per character plus 8 per cell. A
``SourceRow`` (its cells sliced out) is made when a stage takes the row: a
report line, a request, a message. Whole columns are read with ``column`` (the
plan, the request overview) and many rows at once with ``cells_at``.

``column_cells`` and ``rows_cells`` read any ``Sequence[SourceRow]`` the same way,
so a table built by hand from ``SourceRow`` tuples (tests, tools) works everywhere.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import pairwise
from typing import overload

import numpy as np
import numpy.typing as npt

from .records import SourceRow

_CHUNK = 65_536  # rows made at once while iterating


class RowColumns(Sequence[SourceRow]):
    """Rows as columns: ``texts[c][offsets[c][i]:offsets[c][i + 1]]`` is row ``i``'s cell ``c``.

    ``numbers`` are the row numbers a person sees; ``sheets`` the sheet names and
    ``sheet_of`` each row's index into them (None: every row is of ``sheets[0]``).
    Immutable; equal to any sequence of equal ``SourceRow``s.
    """

    __slots__ = ("_numbers", "_offsets", "_sheet_of", "_sheets", "_texts")

    def __init__(
        self,
        texts: list[str],
        offsets: list[array[int]],
        numbers: array[int],
        sheets: tuple[str | None, ...] = (None,),
        sheet_of: array[int] | None = None,
    ) -> None:
        self._texts = texts
        self._offsets = offsets
        self._numbers = numbers
        self._sheets = sheets
        self._sheet_of = sheet_of

    @property
    def width(self) -> int:
        """How many cells each row has."""
        return len(self._texts)

    def __len__(self) -> int:
        return len(self._numbers)

    @overload
    def __getitem__(self, i: int) -> SourceRow: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[SourceRow, ...]: ...
    def __getitem__(self, i: int | slice) -> SourceRow | tuple[SourceRow, ...]:
        if isinstance(i, slice):
            return tuple(self.rows_at(range(*i.indices(len(self)))))
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("row index out of range")
        cells = tuple(t[o[i] : o[i + 1]] for t, o in zip(self._texts, self._offsets, strict=True))
        return SourceRow(self.sheet(i), self._numbers[i], cells)

    def __iter__(self) -> Iterator[SourceRow]:
        for start in range(0, len(self), _CHUNK):
            yield from self.rows_at(range(start, min(start + _CHUNK, len(self))))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # equal to tuples, so not hashable

    def __repr__(self) -> str:
        return f"<RowColumns: {len(self):,} rows of {self.width} cells>"

    def sheet(self, i: int) -> str | None:
        """The sheet of row ``i``."""
        return self._sheets[0 if self._sheet_of is None else self._sheet_of[i]]

    def number(self, i: int) -> int:
        """The row number of row ``i`` (as a person sees it)."""
        return self._numbers[i]

    def numbers(self) -> array[int]:
        """Every row's number, in order (the table's own array: do not change it)."""
        return self._numbers

    def sheets_of(self) -> list[str | None]:
        """Every row's sheet, in order."""
        if self._sheet_of is None:
            return [self._sheets[0]] * len(self)
        names = self._sheets
        return [names[s] for s in self._sheet_of]

    def column(self, c: int) -> list[str]:
        """Every row's cell ``c``, in order."""
        t, o = self._texts[c], self._offsets[c]
        return [t[a:b] for a, b in pairwise(o)]

    def column_text(self, c: int) -> tuple[str, array[int]]:
        """Column ``c`` as kept: its cells end to end, and where each starts (then the end)."""
        return self._texts[c], self._offsets[c]

    def row_chars(self) -> npt.NDArray[np.int64]:
        """Each row's cells' length in characters, summed (none of them made)."""
        total = np.zeros(len(self), dtype=np.int64)
        for o in self._offsets:
            ends: npt.NDArray[np.int64] = np.frombuffer(o, dtype=np.int64)
            total += ends[1:] - ends[:-1]
        return total

    def holds(self, text: str) -> bool:
        """Whether any cell holds ``text`` (or two adjacent cells of a column make it)."""
        return any(text in t for t in self._texts)

    def sheet_indices(self) -> npt.NDArray[np.int64]:
        """Each row's sheet as an index into ``sheets`` (all 0 for one sheet)."""
        if self._sheet_of is None:
            return np.zeros(len(self), dtype=np.int64)
        return np.frombuffer(self._sheet_of, dtype=np.int64)

    @property
    def sheets(self) -> tuple[str | None, ...]:
        """The sheet names ``sheet_indices`` index into."""
        return self._sheets

    def joined_chunks(self, size: int, sep: str) -> Iterator[str]:
        """Every row's cells in order (row by row, each row's in column order), ``size``
        rows at a time, each batch one text joined by ``sep``: as ``sep.join`` of the
        cells would give it, without making any cell (the characters are gathered
        into place with numpy, one byte per character when the batch is ASCII)."""
        width = len(self._texts)
        ends = [np.frombuffer(o, dtype=np.int64) for o in self._offsets]
        for s in range(0, len(self), size):
            e = min(s + size, len(self))
            yield _joined(
                [t[o[s] : o[e]] for t, o in zip(self._texts, ends, strict=True)],
                [o[s : e + 1] - o[s] for o in ends],
                e - s,
                width,
                sep,
            )

    def cells_at(self, rows: Iterable[int]) -> list[tuple[str, ...]]:
        """The cells of each row in ``rows`` (indices, any order, repeats allowed)."""
        idx = rows if isinstance(rows, list | range) else list(rows)
        if not self._texts:
            return [()] * len(idx)
        columns = zip(self._texts, self._offsets, strict=True)
        per_column = [[t[o[i] : o[i + 1]] for i in idx] for t, o in columns]
        return list(zip(*per_column, strict=True))

    def rows_at(self, rows: Iterable[int]) -> Iterator[SourceRow]:
        """The ``SourceRow`` of each row in ``rows``, made from the columns."""
        idx = rows if isinstance(rows, list | range) else list(rows)
        numbers, sheet = self._numbers, self.sheet
        for i, cells in zip(idx, self.cells_at(idx), strict=True):
            yield SourceRow(sheet(i), numbers[i], cells)


def _joined(
    segments: list[str], starts: list[npt.NDArray[np.int64]], n: int, width: int, sep: str
) -> str:
    """``n`` rows' cells joined row by row by ``sep`` (one character): column ``c``'s cells
    are ``segments[c]`` end to end, cell ``i`` starting at ``starts[c][i]``."""
    if not n or not width:
        return ""
    lens = np.empty((n, width), dtype=np.int64)
    for c, o in enumerate(starts):
        lens[:, c] = o[1:] - o[:-1]
    step = (lens + 1).ravel()
    at = (np.cumsum(step) - step).reshape(n, width)  # where each cell starts in the text
    narrow = all(t.isascii() for t in segments) and sep.isascii()
    dtype, codec = (np.uint8, "ascii") if narrow else (np.uint32, "utf-32-le")
    out = np.full(int(step.sum()) - 1, ord(sep), dtype=dtype)
    for c, text in enumerate(segments):
        chars = np.frombuffer(text.encode(codec, "surrogatepass"), dtype=dtype)
        if len(chars):
            out[np.repeat(at[:, c] - starts[c][:-1], lens[:, c]) + np.arange(len(chars))] = chars
    return out.tobytes().decode(codec, "surrogatepass")


class ColumnsBuilder:
    """Builds a ``RowColumns`` from rows added in batches (each batch freed by the caller).

    Columns may be added while building (``widen``): the rows before have ``""`` there.
    """

    def __init__(self, width: int) -> None:
        self._parts: list[list[str]] = [[] for _ in range(width)]
        self._offsets: list[array[int]] = [array("q", [0]) for _ in range(width)]
        self._numbers: array[int] = array("q")
        self._sheets: list[str | None] = []
        self._sheet_of: array[int] = array("q")

    @property
    def width(self) -> int:
        """How many columns the rows have."""
        return len(self._parts)

    def __len__(self) -> int:
        return len(self._numbers)

    def widen(self, width: int) -> None:
        """Add empty columns up to ``width``."""
        n = len(self)
        while len(self._parts) < width:
            self._parts.append([])
            self._offsets.append(array("q", bytes(8 * (n + 1))))

    def add(self, sheet: str | None, numbers: Sequence[int], rows: Sequence[Sequence[str]]) -> None:
        """Rows (each exactly ``width`` cells) of ``sheet``, with their row numbers."""
        if not rows:
            return
        width = self.width
        if any(len(r) != width for r in rows):
            raise ValueError(f"every row must have {width} cells")
        # a comprehension per column: zip(*rows) over 65,536 rows is 4x slower
        self.add_columns(sheet, numbers, [[r[c] for r in rows] for c in range(width)])

    def add_columns(
        self, sheet: str | None, numbers: Sequence[int], columns: Sequence[Sequence[str]]
    ) -> None:
        """Rows given as ``width`` columns of cells, with their row numbers."""
        if sheet not in self._sheets:
            self._sheets.append(sheet)
        s = self._sheets.index(sheet)
        self._sheet_of.extend([s] * len(numbers))
        self._numbers.extend(numbers)
        for c, cells in enumerate(columns):
            offsets = self._offsets[c]
            ends = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
            np.cumsum(ends, out=ends)
            ends += offsets[-1]
            offsets.frombytes(ends.tobytes())  # 'q' is int64 in the machine's byte order
            self._parts[c].append("".join(cells))

    def done(self) -> RowColumns:
        """The rows added, as columns."""
        texts = ["".join(p) for p in self._parts]
        sheet_of = self._sheet_of if len(self._sheets) > 1 else None
        sheets = tuple(self._sheets) or (None,)
        return RowColumns(texts, self._offsets, self._numbers, sheets, sheet_of)


def column_cells(rows: Sequence[SourceRow], c: int) -> list[str]:
    """Every row's cell ``c``: from the columns when ``rows`` keeps them, else row by row."""
    if isinstance(rows, RowColumns):
        return rows.column(c)
    return [r.cells[c] for r in rows]


def iter_cells(rows: Sequence[SourceRow], c: int) -> Iterator[str]:
    """Each row's cell ``c`` in turn (a sample of a column without reading all of it)."""
    if isinstance(rows, RowColumns):
        t, o = rows._texts[c], rows._offsets[c]
        return (t[a:b] for a, b in pairwise(o))
    return (r.cells[c] for r in rows)


def row_place(rows: Sequence[SourceRow], r: int) -> tuple[str | None, int]:
    """Row ``r``'s sheet and number, without making the row."""
    if isinstance(rows, RowColumns):
        return rows.sheet(r), rows.number(r)
    row = rows[r]
    return row.sheet, row.number


def rows_cells(rows: Sequence[SourceRow], idx: Sequence[int]) -> list[tuple[str, ...]]:
    """The cells of the rows at ``idx``: from the columns when ``rows`` keeps them."""
    if isinstance(rows, RowColumns):
        return rows.cells_at(idx)
    return [rows[i].cells for i in idx]


def row_places(rows: Sequence[SourceRow]) -> tuple[list[str | None], list[int]]:
    """Every row's sheet and number, in order, without making the rows."""
    if isinstance(rows, RowColumns):
        return rows.sheets_of(), rows.numbers().tolist()
    return [r.sheet for r in rows], [r.number for r in rows]


def row_sheets(rows: Sequence[SourceRow]) -> list[str | None]:
    """The sheets the rows are of, each once, in order of first appearance (no row made)."""
    if isinstance(rows, RowColumns):
        used, first = np.unique(rows.sheet_indices(), return_index=True)
        return [rows.sheets[s] for s in used[np.argsort(first)].tolist()]
    return list(dict.fromkeys(r.sheet for r in rows))
