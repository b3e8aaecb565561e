"""Rows a plan leaves out before their keys: a pull file's rows whose identifier type the
tool does not send (``untyped``), and the rows a ``--where`` does not match
(``filtered_out``): each as a column of flags for the whole table, and as the reason
said for one row."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.lines import BoolArray
from ..core.records import InputTable, SourceRow
from ..core.table import column_cells
from ..core.text import printable
from .factorize import column_codes
from .transcend import PullShape


def untyped_rows(table: InputTable, typed: PullShape | None) -> BoolArray:
    """Which rows of a pull file have an identifier type the tool does not send."""
    if typed is None:
        return np.zeros(len(table.rows), dtype=np.bool_)
    t = table.columns.index(typed.type)
    return np.fromiter(
        (typed.key_type(c) is None for c in column_cells(table.rows, t)),
        dtype=np.bool_,
        count=len(table.rows),
    )


def untyped(row: SourceRow, columns: Sequence[str], typed: PullShape | None) -> str:
    """Why a pull line is skipped for its identifier type; "" when it is not."""
    if typed is None:
        return ""
    kind = row.cells[columns.index(typed.type)]
    if typed.key_type(kind) is not None:
        return ""
    return (
        f'not sent: {printable(typed.type)} is "{printable(kind.strip())}", '
        "neither an email nor a telephone; CustomerGauge cannot be asked for it"
    )


def skipped_rows(table: InputTable, filters: list[tuple[int, str, str]]) -> BoolArray:
    """Which rows a --where leaves out (each filter judged once per distinct cell)."""

    keep = np.ones(len(table.rows), dtype=np.bool_)
    for i, _, value in filters:
        codes, uniques = column_codes(table.rows, i)
        want = value.strip().casefold()
        equal = np.array([u.strip().casefold() == want for u in uniques], dtype=np.bool_)
        keep &= equal[codes] if len(uniques) else keep
    return ~keep


def filtered_out(row: SourceRow, filters: list[tuple[int, str, str]]) -> str:
    """Why ``row`` is left out by a --where; "" when it is not."""
    for i, name, value in filters:
        have = row.cells[i].strip()
        if have.casefold() != value.strip().casefold():
            return (
                f'not processed: {printable(name)} is "{printable(have)}", '
                f'--where wants "{printable(value.strip())}"'
            )
    return ""
