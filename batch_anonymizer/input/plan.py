"""From an ``InputTable`` to a ``Plan``: every key of every row as a ``Line``.

Emails are sent as written (trimmed, unwrapped); telephones in the vendor's
stored form (``validate``); normalised forms find duplicates. Every input
row yields at least one ``Line``; per-row problems are coded lines, never
exceptions. ``columns`` chooses the key columns once per table (and finds the
columns --where names); a row's keys are the union over its key columns, each
key once.

This module chooses the columns and the options' columns and says what the
plan holds (``problem_summary``); the lines are made as columns, not row by
row (``columnar``, with ``cellkeys`` for the cells the fast paths leave), in
a ``core.lines.Lines`` that makes a ``Line`` only when a stage takes it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

import numpy as np
import phonenumbers

from ..core.codes import Reason
from ..core.errors import InputError
from ..core.gcpause import gc_paused
from ..core.lines import Lines
from ..core.records import (
    ColumnRule,
    InputTable,
    KeyColumn,
    KeyType,
    Line,
    Plan,
    RejectedColumn,
    Status,
)
from ..core.text import printable, safe_message
from .cells import MAX_KEYS_PER_CELL
from .columnar import plan_lines
from .columns import ColumnChoice, choose_key_columns, where_column
from .headers import (
    DATE_RECEIVED_HEADERS,
    EXTENSION_HEADERS,
    HOLD_HEADERS,
    IDENTITY_HEADERS,
    REQUEST_ID_HEADERS,
    TYPE_HEADERS,
    find_by_header,
)
from .rowgate import NO_GATE, GateColumns, gate_rows
from .scripts import mixed_scripts
from .transcend import PullShape, pull_shape
from .validate import KeyWarning, PhoneForm

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
    (
        Reason.IDENTIFIER_TYPE,
        "identifier of a type not sent (a user id...)",
        "identifiers of a type not sent (user ids...)",
    ),
    (
        Reason.NOT_ERASURE,
        "line of another right (not an erasure request)",
        "lines of other rights (not erasure requests)",
    ),
    (Reason.HOLD, "line held by its hold cell", "lines held by their hold cell"),
    (
        Reason.IDENTITY_UNVERIFIED,
        "line held: identity not verified",
        "lines held: identity not verified",
    ),
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
    gate: GateColumns | None = NO_GATE,
) -> Plan:
    """Every key of every row as a ``Line``: ready, invalid, duplicate or skipped.

    A row's keys are the union over its key columns (``columns``), each key
    once (in the first column holding it); email lines come before telephone
    lines. A row without any key gives one ``no_key`` line. The first
    occurrence of a key is ready, later rows' are duplicates of it. ``where``
    keeps only rows whose named columns equal the values (trimmed,
    case-insensitive). Telephones are sent in the vendor's form unless
    ``phone_form`` says as written. The request-id, date-received and
    extension columns are found by header unless named; so are the request-type,
    identity and hold columns of ``gate``, which skip or hold rows (``rowgate``;
    None: no column does).
    Raises ``InputError`` for an unknown column or region, a table without key
    columns, or an unclassified request type (its message ``printable``).
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
            gate,
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
    gate: GateColumns | None,
) -> Plan:
    request_column, received_column, extension_column = named
    cols = table.columns
    # Naming key columns reads the file as any other table (the shape is then off).
    shape = None if email_columns or phone_columns else pull_shape(cols)
    if shape is not None:
        choice = _pull_columns(shape)
    else:
        choice = choose_key_columns(
            cols,
            table.rows,
            email_columns=email_columns,
            phone_columns=phone_columns,
            ignore_columns=ignore_columns,
        )
    region = _region(default_region)
    rid = _named(cols, request_column, "--request-column") or (
        shape.request_id if shape else find_by_header(cols, REQUEST_ID_HEADERS)
    )
    received = _named(cols, received_column, "--received-column") or (
        shape.created_at if shape else find_by_header(cols, DATE_RECEIVED_HEADERS)
    )
    extension = _named(cols, extension_column, "--extension-column") or find_by_header(
        cols, EXTENSION_HEADERS
    )
    found = NO_GATE
    if gate is not None:
        found = GateColumns(
            # a pull file's request type is its ``action`` (its ``type`` names the identifier)
            _named(cols, gate.type_column, "--type-column")
            or (shape.action if shape else find_by_header(cols, TYPE_HEADERS)),
            _named(cols, gate.identity_column, "--identity-column")
            or find_by_header(cols, IDENTITY_HEADERS),
            _named(cols, gate.hold_column, "--hold-column") or find_by_header(cols, HOLD_HEADERS),
            gate.erasure_types,
        )
    filters = [(where_column(cols, c), cols[where_column(cols, c)], v) for c, v in where]
    several = len(table.sheets) > 1
    with gc_paused():
        gated = gate_rows(table, found)
        lines = plan_lines(
            table, choice.key_columns, region, filters, several, phone_form, gated, typed=shape
        )
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
        found.type_column,
        found.identity_column,
        found.hold_column,
    )


def _pull_columns(shape: PullShape) -> ColumnChoice:
    """A Transcend pull file's key columns: ``identifier``, as an email or a telephone
    as each line's ``type`` says; ``coreIdentifier`` is listed as never sent."""

    def why(key: str, kind: str) -> str:
        return f"a Transcend pull file: sent as {key} on lines whose {shape.type} is {kind}"

    keys = (
        KeyColumn(shape.identifier, KeyType.EMAIL, why("an email", "email"), ColumnRule.TYPED),
        KeyColumn(
            shape.identifier, KeyType.TELEPHONE, why("a telephone", "phone"), ColumnRule.TYPED
        ),
    )
    rejected: tuple[RejectedColumn, ...] = ()
    if shape.core_identifier:
        rejected = (
            RejectedColumn(
                shape.core_identifier,
                "Transcend's core identifier: kept in the report, never sent (the platform "
                "chose which identifiers this system gets)",
                ColumnRule.TYPED,
            ),
        )
    return ColumnChoice(keys, rejected)


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
