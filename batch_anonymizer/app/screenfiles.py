"""The files ``screen`` writes: the list without the erased people, and what was removed.

``NAME-screened.EXT`` beside the list, in its format: delimited text keeps its
encoding (and byte-order mark) and delimiter, every other line as the csv
module reads it (values unchanged; quoting may be tidied); an ``.xlsx`` /
``.xlsm`` workbook loses only the removed rows of each sheet, in a stream, and
is refused when removing rows would break it (``bookscreen``: formulas,
hyperlinks, merged cells...). ``.xls`` and ``.ods`` cannot be written: save the
list as ``.xlsx`` (``--check`` reads any format). ``NAME-removed.csv`` lists
each removed key: row, masked key, erasure date, run id; never the key.
Both are written atomically, mode 0600.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import IO

from ..audit.cellsafe import neutralise_row
from ..core.errors import UsageError
from ..core.files import atomic_write
from ..input.text import text_format
from .bookscreen import book_copy
from .options import InputOptions
from .screen import Screened

TEXT = (".csv", ".tsv", ".txt")
BOOKS = (".xlsx", ".xlsm")
_Writer = Callable[[IO[bytes]], None]
REMOVED_COLUMNS = (
    "source_row",
    "source_sheet",
    "key_type",
    "key_hint",
    "source_column",
    "erased_at",
    "outcome",
    "run_id",
)


def screened_paths(path: Path) -> tuple[Path, Path]:
    """``NAME-screened.EXT`` and ``NAME-removed.csv`` beside ``path``."""
    return (
        path.with_name(f"{path.stem}-screened{path.suffix}"),
        path.with_name(f"{path.stem}-removed.csv"),
    )


def check_writable(path: Path, sheet: str | None = None) -> None:
    """Refuse, before reading, a format whose screened copy cannot be written, and a workbook
    screened one sheet at a time (its copy holds every sheet, so every sheet is screened)."""
    if path.suffix.lower() not in TEXT + BOOKS:
        raise UsageError(
            f"screen writes .csv, .tsv, .txt, .xlsx and .xlsm copies, not {path.suffix}: save "
            f"{path.name} as .xlsx first (screen --check reads any input format)"
        )
    if sheet is not None and path.suffix.lower() in BOOKS:
        raise UsageError(
            "screen writes every sheet of a workbook back, so it screens every sheet: drop "
            "--sheet (screen --check --sheet NAME checks one sheet without writing)"
        )


def write_screened(result: Screened, opts: InputOptions | None = None) -> tuple[Path, Path]:
    """Write the screened copy and the removed list; return their paths."""
    opts = opts or InputOptions()
    source = result.plan.table.path
    check_writable(source)
    out, removed = screened_paths(source)
    if source.suffix.lower() in TEXT:
        write_copy = _text_copy(source, result, opts)
    else:
        write_copy = _book_copy(source, result)
    atomic_write(
        (out, write_copy),
        (removed, lambda f: _removed(f, result)),
        then="then screen the file again (nothing was written)",
    )
    return out, removed


def _text_copy(source: Path, result: Screened, opts: InputOptions) -> _Writer:
    codec, delimiter = text_format(source, opts.encoding, opts.delimiter)
    text = source.read_bytes().decode(codec)
    newline = "\r\n" if "\r\n" in text else "\n"
    drop = {row for sheet, row in result.rows}

    def write(f: IO[bytes]) -> None:
        t = io.TextIOWrapper(f, encoding=codec, newline="")
        try:
            w = csv.writer(t, delimiter=delimiter, lineterminator=newline)
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            for number, record in enumerate(reader, 1):
                if number not in drop:
                    w.writerow(record)
            t.flush()
        finally:
            t.detach()

    return write


def _book_copy(source: Path, result: Screened) -> _Writer:
    table = result.plan.table
    by_sheet: dict[str, set[int]] = defaultdict(set)
    for sheet, row in result.rows:
        if sheet is None:  # a workbook's rows always name their sheet
            raise AssertionError(f"row {row} of {source.name} without its sheet")
        by_sheet[sheet].add(row)
    return book_copy(source, table.sha256, by_sheet)


def _removed(f: IO[bytes], result: Screened) -> None:
    t = io.TextIOWrapper(f, encoding="utf-8-sig", newline="")
    try:
        w = csv.writer(t)
        w.writerow(REMOVED_COLUMNS)
        for r in result.removed:
            w.writerow(
                neutralise_row(
                    [
                        r.source_row,
                        r.sheet or "",
                        r.key_type,
                        r.key_hint,
                        r.source_column,
                        r.erased_at,
                        r.outcome,
                        r.run_id,
                    ]
                )
            )
        t.flush()
    finally:
        t.detach()
