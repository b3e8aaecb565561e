"""The plan as one journal record: a run's lines as columns, written and read back whole.

A million-row sheet plans about two million lines. One ``line`` record each
cost ~16 s before the first request (each line made, encoded and hashed); the
plan's own columns (``core.lines.Lines``: the input rows once, the distinct
keys once, a few integers per line) encode as one JSON record in ~1-2 s, and
its digest is the SHA-256 of those bytes. The reader makes a ``Lines`` of it
again, so every stage reads the same ``Line`` records as before.

The record (``t`` = ``plan``), every array a JSON list (plain JSON: ``redact``
rewrites the texts in it as it does those of ``line`` records):

Integers are stored as little-endian arrays, zlib-compressed, in base64
(``ints``); each text column a JSON list of chunks (65,536 rows' cells, or
keys, each), a chunk one JSON string joined by U+001F (a list when a text holds
that character).

- per input row: ``sheets`` (the distinct sheet names) and ``sheet`` (an index
  into it), ``number``, ``cells``, ``row_code``; ``reasons`` [row, text] of the
  rows whose lines are skipped or held (what ``skip_reason`` said of them);
- per line: ``row_of``, ``entry_of`` (-1: no key), ``status``, ``first_of``;
- per distinct key (``entries``): ``key``, ``norm``, ``written``, ``key_type``,
  ``column``, ``invalid``, ``problem`` [entry, code, message], ``columns``.

It is written piece by piece as it is encoded (never whole in memory), and
followed by a ``planned`` record holding its SHA-256 (the resume's digest).
A plan that is not columns (a retry's lines, read from a report) is journaled
one ``line`` record per line, as before (``format.line_text``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import json.encoder
import zlib
from collections.abc import Callable, Iterator, Sequence
from itertools import chain, islice
from typing import Any

import numpy as np

from ..core.codes import reason
from ..core.lines import HELD, KEY_TYPES, SKIPPED, KeyEntries, Lines
from ..core.records import KeyType, Line, SourceRow
from ..core.table import RowColumns

_SEP = "\x1f"
_encode_str: Callable[[str], str] = json.encoder.encode_basestring  # json.dumps' own escape
#: the per-row, per-line and per-entry integer columns, and how they are stored
_INTS = {
    "sheet": "<i4", "number": "<i8", "row_code": "<i1", "ncells": "<i4",
    "row_of": "<i4", "entry_of": "<i4", "status": "<i1", "first_of": "<i4",
    "key_type": "<i1", "column": "<i4", "invalid": "<i1",
}  # fmt: skip
TEXTS = ("cells", "key", "norm", "written")
_CHUNK = 65_536  # rows (cells) or keys per text chunk: the record is never whole in memory

_last: tuple[Lines, str] | None = None  # the last plan's digest (a resume needs it twice)


def plan_digest(lines: Sequence[Line]) -> str | None:
    """The SHA-256 of the ``plan`` record of ``lines`` (None: not columns, no record).

    Encoded piece by piece and hashed, nothing kept but the digest (a large plan's
    record is ~250 MB); the last plan's digest is remembered.
    """
    if not isinstance(lines, Lines):
        return None
    if _last is None or _last[0] is not lines:
        h = hashlib.sha256()
        for piece in pieces(lines):
            h.update(piece)
        remember(lines, h.hexdigest())
    assert _last is not None
    return _last[1]


def remember(lines: Lines, digest: str) -> None:
    """Keep the digest of the record just written for ``lines`` (``plan_digest``)."""
    global _last
    _last = (lines, digest)


def planned_line(digest: str) -> bytes:
    """The record after a ``plan`` record: its SHA-256 (found whole: the plan is)."""
    return b'{"t":"planned","sha256":"%s"}\n' % digest.encode()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _text_chunk(col: list[str]) -> bytes:
    """Some texts of a column as one JSON string joined by ``_SEP`` (a list when a text
    holds it)."""
    text = _SEP.join(col)
    if not col or text.count(_SEP) != len(col) - 1:
        return _dumps(col).encode()
    return _encode_str(text).encode()


def _text_column(chunks: Iterator[list[str]]) -> Iterator[bytes]:
    """A column of texts as a JSON list of chunks (``_text_chunk``), made one at a time."""
    yield b"["
    for i, chunk in enumerate(chunks):
        yield b"," + _text_chunk(chunk) if i else _text_chunk(chunk)
    yield b"]"


def _slices(values: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


def _cell_chunks(rows: Sequence[SourceRow]) -> Iterator[list[str]]:
    """Every row's cells in order, ``_CHUNK`` rows' at a time."""
    it = iter(rows)
    while chunk := list(chain.from_iterable(r.cells for r in islice(it, _CHUNK))):
        yield chunk


def _cell_texts(rows: Sequence[SourceRow]) -> Iterator[bytes]:
    """The ``cells`` column's chunks (``_text_column``'s bytes). From a table kept as
    columns whose cells never hold ``_SEP``, each chunk's text is joined in place
    (``RowColumns.joined_chunks``): no cell and no row is made, the same bytes."""
    if not isinstance(rows, RowColumns) or not rows.width or rows.holds(_SEP):
        yield from _text_column(_cell_chunks(rows))
        return
    yield b"["
    for i, text in enumerate(rows.joined_chunks(_CHUNK, _SEP)):
        yield b"," + _encode_str(text).encode() if i else _encode_str(text).encode()
    yield b"]"


def _row_ints(
    rows: Sequence[SourceRow], sheet_names: dict[str | None, int]
) -> tuple[Any, Any, Any]:
    """Per row: its sheet (numbered in order of first appearance into ``sheet_names``),
    its number and its count of cells; read from the columns when the rows keep them."""
    if not isinstance(rows, RowColumns):
        return (
            [sheet_names.setdefault(r.sheet, len(sheet_names)) for r in rows],
            [r.number for r in rows],
            [len(r.cells) for r in rows],
        )
    index = rows.sheet_indices()
    used, first = np.unique(index, return_index=True)
    order = used[np.argsort(first)]  # the sheets in order of their first row
    renumber = np.zeros(len(rows.sheets), dtype=np.int64)
    renumber[order] = np.arange(len(order))
    for s in order.tolist():
        sheet_names.setdefault(rows.sheets[s], len(sheet_names))
    return (
        renumber[index],
        np.frombuffer(rows.numbers(), dtype=np.int64),
        np.full(len(rows), rows.width, dtype=np.int64),
    )


def pieces(lines: Lines) -> Iterator[bytes]:
    """The ``plan`` record of ``lines``, newline included, in pieces made one at a time."""
    rows, e = lines.rows, lines.entries
    sheet_names: dict[str | None, int] = {}
    status, row_of = lines.status, lines.row_of
    gated = (status == SKIPPED) | (status == HELD)
    # the rows skip_reason is asked about: a skipped or held line's own row, and the row
    # that holds the key of a line held for it
    asked = set(row_of[gated].tolist())
    asked.update(lines.first_of[gated & (lines.row_code[row_of] == 0)].tolist())
    sheet, number, ncells = _row_ints(rows, sheet_names)
    ints = {
        "sheet": sheet,
        "number": number,
        "row_code": lines.row_code,
        "ncells": ncells,
        "row_of": row_of,
        "entry_of": lines.entry_of,
        "status": status,
        "first_of": lines.first_of,
        "key_type": e.key_type,
        "column": e.column,
        "invalid": e.invalid,
    }
    head = {
        "t": "plan",
        "n": len(lines),
        "sheets": list(sheet_names),
        "several_sheets": lines.several_sheets,
        "reasons": [[r, lines.skip_reason(rows[r])] for r in sorted(asked)],
        "problem": [[k, c.value if c else "", m] for k, (c, m) in sorted(e.problem.items())],
        "columns": list(e.columns),
        "ints": {
            name: base64.b64encode(
                zlib.compress(np.asarray(v).astype(_INTS[name]).tobytes(), 1)
            ).decode()
            for name, v in ints.items()
        },
    }
    yield _dumps(head)[:-1].encode()
    texts = {
        "cells": lambda: _cell_texts(rows),
        "key": lambda: _text_column(_slices(e.key)),
        "norm": lambda: _text_column(_slices(e.norm)),
        "written": lambda: _text_column(_slices(e.written)),
    }
    for name in TEXTS:
        yield f',"{name}":'.encode()
        yield from texts[name]()
    yield b"}\n"


def texts(rec: dict[str, Any]) -> dict[str, list[str]]:
    """The text columns of a ``plan`` record: ``cells`` (every row's, in order), and the
    distinct keys' ``key``, ``norm`` and ``written``."""
    out: dict[str, list[str]] = {}
    for name in TEXTS:
        column: list[str] = []
        for chunk in rec[name]:
            column.extend(chunk.split(_SEP) if isinstance(chunk, str) else map(str, chunk))
        out[name] = column
    return out


def key_types(rec: dict[str, Any]) -> list[KeyType | None]:
    """The type of each distinct key of a ``plan`` record (as ``texts(rec)["key"]``)."""
    raw = _unpacked(rec["ints"]["key_type"])
    return [KEY_TYPES[t] for t in np.frombuffer(raw, dtype=_INTS["key_type"]).tolist()]


def _unpacked(text: str) -> bytes:
    return zlib.decompress(base64.b64decode(text, validate=True))


def decode(rec: dict[str, Any]) -> Lines:
    """The ``Lines`` a ``plan`` record holds (``KeyError``/``TypeError``/``ValueError`` when
    it is damaged)."""
    ints = {
        name: np.frombuffer(_unpacked(rec["ints"][name]), dtype=dtype)
        for name, dtype in _INTS.items()
    }
    text = texts(rec)
    names = rec["sheets"]
    flat = text["cells"]
    ends = np.cumsum(ints["ncells"]).tolist()
    if (ends[-1] if ends else 0) != len(flat):
        raise ValueError("the plan record's cells do not match their counts")
    starts = [0, *ends[:-1]]
    rows = [
        SourceRow(names[s], n, tuple(flat[a:b]))
        for s, n, a, b in zip(
            ints["sheet"].tolist(), ints["number"].tolist(), starts, ends, strict=True
        )
    ]
    said = {(rows[r].sheet, rows[r].number): str(text) for r, text in rec["reasons"]}

    def skip_reason(row: SourceRow) -> str:
        return said.get((row.sheet, row.number), "")

    entries = KeyEntries(
        text["key"],
        text["norm"],
        text["written"],
        ints["key_type"].astype(np.int8),
        ints["column"].astype(np.int32),
        ints["invalid"].astype(np.bool_),
        {int(k): (reason(c), str(m)) for k, c, m in rec["problem"]},
        tuple(rec["columns"]),
    )
    lines = Lines(
        rows,
        ints["row_of"].astype(np.int32),
        ints["entry_of"].astype(np.int32),
        ints["status"].astype(np.int8),
        ints["first_of"].astype(np.int32),
        entries,
        skip_reason,
        bool(rec["several_sheets"]),
        ints["row_code"].astype(np.int8),
    )
    if len(lines) != int(rec["n"]) or len(text["key"]) != len(entries.key_type):
        raise ValueError("the plan record's counts do not match its columns")
    return lines
