"""The plan's lines as columns: from a table's key columns to a ``core.lines.Lines``.

Each key column is factorised into its distinct cells (pandas), the fast paths
judge all of them at once (``fastpath``, pyarrow), and only the cells they
leave go through ``cellkeys``, each once. A row's keys are the union over its
key columns of a type (each distinct combination of cells joined once);
lines, statuses and duplicates are then integer arrays (numpy): the first
line of a normalised key (per key type) is ready, later ones are
duplicates of its row. pandas is imported when the first plan is made, not
with the package: the commands that never plan (verify, retry, history)
start ~0.2 s sooner.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from itertools import compress, repeat

import numpy as np
import numpy.typing as npt

from ..core.codes import Reason
from ..core.lines import (
    DUPLICATE,
    HELD,
    INVALID,
    KEY_TYPES,
    READY,
    ROW_CODES,
    ROW_STATUS,
    Int8Array,
    IntArray,
    KeyEntries,
    Lines,
)
from ..core.records import ColumnRule, InputTable, KeyColumn, KeyType, SourceRow
from ..core.table import column_cells
from .cellkeys import Entry, emails_only, entries_by_cell, split_fast
from .cells import email_keys, phone_keys, trim
from .factorize import column_values
from .factorize import factorize_cells as factorize_cells  # its former home, still read
from .fastpath import plain_email_cells, plus_layout_cells
from .plusnumbers import plus_number_verdicts
from .rowskips import filtered_out, skipped_rows, untyped, untyped_rows
from .transcend import PullShape
from .validate import (
    UNKNOWN_RANGE,
    Check,
    PhoneForm,
    check_email,
    check_phone,
    fast_paths_agree,
)


class _Keys:
    """The distinct keys of the plan's key columns, gathered as columns (``KeyEntries``)."""

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.columns = columns
        self.key: list[str] = []
        self.norm: list[str] = []
        self.written: list[str] = []
        # compact arrays, not lists: 1 or 4 bytes per key instead of 8
        self.key_type: array[int] = array("b")
        self.column: array[int] = array("i")
        self.invalid: array[int] = array("b")
        self.problem: dict[int, tuple[Reason | None, str]] = {}

    def add_fast(
        self, kt: int, col: int, keys: list[str], norms: list[str], written: list[str]
    ) -> int:
        """Keys the fast paths decided (usable, no message); the index of the first."""
        first = len(self.key)
        self.key += keys
        self.norm += norms
        self.written += written
        self.key_type.extend(repeat(kt, len(keys)))
        self.column.extend(repeat(col, len(keys)))
        self.invalid.extend(repeat(0, len(keys)))
        return first

    def add(self, kt: int, col: int, e: Entry) -> int:
        key, norm, code, msg, written, _ = e
        k = len(self.key)
        self.key.append(key)
        self.norm.append(norm)
        self.written.append(written)
        self.key_type.append(kt)
        self.column.append(col)
        self.invalid.append(code is not None)
        if code is not None or msg:
            self.problem[k] = (code, msg)
        return k

    def done(self) -> KeyEntries:
        return KeyEntries(
            self.key,
            self.norm,
            self.written,
            np.frombuffer(self.key_type, dtype=np.int8).copy(),
            np.frombuffer(self.column, dtype=np.int32).copy(),
            np.frombuffer(self.invalid, dtype=np.int8).astype(np.bool_),
            self.problem,
            self.columns,
        )


# A key type's keys per row: row -> id of its set of keys; set -> (start, length) in
# ``items`` (indices of ``_Keys``), or in ``_Keys`` itself when ``items`` is None.
_Group = tuple[IntArray, IntArray, IntArray, IntArray | None]


