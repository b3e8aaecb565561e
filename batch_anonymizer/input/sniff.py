"""Whether a column's cells hold keys: for headers that leave a doubt, and identifiers.

Looked at once per column, on a sample of its first non-empty cells, with the
shape of a key only (no validation library): an address is ``local@domain.tld``,
a telephone is 7 to 15 digits with ``+``, spaces, ``-``, ``.``, ``/`` or
parentheses and is not a date. A column is "mostly keys" when at least
``MOSTLY`` of the sampled cells hold only keys of that shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..core.records import KeyType, SourceRow
from ..core.table import iter_cells
from .cells import MAX_KEY_CELL_CHARS, email_keys, phone_keys

SAMPLE = 1000  # non-empty cells looked at, from the top of the column
MOSTLY = 0.8  # share of the sampled cells that must hold keys

_EMAIL_SHAPE = re.compile(
    r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\".]+(?:\.[^@\s<>()\[\],;:\".]+)+$"
)
_PHONE_SHAPE = re.compile(r"^\+?[\d \t().\-/]+$", re.ASCII)
_DATE_SHAPE = re.compile(
    r"^\s*(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})\s*$", re.ASCII
)
_DIGIT = re.compile(r"\d", re.ASCII)


def looks_like_email(piece: str) -> bool:
    """``ann@example.com``: one ``@``, something before it, a dotted domain after it."""
    return bool(_EMAIL_SHAPE.match(piece))


def looks_like_phone(piece: str) -> bool:
    """``+44 7700 900123``, ``(202) 555-0143``: 7-15 digits in a telephone's layout, no date."""
    if not _PHONE_SHAPE.match(piece) or _DATE_SHAPE.match(piece):
        return False
    return 7 <= len(_DIGIT.findall(piece)) <= 15


_SHAPES: dict[KeyType, tuple[Callable[[str], list[str]], Callable[[str], bool]]] = {
    KeyType.EMAIL: (email_keys, looks_like_email),
    KeyType.TELEPHONE: (phone_keys, looks_like_phone),
}


@dataclass(frozen=True, slots=True)
class CellShare:
    """How many of a column's sampled non-empty cells hold only keys of one type."""

    keys: int
    sampled: int

    @property
    def mostly(self) -> bool:
        """At least ``MOSTLY`` of the sampled cells are keys (never for an empty column)."""
        return self.sampled > 0 and self.keys >= MOSTLY * self.sampled


def cell_share(rows: Sequence[SourceRow], index: int, key_type: KeyType) -> CellShare:
    """The share of the first ``SAMPLE`` non-empty cells of column ``index`` that are keys."""
    split, shaped = _SHAPES[key_type]
    keys = sampled = 0
    for cell in iter_cells(rows, index):
        if not cell or cell.isspace():
            continue
        pieces = split(cell) if len(cell) <= MAX_KEY_CELL_CHARS else []
        sampled += 1
        if pieces and all(shaped(p) for p in pieces):
            keys += 1
        if sampled >= SAMPLE:
            break
    return CellShare(keys, sampled)
