"""A column of the input as numbers: each row's cell as the number of its distinct value.

The plan, the row gates and the requests overview read whole columns only to
group rows by their cells. Made as Python strings, a million-row column costs
~0.2 s and ~60 MB before pandas hashes it; a table kept as columns
(``core.table.RowColumns``) holds each column as one text with its cells'
offsets, the layout of an arrow string array, so arrow's ``dictionary_encode``
numbers the cells in place and only the distinct values become Python strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..core.records import SourceRow
from ..core.table import RowColumns, column_cells

if TYPE_CHECKING:
    import pyarrow as pa


def column_codes(rows: Sequence[SourceRow], c: int) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Each row's cell ``c`` as the number of its distinct value (numbered in order of
    first appearance, as ``pandas.factorize``), and the distinct values."""
    codes, values, _ = column_values(rows, c)
    return codes, values


def column_values(
    rows: Sequence[SourceRow], c: int
) -> tuple[npt.NDArray[np.int64], list[str], pa.LargeStringArray | None]:
    """``column_codes``, and the distinct values as an arrow column too when arrow
    numbered them (None otherwise): the fast paths' kernels read it as it is."""
    if isinstance(rows, RowColumns) and len(rows):
        text, offsets = rows.column_text(c)
        if text.isascii():  # a character is a byte: the offsets are arrow's as they are
            import pyarrow as pa  # with the plan (``columnar``'s docstring)

            cells = pa.LargeStringArray.from_buffers(
                len(rows), pa.py_buffer(offsets), pa.py_buffer(text.encode("ascii"))
            )
            coded = cells.dictionary_encode()
            codes = coded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
            values: list[str] = coded.dictionary.to_pylist()  # str: a string column's
            return codes, values, coded.dictionary
    return (*factorize_cells(column_cells(rows, c)), None)


def factorize_cells(cells: Sequence[str]) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Each cell as the number of its distinct value (numbered in order of first
    appearance), and the distinct values: ``pandas.factorize`` for the stages above
    ``input``, which do not import pandas."""
    import pandas as pd  # when a plan is made (``columnar``'s docstring)

    codes, uniques = pd.factorize(np.fromiter(cells, dtype=object, count=len(cells)))
    return codes.astype(np.int64), list(uniques.tolist())
