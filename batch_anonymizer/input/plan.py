"""From an ``InputTable`` to a ``Plan``: every key of every row as a ``Line``.

Emails are sent as written (trimmed, unwrapped); telephones in the vendor's
stored form (``validate``); normalised forms find duplicates. Every input
row yields at least one ``Line``; per-row problems are coded lines, never
exceptions. ``columns`` chooses the key columns once per table (and finds the
columns --where names); a row's keys are the union over its key columns, each
key once.

The plan is made as columns, not row by row: each key column is factorised
into distinct cells (pandas), the fast paths judge all of them at once
(``fastpath``, pyarrow), and only the cells they leave are split (``cells``)
and validated (``validate``), each once. Lines, statuses and duplicates are
then integer arrays (numpy) in a ``core.lines.Lines``, which makes a ``Line``
only when a stage takes it. pandas is imported when the first plan is made,
not with the package: the commands that never plan (verify, retry, history)
start ~0.2 s sooner.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from itertools import compress

import numpy as np
import phonenumbers

from ..core.codes import Reason
from ..core.errors import InputError
from ..core.gcpause import gc_paused
from ..core.lines import (
    DUPLICATE,
    INVALID,
    KEY_TYPES,
    READY,
    SKIPPED,
    BoolArray,
    IntArray,
    KeyEntries,
    Lines,
)
from ..core.records import (
    ColumnRule,
    InputTable,
    KeyColumn,
    KeyType,
    Line,
    Plan,
    SourceRow,
    Status,
)
from ..core.text import printable, safe_message
from .cells import MAX_KEY_CELL_CHARS, MAX_KEYS_PER_CELL, email_keys, phone_keys
from .columns import choose_key_columns, where_column
from .fastpath import plain_email_cells, plus_layout_cells, plus_number_valid
from .headers import DATE_RECEIVED_HEADERS, EXTENSION_HEADERS, REQUEST_ID_HEADERS, find_by_header
from .scripts import mixed_scripts
from .validate import (
    UNKNOWN_RANGE,
    Check,
    KeyWarning,
    PhoneForm,
    check_email,
    check_phone,
    fast_paths_agree,
)

TOO_MANY = (
    f"the cell holds more than {MAX_KEYS_PER_CELL:,} keys; nothing of it is sent: "
    "put each person's keys on a row of their own"
)
TOO_LONG = (
    "the cell holds {chars:,} characters, more than the "
    f"{MAX_KEY_CELL_CHARS:,} a cell of keys may hold; nothing of it is sent: "
    "put each person's keys on a row of their own"
)

# (code, singular, plural) in the order problems are listed
_PHRASES = (
    (Reason.INVALID_EMAIL, "invalid email", "invalid emails"),
    (Reason.INVALID_TELEPHONE, "invalid telephone number", "invalid telephone numbers"),
    (
        Reason.PHONE_LOST_DIGITS,
        "telephone that lost digits in Excel",
        "telephones that lost digits in Excel",
    ),
    (
        Reason.PHONE_LEADING_ZERO_LOST,
        "telephone missing its leading 0",
        "telephones missing their leading 0",
    ),
    (
        Reason.PHONE_NEEDS_REGION,
        "national telephone number without --default-region",
        "national telephone numbers without --default-region",
    ),
    (
        Reason.TOO_MANY_KEYS,
        f"cell with more than {MAX_KEYS_PER_CELL:,} keys",
        f"cells with more than {MAX_KEYS_PER_CELL:,} keys",
    ),
    (Reason.NO_KEY, "row without email or telephone", "rows without email or telephone"),
    (Reason.DUPLICATE, "duplicate", "duplicates"),
    (Reason.SKIPPED_FILTER, "line skipped by --where", "lines skipped by --where"),
)


def make_plan(
    table: InputTable,
    *,
    email_columns: Sequence[str] = (),
    phone_columns: Sequence[str] = (),
    ignore_columns: Sequence[str] = (),
    default_region: str | None = None,
    where: Sequence[tuple[str, str]] = (),
    phone_form: PhoneForm = PhoneForm.VENDOR,
    request_column: str | None = None,
    received_column: str | None = None,
    extension_column: str | None = None,
) -> Plan:
    """Every key of every row as a ``Line``: ready, invalid, duplicate or skipped.

    A row's keys are the union over its key columns (``columns``), each key
    once (in the first column holding it); email lines come before telephone
    lines. A row without any key gives one ``no_key`` line. The first
    occurrence of a key is ready, later rows' are duplicates of it. ``where``
    keeps only rows whose named columns equal the values (trimmed,
    case-insensitive). Telephones are sent in the vendor's form unless
    ``phone_form`` says as written. The request-id, date-received and
    extension columns are found by header unless named. Raises ``InputError``
    for an unknown column or region, or a table without key columns (its
    message ``printable``).
    """
    try:
        return _make_plan(
            table,
            email_columns,
            phone_columns,
            ignore_columns,
            default_region,
            where,
            phone_form,
            (request_column, received_column, extension_column),
        )
    except InputError as e:
        raise safe_message(e) from None
    except MemoryError:
        raise InputError(
            f"planning {printable(table.path.name)} needs more memory than this machine has; "
            "split it into smaller files"
        ) from None


def _make_plan(
    table: InputTable,
    email_columns: Sequence[str],
    phone_columns: Sequence[str],
    ignore_columns: Sequence[str],
    default_region: str | None,
    where: Sequence[tuple[str, str]],
    phone_form: PhoneForm,
    named: tuple[str | None, str | None, str | None],
) -> Plan:
    request_column, received_column, extension_column = named
    cols = table.columns
    choice = choose_key_columns(
        cols,
        table.rows,
        email_columns=email_columns,
        phone_columns=phone_columns,
        ignore_columns=ignore_columns,
    )
    region = _region(default_region)
    rid = _named(cols, request_column, "--request-column") or find_by_header(
        cols, REQUEST_ID_HEADERS
    )
    received = _named(cols, received_column, "--received-column") or find_by_header(
        cols, DATE_RECEIVED_HEADERS
    )
    extension = _named(cols, extension_column, "--extension-column") or find_by_header(
        cols, EXTENSION_HEADERS
    )
    filters = [(where_column(cols, c), cols[where_column(cols, c)], v) for c, v in where]
    several = len(table.sheets) > 1
    with gc_paused():
        lines = _plan(table, choice.key_columns, region, filters, several, phone_form)
    firsts = {k.key_type: k.name for k in reversed(choice.key_columns)}
    return Plan(
        table,
        firsts.get(KeyType.EMAIL),
        firsts.get(KeyType.TELEPHONE),
        lines,
        choice.key_columns,
        choice.rejected,
        rid,
        received,
        extension,
    )


def _named(columns: Sequence[str], name: str | None, option: str) -> str | None:
    """The column ``name`` (compared as written, then ignoring case); None when not given."""
    if not name:
        return None
    if name in columns:
        return name
    folded = [c for c in columns if c.casefold() == name.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    raise InputError(
        f'{option} "{name}": the input has no such column; its columns are: ' + ", ".join(columns)
    )


# One key of a cell: (key as sent, norm, code, message, the key as written, its source
# column). Built once per distinct key of a column: the cells holding it share it.
Entry = tuple[str, str, Reason | None, str, str, str]
ByCell = dict[str, tuple[Entry, ...]]


def _entries_by_cell(
    cells: set[str],
    column: str,
    split: Callable[[str], list[str]],
    check: Callable[[str], Check],
    shared: dict[str, Check] | None,
) -> ByCell:
    """The keys of each distinct cell, each once; each distinct key is checked once.

    ``shared`` keeps the checks for the other columns of the same key type (None
    when there are none).
    """
    of_key: dict[str, Entry] = {}
    get = of_key.get
    out: ByCell = {}
    for cell in cells:
        if len(cell) > MAX_KEY_CELL_CHARS:
            out[cell] = (_too_big(column, TOO_LONG.format(chars=len(cell))),)
            continue
        pieces = split(cell)
        if len(pieces) > MAX_KEYS_PER_CELL:
            out[cell] = (_too_big(column, TOO_MANY),)
            continue
        entries = []
        for written in pieces:
            e = get(written)
            if e is None:
                c = shared.get(written) if shared is not None else None
                if c is None:
                    c = check(written)
                    if shared is not None:
                        shared[written] = c
                e = of_key[written] = (c[0], c[1], c[2], c[3], written, column)
            entries.append(e)
        out[cell] = tuple(entries) if len(entries) < 2 else _once(entries)
    return out


def _too_big(column: str, message: str) -> Entry:
    """The one line of a cell that holds too much: nothing of it is sent."""
    return ("", "", Reason.TOO_MANY_KEYS, message, "", column)


def _once(entries: list[Entry]) -> tuple[Entry, ...]:
    """Each key once, the first kept: usable keys by their normalised form, others as sent."""
    first: dict[str, Entry] = {}
    for e in entries:
        first.setdefault(e[1] if e[2] is None else "\0" + e[0], e)
    return tuple(first.values())


def _emails_only(cell: str) -> list[str]:
    """The pieces of an identifier cell that can be emails (the others are not keys)."""
    return [k for k in email_keys(cell) if "@" in k]


class _Keys:
    """The distinct keys of the plan's key columns, gathered as columns (``KeyEntries``)."""

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.columns = columns
        self.key: list[str] = []
        self.norm: list[str] = []
        self.written: list[str] = []
        self.key_type: list[int] = []
        self.column: list[int] = []
        self.invalid: list[bool] = []
        self.problem: dict[int, tuple[Reason | None, str]] = {}

    def add_fast(
        self, kt: int, col: int, keys: list[str], norms: list[str], written: list[str]
    ) -> int:
        """Keys the fast paths decided (usable, no message); the index of the first."""
        first = len(self.key)
        self.key += keys
        self.norm += norms
        self.written += written
        self.key_type += [kt] * len(keys)
        self.column += [col] * len(keys)
        self.invalid += [False] * len(keys)
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
            np.array(self.key_type, dtype=np.int8),
            np.array(self.column, dtype=np.int32),
            np.array(self.invalid, dtype=np.bool_),
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
) -> tuple[IntArray, IntArray, IntArray]:
    """Each row's cell of one key column as an id, and each distinct cell's keys in ``keys``.

    The fast paths decide whole columns of distinct cells at once (``fastpath``);
    the cells they leave go through ``_entries_by_cell``, each once.
    """
    import pandas as pd  # when a plan is made (module docstring)

    i = table.columns.index(kc.name)
    shared, memo = caches
    codes, uniques = pd.factorize(
        np.fromiter((r.cells[i] for r in table.rows), dtype=object, count=len(table.rows))
    )
    cells: list[str] = uniques.tolist()
    kt = KEY_TYPES.index(kc.key_type)
    col = keys.columns.index(kc.name)
    start = np.zeros(len(cells), dtype=np.int32)
    length = np.zeros(len(cells), dtype=np.int32)
    fast = np.zeros(len(cells), dtype=np.bool_)
    if fast_paths_agree() and cells:
        if kc.key_type is KeyType.EMAIL:
            fast, norms = plain_email_cells(cells)
            chosen = list(compress(cells, fast))
            sent = chosen
        else:
            fast, numbers, number_of = plus_layout_cells(cells)
            verdicts = [
                memo[d] if d in memo else memo.setdefault(d, plus_number_valid(d)) for d in numbers
            ]
            # per taken cell: 1 valid, 0 in a range the library does not know, -1 undecided
            verdict = np.array([-1 if v is None else int(v) for v in verdicts], dtype=np.int8)
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
    slow = np.flatnonzero(~fast).tolist()
    if slow:
        if kc.key_type is KeyType.EMAIL:
            split = _emails_only if kc.rule is ColumnRule.IDENTIFIER else email_keys
            check: Callable[[str], Check] = check_email
        else:

            def check(k: str) -> Check:
                return check_phone(k, region, memo, form=phone_form)

            split = phone_keys
        by_cell = _entries_by_cell({cells[u] for u in slow}, kc.name, split, check, shared)
        for u in slow:
            entries = by_cell[cells[u]]
            start[u] = len(keys.key)
            length[u] = len(entries)
            for e in entries:
                keys.add(kt, col, e)
    return codes.astype(np.int32), start, length


