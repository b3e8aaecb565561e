"""The digest of a plan's lines (journal formats 1 and 2): SHA-256 of everything their
``line`` records hold, computed column by column.

A run record of format 1 or 2 holds it (``lines_sha256``), so a resume whose fresh
plan has the same digest takes its lines from the plan instead of decoding every
``line`` record. Format 3 journals the plan as one record (``planblock``).
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections.abc import Sequence
from typing import Any

from ..core.lines import Lines
from ..core.records import Line

_SEP = "\x1f"


def lines_digest(lines: Sequence[Line]) -> str:
    """SHA-256 of everything the ``line`` records of ``lines`` hold (without priors).

    Written in the run record, so a resume whose fresh plan has the same digest
    can take its lines from the plan instead of decoding every ``line`` record.
    Computed column by column (fast); a column whose text holds the separator
    is encoded as JSON instead, so the encoding stays unambiguous.

    A resume needs it twice for the same plan (to read the old journal, then in
    the new run record): the last tuple's digest is kept (a tuple of frozen
    records cannot change).
    """
    global _last_digest
    if _last_digest is not None and _last_digest[0] is lines:
        return _last_digest[1]
    digest = _digest(lines)
    if isinstance(lines, tuple | Lines):
        _last_digest = (lines, digest)
    return digest


_last_digest: tuple[Sequence[Line], str] | None = None


def _digest(lines: Sequence[Line]) -> str:
    cells: list[str] | None = None
    if isinstance(lines, Lines):  # the same text, read from the columns
        f = lines.fields()
        shape = lines.cells_shape()
        if shape is None:
            counts = [len(c) for chunk in lines.line_cells_chunks() for c in chunk]
        else:
            counts = shape[0]
        numbers = [f["index"], f["source_row"], counts]
        before: list[list[str]] = [f["sheet"], f["key_type"], f["key"], f["norm"], f["status"]]
        before += [f["code"], f["message"]]
        after = [f["source_column"], f["written"]]
    else:
        numbers = [
            [ln.index for ln in lines],
            [ln.source_row for ln in lines],
            [len(ln.cells) for ln in lines],
        ]
        before = [
            [ln.sheet or "" for ln in lines],
            [ln.key_type or "" for ln in lines],
            [ln.key for ln in lines],
            [ln.norm for ln in lines],
            [ln.status for ln in lines],
            [ln.code or "" for ln in lines],
            [ln.message for ln in lines],
        ]
        cells = [c for ln in lines for c in ln.cells]
        after = [
            [ln.source_column for ln in lines],
            [ln.written for ln in lines],
        ]
    h = hashlib.sha256()
    for ints in numbers:
        h.update(array("q", ints).tobytes())
    for col in before:
        _hash_column(h, col)
    if cells is not None:
        _hash_column(h, cells)
    else:
        assert isinstance(lines, Lines)
        _hash_cells(h, lines)
    for col in after:
        _hash_column(h, col)
    return h.hexdigest()


def _hash_column(h: Any, col: list[str]) -> None:
    text = _SEP.join(col)
    if text.count(_SEP) != max(len(col) - 1, 0):
        text = json.dumps(col, ensure_ascii=False)
    h.update(f"{len(col)}:{len(text)}:".encode())
    h.update(text.encode("utf-8", "surrogatepass"))


def _hash_cells(h: Any, lines: Lines) -> None:
    """``_hash_column`` of every line's cells in turn, a batch of lines at a time: the
    same bytes, without two million lines' cells in one list (two passes: the length
    comes first)."""
    shape = lines.cells_shape()
    if shape is not None and not shape[2]:  # the length from the columns: one pass
        h.update(f"{sum(shape[0])}:{shape[1]}:".encode())
        _hash_cell_text(h, lines)
        return
    count = chars = parts = 0
    for chunk in lines.line_cells_chunks():
        flat = [c for cells in chunk for c in cells]
        text = _SEP.join(flat)
        if text.count(_SEP) != max(len(flat) - 1, 0):  # rare: the column goes as JSON
            every = [c for ch in lines.line_cells_chunks() for cells in ch for c in cells]
            _hash_column(h, every)
            return
        count += len(flat)
        chars += len(text)
        parts += bool(flat)
    h.update(f"{count}:{chars + max(parts - 1, 0)}:".encode())  # a separator between parts
    _hash_cell_text(h, lines)


def _hash_cell_text(h: Any, lines: Lines) -> None:
    """Every line's cells in turn joined by ``_SEP``, a batch of lines at a time."""
    started = False
    for chunk in lines.line_cells_chunks():
        flat = [c for cells in chunk for c in cells]
        if not flat:
            continue
        text = _SEP.join(flat)
        h.update(((_SEP if started else "") + text).encode("utf-8", "surrogatepass"))
        started = True


# -- attempts and outcomes ---------------------------------------------------------------
