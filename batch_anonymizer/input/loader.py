"""Read an input file (.csv/.tsv/.txt or .xlsx/.xlsm/.xls/.ods) into an ``InputTable``.

Every cell comes back as text, so a telephone never turns into a float. Row
numbers are the ones a person sees in a spreadsheet program. Every fatal
problem raises ``InputError`` with one line saying what to do; no pandas, zip
or unicode traceback escapes.

This module checks the file, picks the reader by suffix (``text`` for
delimited text, ``book`` for workbooks, each giving grids of text cells), has
``frame`` find each grid's header and rows, refuses a report of this tool, and
builds the table. The cyclic garbage collector is paused for the whole load.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..core.errors import InputError
from ..core.files import file_sha256
from ..core.gcpause import gc_paused
from ..core.records import InputTable
from ..core.text import printable, safe_message
from .book import Sheets, open_book, read_sheets
from .cells import trim
from .frame import Frame, frame, header_index, join_sheets
from .grid import Grid
from .headers import may_hold_keys
from .text import read_text

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
BOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
SUPPORTED = ", ".join(TEXT_SUFFIXES + BOOK_SUFFIXES)
# Columns only our own report has; a file holding most of them is a report.
REPORT_COLUMNS = frozenset({"source_row", "key_type", "key", "status", "attempts", "run_id"})


def load_table(
    path: Path,
    *,
    sheet: str | int | None = None,
    all_sheets: bool = False,
    header_row: int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    allow_report: bool = False,
    hidden_sheets: bool = False,
    skip_keyless: bool = False,
) -> InputTable:
    """Read ``path`` into an ``InputTable`` of text cells.

    ``sheet`` is a sheet name or 0-based index (default: the first visible
    sheet; hidden sheets before it are named in the table's
    ``skipped_sheets``); ``all_sheets`` reads every visible non-empty sheet
    into one table (``hidden_sheets``: the hidden ones too), and refuses a
    sheet without an email or telephone column unless ``skip_keyless`` (then
    it is left out and named). ``header_row`` (1-based) overrides header
    detection. ``encoding`` and ``delimiter`` override detection for text
    files. A report of this tool is refused unless ``allow_report``. Raises
    ``InputError`` for any unusable file.
    """
    how = _How(sheet, all_sheets, header_row, allow_report, hidden_sheets, skip_keyless)
    try:
        with gc_paused():
            return _load(path, how, encoding, delimiter)
    except InputError as e:
        raise safe_message(e) from None
    except MemoryError:
        raise InputError(
            f"{printable(Path(path).name)} is too large to read in the memory this machine has; "
            "split it into smaller files",
            path=str(path),
        ) from None


@dataclass(frozen=True, slots=True)
class _How:
    sheet: str | int | None
    all_sheets: bool
    header_row: int | None
    allow_report: bool
    hidden_sheets: bool
    skip_keyless: bool


def _load(path: Path, how: _How, encoding: str | None, delimiter: str | None) -> InputTable:
    path = Path(path)
    _check_file(path)
    suffix = path.suffix.lower()
    if how.header_row is not None and how.header_row < 1:
        raise InputError(f"--header-row must be 1 or more, not {how.header_row}", path=str(path))
    if suffix in TEXT_SUFFIXES:
        sheets = Sheets([(None, read_text(path, encoding, delimiter))], [], None)
    else:
        sheets = _read_book(path, how)
    parts: list[Frame] = []
    for name, grid in sheets.grids:
        part = _frame(path, name, grid, how.header_row, how.allow_report)
        if part is None:
            if how.all_sheets and how.skip_keyless and name is not None:
                sheets.skipped.append((name, "empty"))
        elif not how.all_sheets or any(may_hold_keys(c) for c in part[1]):
            parts.append(part)
        elif how.skip_keyless and name is not None:
            sheets.skipped.append((name, "no email or telephone column"))
        else:
            raise InputError(
                f'sheet "{name}" of {path.name} has no email or telephone column; '
                "read one sheet with --sheet, or remove that sheet",
                path=str(path),
            )
    table = _table(path, parts, multi=suffix in BOOK_SUFFIXES)
    return replace(table, skipped_sheets=tuple(sheets.skipped), active_sheet=sheets.active)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path} does not exist; check the path", path=str(path))
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a spreadsheet file", path=str(path))
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES + BOOK_SUFFIXES:
        raise InputError(
            f'{path.name}: unsupported file type "{suffix or "(none)"}"; '
            f"save it as one of {SUPPORTED}",
            path=str(path),
        )
    if path.stat().st_size == 0:
        raise InputError(f"{path.name} is empty (0 bytes); export the data again", path=str(path))


def _read_book(path: Path, how: _How) -> Sheets:
    sheet = how.sheet
    book, checked = open_book(path)
    names: list[str] = list(book.sheet_names)
    # Our report's sheets: refused before any sheet is read, its Rows when allowed.
    if {"Summary", "Rows"} <= set(names):
        if not how.allow_report:
            _refuse_report(path)
        if sheet is None and not how.all_sheets:
            sheet = "Rows"
    try:
        return read_sheets(
            path, book, names, sheet, how.all_sheets, checked, hidden=how.hidden_sheets
        )
    finally:
        if checked is not None:
            checked.close()


def _frame(
    path: Path, sheet: str | None, grid: Grid, header_row: int | None, allow_report: bool
) -> Frame | None:
    """Header and data rows of one sheet, or None for a sheet with nothing in it."""
    h = header_index(path, sheet, grid, header_row)
    if h is None:
        return None
    if not allow_report and len(REPORT_COLUMNS & {trim(c) for c in grid[h]}) >= 4:
        _refuse_report(path)
    return frame(path, sheet, grid, h)


def _refuse_report(path: Path) -> None:
    raise InputError(
        f"{path.name} is a report of batch-anonymizer, not a list of requests; "
        f"to send its failed rows again use `batch-anonymizer retry {path.name}`, "
        f"or continue a run with `--resume {path.name}`",
        path=str(path),
    )


def _table(path: Path, parts: list[Frame], *, multi: bool) -> InputTable:
    if not parts or not any(rows for _, _, rows, _ in parts):
        what = "a header but no data rows" if parts else "no data"
        raise InputError(
            f"{path.name} has {what}; check that you exported the right sheet or file",
            path=str(path),
        )
    size = path.stat().st_size
    sha = file_sha256(path)
    if len(parts) == 1:
        name, columns, rows, blank = parts[0]
        sheets = (name,) if multi and name is not None else ()
        return InputTable(path, sha, size, tuple(columns), rows, sheets, blank)
    names, merged = join_sheets(parts)
    return InputTable(
        path,
        sha,
        size,
        tuple(names),
        merged,
        tuple(p[0] for p in parts if p[0] is not None),
        sum(p[3] for p in parts),
    )
