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
from pathlib import Path
from typing import Any

from ..core.errors import InputError
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


def read_sheets(
    path: Path,
    book: Any,
    names: list[str],
    sheet: str | int | None,
    all_sheets: bool,
    checked: ZipBook | None = None,
) -> list[tuple[str | None, Grid]]:
    """(sheet name, grid) of the chosen sheets of ``book``, whose sheets are ``names``.

    ``sheet`` is a name (case-insensitive) or a 0-based index, the first sheet
    by default; ``all_sheets`` reads every sheet that holds cells. Each sheet
    of a zip workbook is checked (``checked``) before calamine builds it.
    Raises ``InputError`` for a missing, unreadable or oversized sheet.
    """
    chosen = names if all_sheets else [_pick_sheet(path, names, sheet)]
    out: list[tuple[str | None, Grid]] = []
    for name in chosen:
        if checked is not None:
            checked.check_sheet(name)
        try:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:  # as in open_book: a panic is refused like an error
            if all_sheets:  # chart sheets and dialog sheets hold no cells
                continue
            raise InputError(
                f'sheet "{printable(name)}" of {printable(path.name)} cannot be read '
                f"({_short(e)}); "
                "save the workbook again or export the sheet as CSV",
                path=str(path),
            ) from None
        if len(rows) > MAX_ROWS:
            too_many_rows(path)
        # Rows of text cells (most rows of an export) are kept as calamine gives them.
        grid = [
            row if all(type(v) is str for v in row) else [_cell_text(v) for v in row]
            for row in rows
        ]
        out.append((name, grid))
    return out


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