def _type_group(
    table: InputTable,
    columns: list[KeyColumn],
    keys: _Keys,
    region: str | None,
    phone_form: PhoneForm,
) -> _Group:
    """The keys of each row for one key type: over several columns, their union, each once."""
    import pandas as pd  # when a plan is made (module docstring)

    memo: dict[str, bool | None] = {}
    shared: dict[str, Check] | None = {} if len(columns) > 1 else None
    parts = [_column_keys(table, kc, keys, region, phone_form, (shared, memo)) for kc in columns]
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


def _plan(
    table: InputTable,
    key_columns: Sequence[KeyColumn],
    region: str | None,
    filters: list[tuple[int, str, str]],
    several: bool,
    phone_form: PhoneForm,
) -> Lines:
    import pandas as pd  # when a plan is made (module docstring)

    rows = table.rows
    n = len(rows)
    keys = _Keys(tuple(k.name for k in key_columns))
    groups = [
        _type_group(table, [k for k in key_columns if k.key_type is kt], keys, region, phone_form)
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
    skipped = _skipped_rows(table, filters)[row_of]
    keyed = entry_of >= 0
    invalid = ~keyed
    invalid[keyed] = entries.invalid[entry_of[keyed]]
    invalid &= ~skipped
    status = np.full(len(row_of), READY, dtype=np.int8)
    status[invalid] = INVALID
    status[skipped] = SKIPPED
    first_of = np.full(len(row_of), -1, dtype=np.int32)
    usable = np.flatnonzero(status == READY)
    if len(usable):
        norm_ids, _ = pd.factorize(np.array(entries.norm, dtype=object))
        key_of = norm_ids.astype(np.int64) * len(KEY_TYPES) + entries.key_type
        seen, firsts = pd.factorize(key_of[entry_of[usable]])
        first_line = usable[np.unique(seen, return_index=True)[1]][seen]
        dup = first_line != usable
        status[usable[dup]] = DUPLICATE
        first_of[usable[dup]] = row_of[first_line[dup]]
        del firsts

    def reason(row: SourceRow) -> str:
        return _filtered_out(row, filters)

    return Lines(rows, row_of, entry_of, status, first_of, entries, reason, several)


def _skipped_rows(table: InputTable, filters: list[tuple[int, str, str]]) -> BoolArray:
    """Which rows a --where leaves out (each filter judged once per distinct cell)."""
    import pandas as pd  # when a plan is made (module docstring)

    keep = np.ones(len(table.rows), dtype=np.bool_)
    for i, _, value in filters:
        codes, uniques = pd.factorize(
            np.fromiter((r.cells[i] for r in table.rows), dtype=object, count=len(table.rows))
        )
        want = value.strip().casefold()
        equal = np.array([u.strip().casefold() == want for u in uniques], dtype=np.bool_)
        keep &= equal[codes] if len(uniques) else keep
    return ~keep


def _region(default_region: str | None) -> str | None:
    if not default_region:
        return None
    region = default_region.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise InputError(
            f'--default-region "{default_region}" is not a known region; '
            "use a two-letter country code such as GB, US or AU"
        )
    return region


def _filtered_out(row: SourceRow, filters: list[tuple[int, str, str]]) -> str:
    for i, name, value in filters:
        have = row.cells[i].strip()
        if have.casefold() != value.strip().casefold():
            return (
                f'not processed: {printable(name)} is "{printable(have)}", '
                f'--where wants "{printable(value.strip())}"'
            )
    return ""


def problem_summary(plan: Plan) -> list[tuple[Reason | KeyWarning, int, str]]:
    """(code, count, phrase) for every problem code in the plan, e.g. ``"12 invalid emails"``.

    Then the warnings on keys that are sent: ``mixed_script``, the emails to be
    sent that mix look-alike scripts (found from the keys, not the messages).
    """
    lines = plan.lines
    if isinstance(lines, Lines):
        counts = lines.code_counts()
    else:
        counts = Counter(line.code for line in lines if line.code)
    out: list[tuple[Reason | KeyWarning, int, str]] = []
    for code, one, many in _PHRASES:
        n = counts.pop(code, 0)
        if n:
            out.append((code, n, f"{n} {one if n == 1 else many}"))
    for code, n in sorted(counts.items()):
        out.append((code, n, f"{n} {code.value.replace('_', ' ')}"))
    mixed = sum(
        1
        for line in _non_ascii_ready(lines)
        if line.key_type is KeyType.EMAIL and mixed_scripts(line.key) is not None
    )
    if mixed:
        what = "email mixing look-alike scripts (sent; check it)"
        if mixed > 1:
            what = "emails mixing look-alike scripts (sent; check them)"
        out.append((KeyWarning.MIXED_SCRIPT, mixed, f"{mixed} {what}"))
    return out


def _non_ascii_ready(lines: Sequence[Line]) -> Iterator[Line]:
    """The ready lines whose key is not ASCII (only those are made, from ``Lines``)."""
    if not isinstance(lines, Lines):
        yield from (ln for ln in lines if ln.status is Status.READY and not ln.key.isascii())
        return
    keys = lines.entries.key
    odd = np.array([not k.isascii() for k in keys], dtype=np.bool_)
    if not odd.any():
        return
    ready = lines.indices(Status.READY)
    for i in ready[odd[lines.entry_of[ready]]].tolist():
        yield lines[i]