def _column_keys(
    table: InputTable,
    kc: KeyColumn,
    keys: _Keys,
    region: str | None,
    phone_form: PhoneForm,
    caches: tuple[dict[str, Check] | None, dict[str, bool | None]],
    typed: PullShape | None,
) -> tuple[IntArray, IntArray, IntArray]:
    """Each row's cell of one key column as an id, and each distinct cell's keys in ``keys``.

    The fast paths decide whole columns of distinct cells at once (``fastpath``);
    the cells they leave go through ``_entries_by_cell``, each once.
    """
    import pandas as pd  # when a plan is made (module docstring)

    i = table.columns.index(kc.name)
    shared, memo = caches
    arrow = None
    if typed is None or kc.rule is not ColumnRule.TYPED:
        codes, cells, arrow = column_values(table.rows, i)
    else:
        codes, uniques = pd.factorize(_cells_of(table, i, kc, typed))
        cells = uniques.tolist()
    kt = KEY_TYPES.index(kc.key_type)
    col = keys.columns.index(kc.name)
    start = np.zeros(len(cells), dtype=np.int32)
    length = np.zeros(len(cells), dtype=np.int32)
    fast = np.zeros(len(cells), dtype=np.bool_)
    if fast_paths_agree() and cells:
        if kc.key_type is KeyType.EMAIL:
            fast, norms = plain_email_cells(cells, arrow)
            chosen = list(compress(cells, fast))
            sent = chosen
        else:
            fast, numbers, number_of = plus_layout_cells(cells, arrow)
            # per taken cell: 1 valid, 0 in a range the library does not know, -1 undecided
            verdict = plus_number_verdicts(numbers)
            verdict = verdict[number_of] if len(numbers) else verdict
            decided = verdict >= 0
            fast[np.flatnonzero(fast)[~decided]] = False
            chosen = list(compress(cells, fast))
            norms = np.array(numbers, dtype=object)[number_of[decided]].tolist()
            sent = norms if phone_form is PhoneForm.VENDOR else chosen
            unknown = np.flatnonzero(verdict[decided] == 0).tolist()
        first = keys.add_fast(kt, col, sent, norms, chosen)
        start[fast] = np.arange(first, first + len(chosen), dtype=np.int32)
        length[fast] = 1
        if kc.key_type is KeyType.TELEPHONE:
            for j in unknown:
                keys.problem[first + j] = (None, UNKNOWN_RANGE)
        arrow = None  # its buffers go back with the kernels' own
        _release_arrow()
    slow = np.flatnonzero(~fast).tolist()
    if slow:
        if kc.key_type is KeyType.EMAIL:
            split = emails_only if kc.rule is ColumnRule.IDENTIFIER else email_keys
            check: Callable[[str], Check] = check_email
        else:

            def check(k: str) -> Check:
                return check_phone(k, region, memo, form=phone_form)

            split = phone_keys
        if kc.rule is ColumnRule.TYPED:
            split = one_key  # a pulled identifier is one key, whatever it holds
        left = {cells[u] for u in slow}
        by_cell = {}
        if fast_paths_agree():  # most cells left are a plain key with spaces around it
            by_cell = split_fast(left, kc.name, split, kc.key_type, phone_form)
            left.difference_update(by_cell)
        by_cell.update(entries_by_cell(left, kc.name, split, check, shared))
        for u in slow:
            entries = by_cell[cells[u]]
            start[u] = len(keys.key)
            length[u] = len(entries)
            for e in entries:
                keys.add(kt, col, e)
    return codes.astype(np.int32), start, length


def _release_arrow() -> None:
    """Give the memory of the fast paths' arrow buffers back: arrow's allocator keeps
    freed blocks for reuse (~90 MB after a million-cell column), which the plan's own
    columns then sit on top of."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def one_key(cell: str) -> list[str]:
    """A typed identifier cell as one key, trimmed (none when the cell is blank)."""
    text = trim(cell)
    return [text] if text else []


def _cells_of(
    table: InputTable, i: int, kc: KeyColumn, typed: PullShape | None
) -> npt.NDArray[np.object_]:
    """Column ``i``'s cells; of a typed column (a pull file's ``identifier``), only the
    cells of rows whose type names ``kc``'s key type, the others empty."""
    rows = table.rows
    cells = column_cells(rows, i)
    if typed is None or kc.rule is not ColumnRule.TYPED:
        return np.fromiter(cells, dtype=object, count=len(rows))
    t = table.columns.index(typed.type)
    kind = typed.key_type
    return np.fromiter(
        (
            c if kind(k) is kc.key_type else ""
            for c, k in zip(cells, column_cells(rows, t), strict=True)
        ),
        dtype=object,
        count=len(rows),
    )


