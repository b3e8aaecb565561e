"""The planned lines kept as columns: a ``Sequence[Line]`` that builds a ``Line`` only when asked.

A million-row sheet plans about two million lines. As frozen records they
cost ~7 s and ~500 MB before anything is sent; as a few integer arrays over
the input rows and the distinct keys they cost ~30 MB, and a ``Line`` is made
when a stage takes it (the sender, the journal, the report). ``input.columnar``
builds them; every stage reads them as the records they stand for, and the
counts a run shows before sending come from the columns (``status_counts``,
``code_counts``) without making any ``Line``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from .codes import Reason
from .records import KeyType, Line, SourceRow, Status
from .table import RowColumns, row_place, row_places, row_sheets, rows_cells

NO_KEY = "no email or telephone in this row"

#: ``Lines.status`` holds an index into this tuple
STATUSES = (Status.READY, Status.INVALID, Status.DUPLICATE, Status.SKIPPED, Status.HELD)
READY, INVALID, DUPLICATE, SKIPPED, HELD = range(len(STATUSES))
#: ``Lines.row_code`` holds an index into this tuple: why a row's lines are skipped or held
#: (0: they are not); the first two skip the row, the next two hold it, and
#: ``identifier_type`` (a Transcend pull line of a type not sent) skips it.
ROW_CODES = (None, Reason.SKIPPED_FILTER, Reason.NOT_ERASURE, Reason.HOLD,
             Reason.IDENTITY_UNVERIFIED, Reason.IDENTIFIER_TYPE)  # fmt: skip
ROW_STATUS = (READY, SKIPPED, SKIPPED, HELD, HELD, SKIPPED)
#: ``KeyEntries.key_type`` holds an index into this tuple
KEY_TYPES = tuple(KeyType)

_SEP = "\x1f"  # the separator of the plan digest's text (``state.format``)
_CHUNK = 65_536  # lines whose columns become Python lists at once while iterating

# The setters of Line's slots, in field order (``Lines._build`` sets every one).
_FIELDS = ("index", "sheet", "source_row", "key_type", "key", "norm", "status", "code",
           "message", "cells", "written", "source_column")  # fmt: skip
if tuple(f.name for f in fields(Line)) != _FIELDS:
    raise RuntimeError("Line's fields changed: Lines._build must set every one")
_SETTERS = tuple(getattr(Line, name).__set__ for name in _FIELDS)

IntArray = npt.NDArray[np.int32]
Int8Array = npt.NDArray[np.int8]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False, slots=True)
class KeyEntries:
    """Every distinct key of every key column, once: what a line of that key says.

    ``problem`` holds the code and message of the entries that carry one (an
    invalid key's reason, or a warning on a usable key); the others have none.
    """

    key: list[str]  # as sent
    norm: list[str]  # normalised, to find duplicates
    written: list[str]  # as written in its cell piece
    key_type: npt.NDArray[np.int8]  # index into KEY_TYPES
    column: IntArray  # index into ``columns``
    invalid: BoolArray  # the key cannot be sent (its problem says why)
    problem: dict[int, tuple[Reason | None, str]]
    columns: tuple[str, ...]


class Lines(Sequence[Line]):
    """The plan's lines, in order, as columns over the input rows and the distinct keys.

    Line ``i`` is of row ``rows[row_of[i]]`` and key ``entry_of[i]`` of
    ``entries`` (-1: the row holds no key); ``status`` indexes ``STATUSES``;
    a duplicate's ``first_of`` is the row of the first line with its key; a line held
    because its key is held on another row (its own row is not) has that row there.
    ``row_code`` says, per row, why its lines are skipped or held (an index into
    ``ROW_CODES``; None: none is); ``skip_reason`` words it (made when asked).
    Immutable: building a ``Line`` twice gives equal records.
    """

    __slots__ = (
        "entries",
        "entry_of",
        "first_of",
        "row_code",
        "row_of",
        "rows",
        "several_sheets",
        "skip_reason",
        "status",
    )

    def __init__(
        self,
        rows: Sequence[SourceRow],
        row_of: IntArray,
        entry_of: IntArray,
        status: npt.NDArray[np.int8],
        first_of: IntArray,
        entries: KeyEntries,
        skip_reason: Callable[[SourceRow], str],
        several_sheets: bool,
        row_code: npt.NDArray[np.int8] | None = None,
    ) -> None:
        self.rows = rows
        self.row_of = row_of
        self.entry_of = entry_of
        self.status = status
        self.first_of = first_of
        self.entries = entries
        self.skip_reason = skip_reason
        self.several_sheets = several_sheets
        if row_code is None:  # every skipped row left out by --where
            row_code = np.zeros(len(rows), dtype=np.int8)
            row_code[np.unique(row_of[status == SKIPPED])] = 1
        self.row_code = row_code
        for a in (row_of, entry_of, status, first_of, row_code):
            a.flags.writeable = False

    def __len__(self) -> int:
        return len(self.row_of)

    @overload
    def __getitem__(self, i: int) -> Line: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[Line, ...]: ...
    def __getitem__(self, i: int | slice) -> Line | tuple[Line, ...]:
        if isinstance(i, slice):
            return tuple(self._make(j) for j in range(*i.indices(len(self))))
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("line index out of range")
        return self._make(i)

    def _make(self, i: int) -> Line:
        """Line ``i`` alone, read by scalar indexing (a run takes one per finished key)."""
        k = int(self.entry_of[i])
        kt, col = (int(self.entries.key_type[k]), int(self.entries.column[k])) if k >= 0 else (0, 0)
        at = ([i], [int(self.row_of[i])], [k], [int(self.status[i])], [int(self.first_of[i])])
        return next(self._lines(*at, [kt], [col]))

    def __iter__(self) -> Iterator[Line]:
        for start in range(0, len(self), _CHUNK):
            yield from self._build(np.arange(start, min(start + _CHUNK, len(self))))

    def _build(self, idx: npt.NDArray[np.integer[Any]]) -> Iterator[Line]:
        """The lines at ``idx`` (ascending), made from their columns."""
        e = self.entries
        entry_at = self.entry_of[idx]
        if len(e.key):
            kts = e.key_type[entry_at.clip(0)].tolist()
            cols = e.column[entry_at.clip(0)].tolist()
        else:  # no row holds a key
            kts = cols = [0] * len(idx)
        return self._lines(
            idx.tolist(),
            self.row_of[idx].tolist(),
            entry_at.tolist(),
            self.status[idx].tolist(),
            self.first_of[idx].tolist(),
            kts,
            cols,
        )

    def _lines(
        self,
        index: list[int],
        row_of: list[int],
        entry_of: list[int],
        status: list[int],
        first_of: list[int],
        kts: list[int],
        cols: list[int],
    ) -> Iterator[Line]:
        """A ``Line`` for each position of these per-line columns."""
        rows, e, row_code = self.rows, self.entries, self.row_code
        keys, norms, written, columns = e.key, e.norm, e.written, e.columns
        problem = e.problem.get
        no_problem: tuple[Reason | None, str] = (None, "")
        new = object.__new__
        s_index, s_sheet, s_row, s_type, s_key, s_norm = _SETTERS[:6]
        s_status, s_code, s_message, s_cells, s_written, s_column = _SETTERS[6:]
        # each row's cells once, even when it has several lines (they share the tuple)
        at = list(dict.fromkeys(row_of))
        made = dict(zip(at, rows_cells(rows, at), strict=True))
        for j, (r, k, s) in enumerate(zip(row_of, entry_of, status, strict=True)):
            sheet, number = row_place(rows, r)
            code: Reason | None
            if k < 0:
                if s in (SKIPPED, HELD):
                    code, msg = ROW_CODES[row_code[r]], self.skip_reason(rows[r])
                else:
                    code, msg = Reason.NO_KEY, NO_KEY
                kt, key, norm, wr, col = None, "", "", "", ""
            else:
                if s in (SKIPPED, HELD) and row_code[r]:
                    code, msg = ROW_CODES[row_code[r]], self.skip_reason(rows[r])
                elif s == HELD:  # its key is held on another row (first_of)
                    code, msg = Reason.HOLD, self._held_on(first_of[j])
                elif s == DUPLICATE:
                    code, msg = Reason.DUPLICATE, self._duplicate_of(first_of[j])
                else:
                    code, msg = problem(k, no_problem)
                kt, key, norm = KEY_TYPES[kts[j]], keys[k], norms[k]
                wr, col = written[k], columns[cols[j]]
            # Line(...) field by field through its slots: a frozen dataclass's __init__
            # (object.__setattr__ per field) costs twice as much, on every line a run takes
            line = new(Line)
            s_index(line, index[j])
            s_sheet(line, sheet)
            s_row(line, number)
            s_type(line, kt)
            s_key(line, key)
            s_norm(line, norm)
            s_status(line, STATUSES[s])
            s_code(line, code)
            s_message(line, msg)
            s_cells(line, made[r])
            s_written(line, wr)
            s_column(line, col)
            yield line

    def _held_on(self, r: int) -> str:
        sheet, number = row_place(self.rows, r)
        where = f"row {number}"
        if self.several_sheets and sheet is not None:
            where += f" (sheet {sheet})"
        return f"held: the same key is held on {where}: {self.skip_reason(self.rows[r])}"

    def _duplicate_of(self, r: int) -> str:
        sheet, number = row_place(self.rows, r)
        msg = f"duplicate of row {number}"
        if self.several_sheets and sheet is not None:
            msg += f" (sheet {sheet})"
        return msg

    # -- what the columns tell without making lines ------------------------------------

    def status_counts(self) -> Counter[Status]:
        """How many lines have each status."""
        counts = np.bincount(self.status, minlength=len(STATUSES)).tolist()
        return Counter({STATUSES[i]: n for i, n in enumerate(counts) if n})

    def code_counts(self) -> Counter[Reason]:
        """How many lines carry each code (``Line.code``), as counting the lines would give."""
        out: Counter[Reason] = Counter()
        gated = (self.status == SKIPPED) | (self.status == HELD)
        if gated.any():
            codes = self.row_code[self.row_of[gated]]
            # a line held for its key, on a row that is not held itself: hold
            codes = np.where(codes == 0, ROW_CODES.index(Reason.HOLD), codes)
            by_code = np.bincount(codes, minlength=len(ROW_CODES))
            for i, n in enumerate(by_code.tolist()):
                code = ROW_CODES[i]
                if n and code is not None:
                    out[code] = n
        n_duplicate = int((self.status == DUPLICATE).sum())
        if n_duplicate:
            out[Reason.DUPLICATE] = n_duplicate
        keyed = self.entry_of >= 0
        bare = (~keyed) & (self.status == INVALID)
        if bare.any():
            out[Reason.NO_KEY] = int(bare.sum())
        # the other codes are the entries' own, on the invalid and ready lines
        with_own = keyed & ((self.status == INVALID) | (self.status == READY))
        problem = self.entries.problem
        if problem:
            flagged = np.zeros(len(self.entries.key), dtype=np.bool_)
            flagged[list(problem)] = True
            sel = self.entry_of[with_own]
            sel = sel[flagged[sel]]
            for k, n in zip(*np.unique(sel, return_counts=True), strict=True):
                code = problem[int(k)][0]
                if code is not None:
                    out[code] += int(n)
        return out

    def indices(self, status: Status) -> IntArray:
        """The indices of the lines with ``status``, in order (none for a status no plan gives)."""
        if status not in STATUSES:
            return np.zeros(0, dtype=np.int32)
        return np.flatnonzero(self.status == STATUSES.index(status)).astype(np.int32)

    def at(
        self, indices: Sequence[int] | npt.NDArray[np.integer[Any]], chunk: int = _CHUNK
    ) -> Iterator[Line]:
        """The lines at ``indices``, in that order, each made when taken (``chunk`` at a
        time: their rows' cells are made together)."""
        chosen = np.asarray(indices, dtype=np.int64)
        for start in range(0, len(chosen), chunk):
            yield from self._build(chosen[start : start + chunk])

    def having(self, status: Status) -> Iterator[Line]:
        """The lines with ``status``, in order, each made when taken."""
        chosen = self.indices(status)
        for start in range(0, len(chosen), _CHUNK):
            yield from self._build(chosen[start : start + _CHUNK])

    def fields(self) -> dict[str, list[Any]]:
        """Every field of every line but ``cells``, one list per field (as ``[getattr(ln, f)
        for ln in lines]`` gives it, enums as their text, ``None`` as ``""``), from the
        columns: what a digest of all lines reads, without making two million records.
        The cells, the bulk of the input, are read a batch at a time
        (``line_cells_chunks``)."""
        rows, e = self.rows, self.entries
        row_of, entry_of, status = self.row_of, self.entry_of, self.status
        keyed = entry_of >= 0

        def per_row(values: list[Any]) -> npt.NDArray[np.object_]:
            return np.array(values, dtype=object)[row_of]

        def per_entry(values: list[Any]) -> npt.NDArray[np.object_]:
            return np.array([*values, ""], dtype=object)[entry_of]  # -1: no key, ""

        codes = [""] * len(e.key)
        messages = [""] * len(e.key)
        for k, (c, m) in e.problem.items():
            codes[k], messages[k] = c or "", m
        code = per_entry(codes)
        message = per_entry(messages)
        code[~keyed] = Reason.NO_KEY.value
        message[~keyed] = NO_KEY
        dup = np.flatnonzero(status == DUPLICATE)
        code[dup] = Reason.DUPLICATE.value
        message[dup] = [self._duplicate_of(r) for r in self.first_of[dup].tolist()]
        skipped = np.flatnonzero((status == SKIPPED) | (status == HELD))
        row_codes = np.array([c.value if c else "" for c in ROW_CODES], dtype=object)
        code[skipped] = row_codes[self.row_code[row_of[skipped]]]
        reasons = {r: self.skip_reason(rows[r]) for r in set(row_of[skipped].tolist())}
        message[skipped] = [reasons[r] for r in row_of[skipped].tolist()]
        by_key = skipped[self.row_code[row_of[skipped]] == 0]  # held for a key held elsewhere
        code[by_key] = Reason.HOLD.value
        message[by_key] = [self._held_on(r) for r in self.first_of[by_key].tolist()]
        types = np.array([*(t.value for t in KEY_TYPES), ""], dtype=object)
        sheets, numbers = row_places(rows)
        return {
            "index": list(range(len(self))),
            "sheet": per_row([s or "" for s in sheets]).tolist(),
            "source_row": per_row(numbers).tolist(),
            "key_type": types[np.where(keyed, e.key_type[entry_of.clip(0)], -1)].tolist()
            if len(e.key)
            else [""] * len(self),
            "key": per_entry(e.key).tolist(),
            "norm": per_entry(e.norm).tolist(),
            "status": np.array([s.value for s in STATUSES], dtype=object)[status].tolist(),
            "code": code.tolist(),
            "message": message.tolist(),
            "written": per_entry(e.written).tolist(),
            "source_column": per_entry(
                list(np.array(e.columns or ("",), dtype=object)[e.column])
            ).tolist(),
        }

    def cells_shape(self) -> tuple[list[int], int, bool] | None:
        """Without making any cell: each line's number of cells, the length of all
        lines' cells (in order) joined by one separator character, and whether any cell
        holds ``_SEP``; None when the rows are not kept as columns."""
        rows = self.rows
        if not isinstance(rows, RowColumns):
            return None
        count = len(self) * rows.width
        chars = int(rows.row_chars()[self.row_of].sum()) + max(count - 1, 0)
        return [rows.width] * len(self), chars, rows.holds(_SEP)

    def line_cells_chunks(self) -> Iterator[list[tuple[str, ...]]]:
        """Each line's row cells, in order, a batch of lines at a time (the rows of one
        batch made once each): what a digest of every cell reads in bounded memory."""
        for start in range(0, len(self), _CHUNK):
            row_of = self.row_of[start : start + _CHUNK].tolist()
            at = list(dict.fromkeys(row_of))
            made = dict(zip(at, rows_cells(self.rows, at), strict=True))
            yield [made[r] for r in row_of]

    def any_sheet(self) -> bool:
        """Whether any line is of a named sheet (a workbook's)."""
        return any(s is not None for s in row_sheets(self.rows))
