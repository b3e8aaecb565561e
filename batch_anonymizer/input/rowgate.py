"""Which rows may be erased: the request type, the identity check and the hold, per row.

Decided before anything is sent, from three columns found by header (or
named): a row whose request type is another right is skipped
(``not_erasure``); a row with a filled hold cell is held (``hold``, the cell's
text in its message); a row whose identity cell does not say "verified" is
held (``identity_unverified``). In that order: a row left out by ``--where``
is that first. A type value that cannot be classified (``requestkinds``)
stops the run (``InputError``) listing each such value with its row count.

Each column's distinct cells are judged once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..core.codes import Reason
from ..core.errors import InputError
from ..core.lines import ROW_CODES, Lines
from ..core.records import InputTable, Plan, SourceRow
from ..core.requests import NO_IDENTITY_COLUMN, NO_TYPE_COLUMN
from ..core.text import printable
from .cells import trim
from .factorize import column_codes
from .requestkinds import TypeKind, classify_type, identity_verified

_NOT_ERASURE = ROW_CODES.index(Reason.NOT_ERASURE)
_HOLD = ROW_CODES.index(Reason.HOLD)
_UNVERIFIED = ROW_CODES.index(Reason.IDENTITY_UNVERIFIED)
#: How many distinct unclassified values the refusal lists before "and N more".
_LISTED = 20


@dataclass(frozen=True, slots=True)
class GateColumns:
    """The request-type, identity and hold columns of a table (None: it has none), and
    the values ``--erasure-type`` names erasures."""

    type_column: str | None = None
    identity_column: str | None = None
    hold_column: str | None = None
    erasure_types: tuple[str, ...] = ()


#: No column named: the request-type, identity and hold columns are found by header.
NO_GATE = GateColumns()


def gate_rows(
    table: InputTable, gate: GateColumns
) -> tuple[npt.NDArray[np.int8], Callable[[SourceRow], str]]:
    """Per row, why it is skipped or held (an index into ``ROW_CODES``, 0: it goes), and
    what words it for a row. Raises ``InputError`` for an unclassified type value."""
    rows = table.rows
    codes = np.zeros(len(rows), dtype=np.int8)
    cols = table.columns
    ti = cols.index(gate.type_column) if gate.type_column else None
    ii = cols.index(gate.identity_column) if gate.identity_column else None
    hi = cols.index(gate.hold_column) if gate.hold_column else None
    kinds: dict[str, TypeKind] = {}
    if ti is not None:
        kinds = _type_kinds(rows, ti, gate)
    # the lowest-priority code first: a later one overwrites it
    if ii is not None:
        codes[_judged(rows, ii, lambda cell: not identity_verified(cell))] = _UNVERIFIED
    if hi is not None:
        codes[_judged(rows, hi, lambda cell: bool(trim(cell)))] = _HOLD
    if ti is not None:
        codes[_judged(rows, ti, lambda cell: not kinds[cell].erasure)] = _NOT_ERASURE

    def message(row: SourceRow) -> str:
        if ti is not None and not kinds[row.cells[ti]].erasure:
            return (
                f"not an erasure request ({printable(str(gate.type_column))} is "
                f'"{printable(trim(row.cells[ti]))}"): nothing was sent; '
                "the person still needs an answer to that request"
            )
        if hi is not None and trim(row.cells[hi]):
            return (
                f"held ({printable(str(gate.hold_column))}): {printable(trim(row.cells[hi]))}; "
                "nothing was sent"
            )
        if ii is not None:
            return (
                f"held: identity not verified ({printable(str(gate.identity_column))} is "
                f'"{printable(trim(row.cells[ii])) or "empty"}"); nothing was sent; verify '
                "the requester's identity, mark the row, and run again"
            )
        return ""

    return codes, message


def _judged(
    rows: Sequence[SourceRow], i: int, judge: Callable[[str], bool]
) -> npt.NDArray[np.bool_]:
    """Per row, ``judge`` of its cell in column ``i``, each distinct cell judged once."""
    ids, uniques = column_codes(rows, i)
    verdict = np.array([judge(u) for u in uniques], dtype=np.bool_)
    return verdict[ids] if len(uniques) else np.zeros(len(rows), dtype=np.bool_)


def _type_kinds(rows: Sequence[SourceRow], ti: int, gate: GateColumns) -> dict[str, TypeKind]:
    """The kind of each distinct type cell; ``InputError`` listing the unclassified ones."""
    ids, uniques = column_codes(rows, ti)
    count = dict(zip(uniques, np.bincount(ids).tolist(), strict=True))
    kinds = {cell: classify_type(cell, gate.erasure_types).kind for cell in count}
    unknown: Counter[str] = Counter()
    for cell, kind in kinds.items():
        if kind is TypeKind.UNCLASSIFIED:
            unknown[trim(cell)] += count[cell]
    if unknown:
        raise InputError(_unclassified_message(str(gate.type_column), unknown))
    return kinds


def _unclassified_message(column: str, unknown: Counter[str]) -> str:
    listed = [
        (f'"{printable(v)}"' if v else "(empty)") + f" ({_rows(n)})"
        for v, n in sorted(unknown.items(), key=lambda vn: (-vn[1], vn[0]))[:_LISTED]
    ]
    more = len(unknown) - _LISTED
    if more > 0:
        listed.append(f"and {more} more")
    example = next(iter(sorted(unknown, key=lambda v: -unknown[v])))
    return (
        f'the request-type column "{printable(column)}" holds values that are neither an '
        f"erasure nor another right: {', '.join(listed)}. If such a value asks for erasure, "
        f'say so with --erasure-type VALUE (repeatable), e.g. --erasure-type "{printable(example)}"'
        "; otherwise correct the cells, or leave those rows out with --where. "
        "Nothing was sent"
    )


def gate_counts(plan: Plan) -> Counter[Reason | None]:
    """Rows per reason they are left out or held (None: an erasure request that goes)."""
    lines = plan.lines
    if isinstance(lines, Lines):
        codes = np.bincount(lines.row_code, minlength=len(ROW_CODES)).tolist()
        return Counter({ROW_CODES[i]: n for i, n in enumerate(codes) if n})
    first: dict[tuple[str | None, int], Reason | None] = {}
    for ln in lines:
        gated = ln.code if ln.code in ROW_CODES else None
        first.setdefault((ln.sheet, ln.source_row), gated)
    return Counter(first.values())


def gate_headline(plan: Plan) -> str:
    """How many rows are erasure requests, other rights, held and unverified: the first
    thing ``validate`` says, e.g. "51 rows: 44 erasure requests (1 held, 1 identity
    unverified: not sent), 6 other rights (not_erasure: not sent)"."""
    n = gate_counts(plan)
    rows = sum(n.values())
    held, unverified = n[Reason.HOLD], n[Reason.IDENTITY_UNVERIFIED]
    erasure = n[None] + held + unverified
    text = f"{_rows(rows)}: {erasure:,} erasure request{'s' if erasure != 1 else ''}"
    if plan.type_column is None:
        text += f" ({NO_TYPE_COLUMN})"
    text += f", {n[Reason.NOT_ERASURE]:,} other rights (not_erasure: not sent)"
    text += f", {held:,} held (hold: not sent)"
    if plan.identity_column is None:
        text += f", {NO_IDENTITY_COLUMN}"
    else:
        text += f", {unverified:,} unverified (identity_unverified: not sent)"
    if n[Reason.SKIPPED_FILTER]:
        text += f"; {_rows(n[Reason.SKIPPED_FILTER])} left out by --where"
    return text


def _rows(n: int) -> str:
    return f"{n:,} row{'s' if n != 1 else ''}"


def gate_lines(plan: Plan) -> list[str]:
    """The columns that decide which rows may be erased, for the confirmation and
    ``validate``: each column used, or that the input has none."""
    col = printable
    said = [
        f"request type: column {col(plan.type_column)} (other rights are not sent)"
        if plan.type_column
        else NO_TYPE_COLUMN,
        f"identity verified: column {col(plan.identity_column)} (rows not verified are held)"
        if plan.identity_column
        else NO_IDENTITY_COLUMN,
    ]
    if plan.hold_column:
        said.append(f"hold: column {col(plan.hold_column)} (rows with a filled cell are held)")
    return said
