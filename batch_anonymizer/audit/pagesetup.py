"""How each workbook sheet prints: paper, orientation, margins, print titles, area, scale.

Every sheet prints on A4 (``--paper letter``: US Letter) with its header row
repeated on each page. Whether a sheet can print one page wide is computed
from its column widths, never left to "fit to one page" (which shrinks a
30-column sheet to 3 pt): a sheet that fits the page width at a readable size
(the default 11 pt font at ``MIN_SCALE`` or more, so at least 8 pt) is set to
fit one page wide (the program then picks the exact scale, at least that); a
wider one (Rows, with every input column) prints at ``MIN_SCALE`` across as
many pages as it needs, its first column repeated on each. Portrait when the
sheet fits it at full size, else landscape.
The Requests sheet's key columns print one page wide on the Register sheet
(``requests_sheet.register_table``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from ..core.timefmt import parse_iso

#: Paper names of ``--paper`` -> (Excel's paper code, width, height in inches).
PAPERS = {"a4": (9, 8.27, 11.69), "letter": (1, 8.5, 11.0)}
DEFAULT_PAPER = "a4"
#: The smallest print scale (percent): 73% of the default 11 pt font is 8 pt.
MIN_SCALE = 73
MARGIN = 0.4  # inches, left and right (top and bottom: MARGIN + 0.1, for the header/footer)
# Excel's column width is in characters of the default font (Calibri 11: 7 pixels, plus
# 5 pixels of padding per column); a pixel is 0.75 pt at 96 dpi. LibreOffice draws the
# same width wider (about 8.5 pixels a character, measured): counted at 9, a sheet said
# to fit at MIN_SCALE or more does so in both.
_CHAR_PX, _PAD_PX, _PT_PER_PX = 9, 5, 0.75
_MIN_WIDTH, _MAX_WIDTH, _WIDTH_SAMPLE = 8, 60, 2_000
_WRAP_WIDTH = 48  # a wrapped column's widest (message: about two lines of a long answer)
#: Narrower caps for the wrapped columns of the Register, so that its eleven key columns
#: fit an A4 page's width at 8 pt (a --no-verify run's anonymized_unverified, not wrapped
#: as a coloured value, may push it across two pages, its request column on each).
WRAP_WIDTHS = {
    "request": 16,
    "handled_by": 14,
    "decision": 10,
    "decision_note": 22,
    "deadline_code": 14,
}


def sheet_points(widths: Sequence[float]) -> float:
    """The printed width (points, at 100%) of columns of these Excel widths."""
    return sum(math.floor(w * _CHAR_PX + _PAD_PX) for w in widths) * _PT_PER_PX


def layout(widths: Sequence[float], paper: str) -> tuple[bool, int]:
    """(landscape, scale in percent) for a sheet of these column widths on ``paper``.

    Portrait at 100% when it fits; else landscape, scaled down to the page width
    but never below ``MIN_SCALE`` (a wider sheet then prints across pages).
    """
    _, short, long = PAPERS[paper]
    wide = sheet_points(widths)
    if wide <= (short - 2 * MARGIN) * 72:
        return False, 100
    fit = math.floor((long - 2 * MARGIN) * 72 / wide * 100)
    return True, max(MIN_SCALE, min(100, fit))


def set_up_page(ws: Any, widths: Sequence[float], last_row: int, paper: str) -> None:
    """Page setup of a table sheet: header row repeated, print area the table, the scale
    of ``layout``; a sheet wider than the page repeats its first column on each page."""
    code, _, _ = PAPERS[paper]
    landscape, scale = layout(widths, paper)
    ws.set_paper(code)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_margins(left=MARGIN, right=MARGIN, top=MARGIN + 0.1, bottom=MARGIN + 0.1)
    ws.repeat_rows(0)
    ws.print_area(0, 0, max(last_row, 0), len(widths) - 1)
    ws.set_footer("&L&A&RPage &P of &N")
    _, _, long = PAPERS[paper]
    if sheet_points(widths) * scale / 100 > (long - 2 * MARGIN) * 72:
        # wider than the page at a readable size: across pages, its first column on each
        ws.set_print_scale(scale)
        ws.repeat_columns(0)
    elif scale < 100:
        ws.fit_to_pages(1, 0)


def column_widths(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    date_col: int,
    wrapped: Sequence[int] = (),
) -> list[float]:
    """Each column's width (Excel's characters): its widest value (of a sample) or
    header, and room for a number's indent; a ``wrapped`` column at most ``_WRAP_WIDTH``.
    ``date_col``: the column whose ISO texts are shown as dates."""
    widest = [len(h) for h in header]
    for row in rows[:_WIDTH_SAMPLE]:
        for i, v in enumerate(row):
            if isinstance(v, datetime) or (i == date_col and isinstance(v, str) and parse_iso(v)):
                n = 25  # yyyy-mm-dd hh:mm:ss UTC and its indent, or Excel shows ####
            elif isinstance(v, date):
                n = 11  # yyyy-mm-dd and its indent
            elif isinstance(v, str):
                n = max(len(part) for part in v.split("\n"))
            else:
                continue
            if n > widest[i]:
                widest[i] = n
    return [
        min(
            max(w + 2, _MIN_WIDTH),
            WRAP_WIDTHS.get(header[i], _WRAP_WIDTH) if i in wrapped else _MAX_WIDTH,
        )
        for i, w in enumerate(widest)
    ]


def wrapped_lines(value: object, per_line: int) -> int:
    """How many lines ``value`` takes wrapped at ``per_line`` characters (at most 15)."""
    if not isinstance(value, str) or len(value) <= per_line:
        return 1
    return min(sum(-(-len(part) // per_line) or 1 for part in value.split("\n")), 15)
