"""The report workbook's cell formats: the status and outcome colours (Excel's own good /
bad / neutral palette), dates, numbers, headings. ``workbook`` makes them once per
workbook, by name."""

from __future__ import annotations

from typing import Any

DATE_FORMAT = 'yyyy-mm-dd hh:mm:ss "UTC"'
DAY_FORMAT = "yyyy-mm-dd"

# (fill, font colour) per status: Excel's own good / bad / neutral palette.
STATUS_COLOURS = {
    "success": ("C6EFCE", "006100"),
    "not_found": ("E2EFDA", "375623"),  # a final, good answer: lighter than success
    "failed": ("FFC7CE", "9C0006"),
    "invalid": ("D9D9D9", "3A3A3A"),
    "duplicate": ("D9D9D9", "3A3A3A"),
    "skipped": ("D9D9D9", "3A3A3A"),
    "pending": ("FFEB9C", "9C5700"),
    "ready": ("DDEBF7", "1F4E78"),
}
# The Requests sheet's outcome and on_time values, in the same palette.
REQUEST_COLOURS = {
    "erased": STATUS_COLOURS["success"],
    "no_data_held": STATUS_COLOURS["not_found"],
    "anonymized_unverified": ("FFF2CC", "7F6000"),  # the vendor's word only: not green
    "incomplete": STATUS_COLOURS["failed"],
    "yes": STATUS_COLOURS["success"],
    "late": ("FCE4D6", "843C0C"),
    "overdue": STATUS_COLOURS["failed"],
    "due_soon": STATUS_COLOURS["pending"],
    "open": STATUS_COLOURS["ready"],
}
COLOURS = {**STATUS_COLOURS, **REQUEST_COLOURS}
# Cell formats by name, as xlsxwriter format properties.
STYLES: dict[str, dict[str, Any]] = {
    **{
        status: {"bg_color": f"#{fill}", "font_color": f"#{font}", "bold": True, "valign": "top"}
        for status, (fill, font) in COLOURS.items()
    },
    "": {},
    "date": {"num_format": DATE_FORMAT},
    "day": {"num_format": DAY_FORMAT},
    # in a table, numbers and dates keep a character's space from the next column's text;
    # every value of a row made tall by a wrapped cell stands at its top, on the same line
    "cell_date": {"num_format": DATE_FORMAT, "align": "right", "indent": 1, "valign": "top"},
    "cell_day": {"num_format": DAY_FORMAT, "align": "right", "indent": 1, "valign": "top"},
    "cell_number": {"align": "right", "indent": 1, "valign": "top"},
    "top": {"valign": "top"},
    "header": {"bold": True, "bg_color": "#F2F2F2"},
    "title": {"bold": True, "font_size": 16},
    "headline": {"bold": True, "font_size": 12},
    "headline_wrap": {"bold": True, "font_size": 12, "text_wrap": True, "valign": "top"},
    "section": {"bold": True, "font_size": 12},
    "wrap": {"text_wrap": True, "valign": "top"},
    "number": {"num_format": "#,##0", "align": "left"},
    "grey": {"font_color": "#808080"},
}
