"""Workbooks (.xlsx/.xlsm/.xls/.ods) into grids, through python-calamine.

python-calamine is the engine behind pandas' ``read_excel(engine="calamine")``;
read directly it gives typed cells, so numbers, dates and booleans can be
turned into the text a person sees, without a DataFrame. Measured on a
100,000-row x 6-column .xlsx (this dev VM): ``read_excel`` took 2.0 s with
calamine and 22.7 s with openpyxl; ``load_table`` takes 1.8 s.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from ..core.errors import InputError
from ..core.records import InputTable
from ..core.text import printable
from .grid import MAX_ROWS, Grid, too_many_rows
from .text import looks_like_text
from .xlscheck import check_xls
from .zipcheck import LIMITS, MAX_PART_BYTES, ZipBook, judge, open_zip_book

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def open_book(path: Path) -> tuple[Any, ZipBook | None]:
    """The calamine workbook of ``path`` and, for a zip workbook, its checks (``zipcheck``).

    The first bytes must match the suffix, and a zip workbook passes
    ``zipcheck`` before calamine reads a byte of it. Raises ``InputError`` for
    an encrypted, misnamed, oversized or unreadable workbook.
    """
    with path.open("rb") as f:
        head = f.read(8)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm") and head.startswith(_OLE2_MAGIC):
        raise InputError(
            f"{path.name} is password-protected (encrypted); open it in Excel, remove the "
            "password (File > Info > Protect Workbook) and save a copy",
            path=str(path),
        )
    expected = _OLE2_MAGIC if suffix == ".xls" else _ZIP_MAGIC
    if not head.startswith(expected) and not (suffix == ".xls" and head.startswith(_ZIP_MAGIC)):
        hint = "it looks like text: rename it to .csv" if looks_like_text(path) else ""
        raise InputError(
            f"{path.name} is not a real {suffix} workbook"
            + (f" ({hint})" if hint else "; open it in a spreadsheet program and save it again"),
            path=str(path),
        )
    checked = open_zip_book(path, suffix) if head.startswith(_ZIP_MAGIC) else None
    if head.startswith(_OLE2_MAGIC):  # calamine reads every sheet of an .xls when it opens it
        judge(path, check_xls(path, LIMITS, MAX_PART_BYTES), printable(path.name))
    import python_calamine

    try:
        return python_calamine.CalamineWorkbook.from_path(str(path)), checked
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # calamine's own errors, and a Rust panic (a BaseException)
        if checked is not None:
            checked.close()
        raise InputError(
            f"{printable(path.name)} cannot be read as a workbook ({_short(e)}); it may be corrupt "
            "or password-protected: open it in a spreadsheet program and save a copy",
            path=str(path),
        ) from None


def _short(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return printable(text[:120])


@dataclass(frozen=True, slots=True)
class Sheets:
    """The sheets read from a workbook, and those left out by the choice (with why)."""

    grids: list[tuple[str | None, Grid]]
    skipped: list[tuple[str, str]]  # (sheet, "hidden" / "very hidden")
    active: str | None  # the sheet the workbook opens on, when the format says (.xlsx)


def read_sheets(
    path: Path,
    book: Any,
    names: list[str],
    sheet: str | int | None,
    all_sheets: bool,
    checked: ZipBook | None = None,
    *,
    hidden: bool = False,
) -> Sheets:
    """The chosen sheets of ``book`` (whose sheets are ``names``) as grids.

    ``sheet`` is a name (case-insensitive) or a 0-based index, read even when
    hidden; by default the first visible worksheet. ``all_sheets`` reads every
    visible sheet that holds cells, and the hidden ones too with ``hidden``.
    Hidden sheets left out are named in ``skipped``. Each sheet of a zip
    workbook is checked (``checked``) before calamine builds it. Raises
    ``InputError`` for a missing, unreadable or oversized sheet, or a workbook
    whose sheets are all hidden.
    """
    shown = _visibility(book)
    if all_sheets:
        chosen = [n for n in names if hidden or n not in shown]
    elif sheet is None:
        chosen = [_first_visible(path, book, names, shown)]
    else:
        chosen = [_pick_sheet(path, names, sheet)]
    left_out = names if all_sheets or sheet is None else []
    skipped = [(n, shown[n]) for n in left_out if n in shown and n not in chosen]
    if all_sheets and not chosen:
        _all_hidden(path, skipped)
    out: list[tuple[str | None, Grid]] = []
    for name in chosen:
        grid = _read_grid(path, book, name, all_sheets, checked)
        if grid is not None:
            out.append((name, grid))
    tab = checked.active_tab if checked is not None else None
    active = names[tab] if tab is not None and 0 <= tab < len(names) else None
    return Sheets(out, skipped, active)


def _visibility(book: Any) -> dict[str, str]:
    """Sheet name -> "hidden" / "very hidden", for the sheets that are not visible."""
    out: dict[str, str] = {}
    for m in book.sheets_metadata:
        state = str(m.visible).rpartition(".")[2]  # SheetVisibleEnum.Hidden
        if state == "Hidden":
            out[m.name] = "hidden"
        elif state == "VeryHidden":
            out[m.name] = "very hidden"
    return out


def _first_visible(path: Path, book: Any, names: list[str], shown: dict[str, str]) -> str:
    """The first visible worksheet (a chart sheet holds no cells), else the first visible one."""
    if not names:
        raise InputError(f"{printable(path.name)} holds no sheets", path=str(path))
    worksheets = {m.name for m in book.sheets_metadata if str(m.typ).endswith("WorkSheet")}
    visible = [n for n in names if n not in shown]
    for name in visible:
        if name in worksheets:
            return name
    if visible:
        return visible[0]
    _all_hidden(path, [(n, shown[n]) for n in names])
    raise AssertionError  # _all_hidden raised


def _all_hidden(path: Path, skipped: list[tuple[str, str]]) -> None:
    raise InputError(
        f"every sheet of {printable(path.name)} is hidden ("
        + ", ".join(f'"{printable(n)}" ({why})' for n, why in skipped)
        + "); read the one that holds the requests with --sheet NAME",
        path=str(path),
    )


def _read_grid(
    path: Path, book: Any, name: str, all_sheets: bool, checked: ZipBook | None
) -> Grid | None:
    """Sheet ``name`` as text cells (None: a sheet without cells, read with ``all_sheets``)."""
    if checked is not None:
        checked.check_sheet(name)
    try:
        rows: list[list[Any]] = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # as in open_book: a panic is refused like an error
        if all_sheets:  # chart sheets and dialog sheets hold no cells
            return None
        raise InputError(
            f'sheet "{printable(name)}" of {printable(path.name)} cannot be read '
            f"({_short(e)}); "
            "save the workbook again or export the sheet as CSV",
            path=str(path),
        ) from None
    if len(rows) > MAX_ROWS:
        too_many_rows(path)
    # A sheet of text cells only (an export's, often) is kept as calamine gives it, found in
    # one pass over its cells; otherwise rows of text cells are kept, the others turned to text.
    if set(map(type, chain.from_iterable(rows))) <= {str}:
        return rows
    return [
        row
        if all(type(v) is str for v in row)
        else [v if type(v) is str else _cell_text(v) for v in row]
        for row in rows
    ]


def _pick_sheet(path: Path, names: list[str], sheet: str | int | None) -> str:
    if not names:
        raise InputError(f"{printable(path.name)} holds no sheets", path=str(path))
    if sheet is None:
        return names[0]
    if isinstance(sheet, str):
        if sheet in names:
            return sheet
        folded = {n.casefold(): n for n in names}
        if sheet.strip().casefold() in folded:
            return folded[sheet.strip().casefold()]
        if not sheet.strip().isdigit():
            raise InputError(
                f'{printable(path.name)} has no sheet "{printable(sheet)}"; its sheets are: '
                + ", ".join(printable(n) for n in names),
                path=str(path),
            )
        sheet = int(sheet)
    if not 0 <= sheet < len(names):
        raise InputError(
            f"{printable(path.name)} has {len(names)} sheet(s), so there is no sheet index {sheet} "
            "(0 is the first); its sheets are: " + ", ".join(printable(n) for n in names),
            path=str(path),
        )
    return names[sheet]


def _cell_text(v: object) -> str:
    """A workbook cell as the text a person sees (phones never as ``4.479E+11``)."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if math.isfinite(v) and v.is_integer():
            return str(int(v))
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ") if v.time() != dt.time(0) else v.date().isoformat()
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    if v is None:
        return ""
    return str(v)


def sheet_lines(table: InputTable) -> list[str]:
    """What the confirmation and ``validate`` say of a workbook's sheets: which were read,
    which were left out and why, and the sheet it opens on when another one was read."""
    if not table.sheets:
        return []  # delimited text
    name = printable(table.path.name)
    read = ", ".join(f'"{printable(s)}"' for s in table.sheets)
    lines = [f"Sheet{'s' if len(table.sheets) > 1 else ''} read: {read} of {name}"]
    if table.skipped_sheets:
        lines.append(
            "Sheets not read: "
            + ", ".join(f'"{printable(s)}" ({why})' for s, why in table.skipped_sheets)
            + "; --sheet NAME reads one"
        )
    active = table.active_sheet
    if active is not None and active not in table.sheets:
        lines.append(
            f'Note: {name} opens on sheet "{printable(active)}", which is not read; '
            f'--sheet "{printable(active)}" reads it'
        )
    return lines
