"""The planner as it was before the columnar plan: one loop over rows, one ``Line`` each.

Kept as the oracle of tests/input/test_columnar.py: the columnar ``make_plan`` must
give, line by line, exactly what this gives. It shares the per-cell work
(``cellkeys.entries_by_cell``: splitting, validation) and redoes the rest the old way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.lines import NO_KEY
from batch_anonymizer.core.records import (
    ColumnRule,
    InputTable,
    KeyColumn,
    KeyType,
    Line,
    SourceRow,
    Status,
)
from batch_anonymizer.input.cellkeys import ByCell, Entry, emails_only, entries_by_cell, once
from batch_anonymizer.input.cells import email_keys, phone_keys
from batch_anonymizer.input.rowskips import filtered_out
from batch_anonymizer.input.validate import Check, PhoneForm, check_email, check_phone


def row_plan(
    table: InputTable,
    key_columns: Sequence[KeyColumn],
    region: str | None,
    filters: list[tuple[int, str, str]],
    several: bool,
    phone_form: PhoneForm,
    gate: Callable[[SourceRow], tuple[Status, Reason, str] | None] = lambda row: None,
) -> tuple[Line, ...]:
    """Every line, row by row; ``gate`` skips or holds a row --where keeps (status, code,
    message), as the request type, the identity check and the hold do."""
    per_type = _by_cell_per_column(table, key_columns, region, phone_form)
    seen: dict[KeyType, dict[str, SourceRow]] = {kt: {} for kt in KeyType}
    groups = [
        (kt, seen[kt], *(parts[0] if len(parts) == 1 else (-1, {})), parts)
        for kt, parts in per_type.items()
        if parts
    ]
    lines: list[Line] = []
    for row in table.rows:
        cells = row.cells
        reason = filtered_out(row, filters) if filters else ""
        gated = None if reason else gate(row)
        empty = True
        for kt, seen_kt, index, by_cell, parts in groups:
            entries = by_cell[cells[index]] if index >= 0 else _union(cells, parts)
            for key, norm, code, msg, written, column in entries:
                empty = False
                if reason:
                    status, code, msg = Status.SKIPPED, Reason.SKIPPED_FILTER, reason
                elif gated is not None:
                    status, code, msg = gated
                elif code is not None:
                    status = Status.INVALID
                else:
                    status = Status.READY
                    first = seen_kt.get(norm)
                    if first is None:
                        seen_kt[norm] = row
                    else:
                        status, code = Status.DUPLICATE, Reason.DUPLICATE
                        msg = f"duplicate of row {first.number}"
                        if several and first.sheet is not None:
                            msg += f" (sheet {first.sheet})"
                lines.append(
                    Line(
                        len(lines), row.sheet, row.number, kt, key, norm, status, code, msg,
                        cells, written, column,
                    )
                )  # fmt: skip
        if empty:
            if reason:
                status, code, msg = Status.SKIPPED, Reason.SKIPPED_FILTER, reason
            elif gated is not None:
                status, code, msg = gated
            else:
                status, code, msg = Status.INVALID, Reason.NO_KEY, NO_KEY
            lines.append(
                Line(len(lines), row.sheet, row.number, None, "", "", status, code, msg, cells)
            )
    return tuple(lines)


def _by_cell_per_column(
    table: InputTable,
    key_columns: Sequence[KeyColumn],
    region: str | None,
    phone_form: PhoneForm,
) -> dict[KeyType, list[tuple[int, ByCell]]]:
    memo: dict[str, bool | None] = {}

    def phone(k: str) -> Check:
        return check_phone(k, region, memo, form=phone_form)

    several = {kt: sum(k.key_type is kt for k in key_columns) > 1 for kt in KeyType}
    shared: dict[KeyType, dict[str, Check]] = {kt: {} for kt in KeyType}
    out: dict[KeyType, list[tuple[int, ByCell]]] = {kt: [] for kt in KeyType}
    for kc in key_columns:
        i = table.columns.index(kc.name)
        split: Callable[[str], list[str]]
        if kc.key_type is KeyType.EMAIL:
            split = emails_only if kc.rule is ColumnRule.IDENTIFIER else email_keys
            check: Callable[[str], Check] = check_email
        else:
            split, check = phone_keys, phone
        distinct = {r.cells[i] for r in table.rows}
        cache = shared[kc.key_type] if several[kc.key_type] else None
        out[kc.key_type].append((i, entries_by_cell(distinct, kc.name, split, check, cache)))
    return out


def _union(cells: tuple[str, ...], parts: list[tuple[int, ByCell]]) -> tuple[Entry, ...]:
    found = [e for i, by_cell in parts for e in by_cell[cells[i]]]
    return once(found) if len(found) > 1 else tuple(found)