def _type_group(
    table: InputTable,
    columns: list[KeyColumn],
    keys: _Keys,
    region: str | None,
    phone_form: PhoneForm,
    typed: PullShape | None,
) -> _Group:
    """The keys of each row for one key type: over several columns, their union, each once."""
    import pandas as pd  # when a plan is made (module docstring)

    memo: dict[str, bool | None] = {}
    shared: dict[str, Check] | None = {} if len(columns) > 1 else None
    parts = [
        _column_keys(table, kc, keys, region, phone_form, (shared, memo), typed) for kc in columns
    ]
    if len(parts) == 1:
        codes, start, length = parts[0]
        return codes, start, length, None
    # Several columns: each distinct combination of their cells is joined once.
    combined = np.zeros(len(table.rows), dtype=np.int64)
    for codes, _, _ in parts:
        combined, _ = pd.factorize(combined * (int(codes.max(initial=0)) + 1) + codes)
    combos, first_row = np.unique(combined, return_index=True)
    items: list[int] = []
    starts = np.zeros(len(combos), dtype=np.int32)
    lengths = np.zeros(len(combos), dtype=np.int32)
    norm, problem = keys.norm, keys.problem
    for c, r in zip(combos.tolist(), first_row.tolist(), strict=True):
        found = [
            k
            for codes, start, length in parts
            for k in range(int(start[codes[r]]), int(start[codes[r]] + length[codes[r]]))
        ]
        if len(found) > 1:  # each key once, the first kept (as _once)
            once: dict[str, int] = {}
            for k in found:
                code = problem.get(k, (None, ""))[0]
                once.setdefault(norm[k] if code is None else "\0" + keys.key[k], k)
            found = list(once.values())
        starts[c], lengths[c] = len(items), len(found)
        items += found
    return (
        combined.astype(np.int32),
        starts,
        lengths,
        np.array(items, dtype=np.int32),
    )


