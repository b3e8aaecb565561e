"""From an ``InputTable`` to a ``Plan``: every key of every row as a ``Line``.

Emails are sent as written (trimmed, unwrapped); telephones in the vendor's
stored form (``validate``); normalised forms find duplicates. Every input
row yields at least one ``Line``; per-row problems are coded lines, never
exceptions. Each distinct cell is split once (``cells``) and each distinct key
validated once (``validate``); ``columns`` finds the key columns and the
columns --where names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import phonenumbers

from ..core.codes import Reason
from ..core.errors import InputError
from ..core.gcpause import gc_paused
from ..core.records import InputTable, KeyType, Line, Plan, SourceRow, Status
from .cells import email_keys, phone_keys
from .columns import find_key_columns, where_column
from .validate import Check, PhoneForm, check_email, check_phone

NO_KEY = "no email or telephone in this row"

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
    (Reason.NO_KEY, "row without email or telephone", "rows without email or telephone"),
    (Reason.DUPLICATE, "duplicate", "duplicates"),
    (Reason.SKIPPED_FILTER, "line skipped by --where", "lines skipped by --where"),
)


def make_plan(
    table: InputTable,
    *,
    email_column: str | None = None,
    phone_column: str | None = None,
    default_region: str | None = None,
    where: Sequence[tuple[str, str]] = (),
    phone_form: PhoneForm = PhoneForm.VENDOR,
) -> Plan:
    """Every key of every row as a ``Line``: ready, invalid, duplicate or skipped.

    Email lines come before telephone lines within a row; a row without any key
    gives one ``no_key`` line. The first occurrence of a key is ready, later
    ones are duplicates of it. ``where`` keeps only rows whose named columns
    equal the values (trimmed, case-insensitive). Telephones are sent in the
    vendor's form unless ``phone_form`` says as written. Raises ``InputError``
    for an unknown column or region.
    """
    cols = table.columns
    email_col, phone_col = find_key_columns(cols, email_column, phone_column)
    region = _region(default_region)
    filters = [(where_column(cols, c), cols[where_column(cols, c)], v) for c, v in where]
    several = len(table.sheets) > 1
    with gc_paused():
        return _plan(table, email_col, phone_col, region, filters, several, phone_form)


Found = tuple[tuple[KeyType | None, tuple[Check, ...]], ...]  # a row's keys, by key type


def _checks_by_cell(
    cells: set[str], split: Callable[[str], list[str]], check: Callable[[str], Check]
) -> dict[str, tuple[Check, ...]]:
    """The checks of the keys in each distinct cell; each distinct key is checked once."""
    verdicts: dict[str, Check] = {}
    out: dict[str, tuple[Check, ...]] = {}
    for cell in cells:
        checks = []
        for key in split(cell):
            c = verdicts.get(key)
            if c is None:
                c = verdicts[key] = check(key)
            checks.append(c)
        out[cell] = tuple(checks)
    return out


def _plan(
    table: InputTable,
    email_col: str | None,
    phone_col: str | None,
    region: str | None,
    filters: list[tuple[int, str, str]],
    several: bool,
    phone_form: PhoneForm,
) -> Plan:
    cols, rows = table.columns, table.rows
    ei = cols.index(email_col) if email_col else None
    pi = cols.index(phone_col) if phone_col else None
    emails: dict[str, tuple[Check, ...]] = {}
    if ei is not None:
        emails = _checks_by_cell({r.cells[ei] for r in rows}, email_keys, check_email)
    phones: dict[str, tuple[Check, ...]] = {}
    if pi is not None:
        memo: dict[str, bool | None] = {}
        phones = _checks_by_cell(
            {r.cells[pi] for r in rows},
            phone_keys,
            lambda k: check_phone(k, region, memo, form=phone_form),
        )
    # One dict per key type, keyed by the normalised form: hashing a str is far
    # cheaper than hashing a (KeyType, str) tuple (an Enum hashes in Python).
    seen: dict[KeyType | None, dict[str, SourceRow]] = {kt: {} for kt in KeyType}
    ready, invalid, duplicate = Status.READY, Status.INVALID, Status.DUPLICATE
    none: tuple[Check, ...] = ()
    no_key: Found = ((None, (("", "", Reason.NO_KEY, NO_KEY),)),)
    lines: list[Line] = []
    append = lines.append
    for row in rows:
        found: Found = (
            (KeyType.EMAIL, emails[row.cells[ei]] if ei is not None else none),
            (KeyType.TELEPHONE, phones[row.cells[pi]] if pi is not None else none),
        )
        forced = None
        if filters and (reason := _filtered_out(row, filters)):
            forced = Status.SKIPPED
            found = _skipped(found, reason)
        elif not found[0][1] and not found[1][1]:
            found = no_key
        for kt, checks in found:
            for key, norm, code, msg in checks:
                if forced is not None:
                    status = forced
                elif code is not None:
                    status = invalid
                else:
                    status = ready
                    first = seen[kt].get(norm)
                    if first is None:
                        seen[kt][norm] = row
                    else:
                        status, code = duplicate, Reason.DUPLICATE
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
                        row.cells,
                    )
                )
    return Plan(table, email_col, phone_col, tuple(lines))


def _skipped(found: Found, reason: str) -> Found:
    """The keys of a row left out by --where, each with the reason (one line if none)."""
    out = [
        (kt, tuple((c[0], c[1], Reason.SKIPPED_FILTER, reason) for c in checks))
        for kt, checks in found
    ]
    if not any(checks for _, checks in out):
        return ((None, (("", "", Reason.SKIPPED_FILTER, reason),)),)
    return tuple(out)


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
            return f'not processed: {name} is "{have}", --where wants "{value.strip()}"'
    return ""


def problem_summary(plan: Plan) -> list[tuple[Reason, int, str]]:
    """(code, count, phrase) for every problem code in the plan, e.g. ``"12 invalid emails"``."""
    counts = Counter(line.code for line in plan.lines if line.code)
    out = []
    for code, one, many in _PHRASES:
        n = counts.pop(code, 0)
        if n:
            out.append((code, n, f"{n} {one if n == 1 else many}"))
    for code, n in sorted(counts.items()):
        out.append((code, n, f"{n} {code.value.replace('_', ' ')}"))
    return out
