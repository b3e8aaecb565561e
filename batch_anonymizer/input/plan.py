"""From an ``InputTable`` to a ``Plan``: every key of every row as a ``Line``.

Emails are sent as written (trimmed, unwrapped); telephones in the vendor's
stored form (``validate``); normalised forms find duplicates. Every input
row yields at least one ``Line``; per-row problems are coded lines, never
exceptions. ``columns`` chooses the key columns once per table (and finds the
columns --where names); a row's keys are the union over its key columns, each
key once. Each distinct cell of a key column is split once (``cells``) and
each distinct key validated once (``validate``), before the loop over rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import phonenumbers

from ..core.codes import Reason
from ..core.errors import InputError
from ..core.gcpause import gc_paused
from ..core.records import ColumnRule, InputTable, KeyColumn, KeyType, Line, Plan, SourceRow, Status
from ..core.text import printable, safe_message
from .cells import MAX_KEY_CELL_CHARS, MAX_KEYS_PER_CELL, email_keys, phone_keys
from .columns import choose_key_columns, where_column
from .headers import DATE_RECEIVED_HEADERS, EXTENSION_HEADERS, REQUEST_ID_HEADERS, find_by_header
from .scripts import mixed_scripts
from .validate import Check, KeyWarning, PhoneForm, check_email, check_phone

NO_KEY = "no email or telephone in this row"
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


def _by_cell_per_column(
    table: InputTable,
    key_columns: Sequence[KeyColumn],
    region: str | None,
    phone_form: PhoneForm,
) -> dict[KeyType, list[tuple[int, ByCell]]]:
    """For each key type, (column index, keys of each distinct cell) of its key columns."""
    rows = table.rows
    memo: dict[str, bool | None] = {}

    def phone(k: str) -> Check:
        return check_phone(k, region, memo, form=phone_form)

    several = {kt: sum(k.key_type is kt for k in key_columns) > 1 for kt in KeyType}
    shared: dict[KeyType, dict[str, Check]] = {kt: {} for kt in KeyType}
    out: dict[KeyType, list[tuple[int, ByCell]]] = {kt: [] for kt in KeyType}
    for kc in key_columns:
        i = table.columns.index(kc.name)
        if kc.key_type is KeyType.EMAIL:
            split = _emails_only if kc.rule is ColumnRule.IDENTIFIER else email_keys
            check: Callable[[str], Check] = check_email
        else:
            split, check = phone_keys, phone
        distinct = {r.cells[i] for r in rows}
        cache = shared[kc.key_type] if several[kc.key_type] else None
        by_cell = _entries_by_cell(distinct, kc.name, split, check, cache)
        out[kc.key_type].append((i, by_cell))
    return out


def _plan(
    table: InputTable,
    key_columns: Sequence[KeyColumn],
    region: str | None,
    filters: list[tuple[int, str, str]],
    several: bool,
    phone_form: PhoneForm,
) -> tuple[Line, ...]:
    per_type = _by_cell_per_column(table, key_columns, region, phone_form)
    # One dict per key type, keyed by the normalised form: hashing a str is far
    # cheaper than hashing a (KeyType, str) tuple (an Enum hashes in Python).
    seen: dict[KeyType, dict[str, SourceRow]] = {kt: {} for kt in KeyType}
    # (key type, its seen dict, index and keys of its column, all its columns). With one
    # column of a type (the common case) a row costs one dict lookup per type, as with one
    # email and one telephone column; a cell's keys are already each once. Only with
    # several columns of a type are a row's keys joined (and deduplicated) by _union.
    groups = [
        (kt, seen[kt], *(parts[0] if len(parts) == 1 else (-1, {})), parts)
        for kt, parts in per_type.items()
        if parts
    ]
    ready, invalid, duplicate = Status.READY, Status.INVALID, Status.DUPLICATE
    skipped, skip_code, dup_code = Status.SKIPPED, Reason.SKIPPED_FILTER, Reason.DUPLICATE
    no_key = (invalid, Reason.NO_KEY, NO_KEY)
    lines: list[Line] = []
    append = lines.append
    for row in table.rows:
        cells = row.cells
        reason = _filtered_out(row, filters) if filters else ""
        empty = True
        for kt, seen_kt, index, by_cell, parts in groups:
            entries = by_cell[cells[index]] if index >= 0 else _union(cells, parts)
            for key, norm, code, msg, written, column in entries:
                empty = False
                if reason:
                    status, code, msg = skipped, skip_code, reason
                elif code is not None:
                    status = invalid
                else:
                    status = ready
                    first = seen_kt.get(norm)
                    if first is None:
                        seen_kt[norm] = row
                    else:
                        status, code = duplicate, dup_code
                        msg = f"duplicate of row {first.number}"
                        if several and first.sheet is not None:
                            msg += f" (sheet {first.sheet})"
                append(
                    Line(
                        len(lines),
                        row.sheet,
                        row.number,
                        kt,
                        key,
                        norm,
                        status,
                        code,
                        msg,
                        cells,
                        written,
                        column,
                    )
                )
        if empty:
            status, code, msg = (skipped, skip_code, reason) if reason else no_key
            append(Line(len(lines), row.sheet, row.number, None, "", "", status, code, msg, cells))
    return tuple(lines)


def _union(cells: tuple[str, ...], parts: list[tuple[int, ByCell]]) -> tuple[Entry, ...]:
    """A row's keys over several columns of one type, each once (first column kept)."""
    found = [e for i, by_cell in parts for e in by_cell[cells[i]]]
    return _once(found) if len(found) > 1 else tuple(found)


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
    counts = Counter(line.code for line in plan.lines if line.code)
    out: list[tuple[Reason | KeyWarning, int, str]] = []
    for code, one, many in _PHRASES:
        n = counts.pop(code, 0)
        if n:
            out.append((code, n, f"{n} {one if n == 1 else many}"))
    for code, n in sorted(counts.items()):
        out.append((code, n, f"{n} {code.value.replace('_', ' ')}"))
    mixed = sum(
        1
        for line in plan.lines
        if line.status is Status.READY
        and line.key_type is KeyType.EMAIL
        and not line.key.isascii()
        and mixed_scripts(line.key) is not None
    )
    if mixed:
        what = "email mixing look-alike scripts (sent; check it)"
        if mixed > 1:
            what = "emails mixing look-alike scripts (sent; check them)"
        out.append((KeyWarning.MIXED_SCRIPT, mixed, f"{mixed} {what}"))
    return out