def plan_lines(
    table: InputTable,
    key_columns: Sequence[KeyColumn],
    region: str | None,
    filters: list[tuple[int, str, str]],
    several: bool,
    phone_form: PhoneForm,
    gate: tuple[Int8Array, Callable[[SourceRow], str]] | None = None,
    *,
    typed: PullShape | None = None,
) -> Lines:
    """Every line of ``table``; ``gate`` gives, per row, why it is skipped or held (an
    index into ``ROW_CODES``) and its message (``rowgate``); --where comes first, then
    ``typed`` (a Transcend pull file): its lines of an identifier type not sent are
    skipped (``identifier_type``)."""
    import pandas as pd  # when a plan is made (module docstring)

    rows = table.rows
    n = len(rows)
    keys = _Keys(tuple(dict.fromkeys(k.name for k in key_columns)))
    groups = [
        _type_group(
            table, [k for k in key_columns if k.key_type is kt], keys, region, phone_form, typed
        )
        for kt in KeyType
        if any(k.key_type is kt for k in key_columns)
    ]
    entries = keys.done()
    # Lines of a row: its keys of each type in turn (emails first), or one line without a key.
    counts = [length[tid] for tid, _, length, _ in groups]
    total = np.sum(counts, axis=0) if counts else np.zeros(n, dtype=np.int32)
    per_row = np.maximum(total, 1)
    row_of = np.repeat(np.arange(n, dtype=np.int32), per_row)
    pos = np.arange(len(row_of), dtype=np.int32) - (np.cumsum(per_row) - per_row)[row_of]
    entry_of = np.full(len(row_of), -1, dtype=np.int32)
    before = np.zeros(n, dtype=np.int32)
    for (tid, start, _, items), count in zip(groups, counts, strict=True):
        lo = before[row_of]
        mine = (pos >= lo) & (pos < lo + count[row_of])
        at = start[tid[row_of[mine]]] + (pos[mine] - lo[mine])
        entry_of[mine] = at if items is None else items[at]
        before += count
    # Status: skipped by --where, else invalid, else the first of its key ready, later ones
    # duplicates (compared on the normalised form, per key type).
    filtered = skipped_rows(table, filters)
    row_code = np.zeros(n, dtype=np.int8) if gate is None else gate[0].copy()
    row_code[untyped_rows(table, typed)] = ROW_CODES.index(Reason.IDENTIFIER_TYPE)
    row_code[filtered] = ROW_CODES.index(Reason.SKIPPED_FILTER)
    line_code = row_code[row_of]
    gated = line_code > 0
    keyed = entry_of >= 0
    invalid = ~keyed
    invalid[keyed] = entries.invalid[entry_of[keyed]]
    invalid &= ~gated
    status = np.full(len(row_of), READY, dtype=np.int8)
    status[invalid] = INVALID
    status[gated] = np.array(ROW_STATUS, dtype=np.int8)[line_code[gated]]
    first_of = np.full(len(row_of), -1, dtype=np.int32)
    usable: IntArray = np.flatnonzero(status == READY).astype(np.int32)
    key_of = np.zeros(0, dtype=np.int64)
    if len(usable):
        norm_ids, _ = pd.factorize(np.array(entries.norm, dtype=object))
        key_of = norm_ids.astype(np.int64) * len(KEY_TYPES) + entries.key_type
        usable = _held_elsewhere(status, first_of, row_of, entry_of, entries, line_code, key_of)
    if len(usable):
        seen, firsts = pd.factorize(key_of[entry_of[usable]])
        first_line = usable[np.unique(seen, return_index=True)[1]][seen]
        dup = first_line != usable
        status[usable[dup]] = DUPLICATE
        first_of[usable[dup]] = row_of[first_line[dup]]
        del firsts

    def reason(row: SourceRow) -> str:
        return (
            filtered_out(row, filters)
            or untyped(row, table.columns, typed)
            or (gate[1](row) if gate is not None else "")
        )

    return Lines(rows, row_of, entry_of, status, first_of, entries, reason, several, row_code)


def _held_elsewhere(
    status: npt.NDArray[np.int8],
    first_of: IntArray,
    row_of: IntArray,
    entry_of: IntArray,
    entries: KeyEntries,
    line_code: Int8Array,
    key_of: npt.NDArray[np.int64],
) -> IntArray:
    """Hold the ready lines whose key a hold row holds: anonymizing a key reaches every
    record under it, the held person's too. Each such line's ``first_of`` is the first
    hold row of its key. The lines still ready, in order."""
    usable = np.flatnonzero(status == READY).astype(np.int32)
    held = np.flatnonzero(line_code == ROW_CODES.index(Reason.HOLD)).astype(np.int32)
    held = held[entry_of[held] >= 0]
    held = held[~entries.invalid[entry_of[held]]]
    if not len(held) or not len(usable):
        return usable
    first_hold: dict[int, int] = {}
    for k, r in zip(key_of[entry_of[held]].tolist(), row_of[held].tolist(), strict=True):
        first_hold.setdefault(k, r)
    hit = np.array([k in first_hold for k in key_of[entry_of[usable]].tolist()], dtype=np.bool_)
    if not hit.any():
        return usable
    lines = usable[hit]
    status[lines] = HELD
    first_of[lines] = [first_hold[k] for k in key_of[entry_of[lines]].tolist()]
    return usable[~hit]
