"""Safe cells: text that a spreadsheet program can never run as a formula.

A report holds text from outside (keys, input cells, API messages). Following
the OWASP CSV-injection guidance, a value starting with ``=``, ``+``, ``-``,
``@``, tab, CR or LF is *neutralised*; the tool reads every value back exactly.

- CSV: the value gets a leading ``'``. To keep this reversible, a value that
  itself starts with ``'`` gets one too, so ``unneutralise(neutralise(v)) == v``
  for every string.
- XLSX: the value is stored unchanged as a text cell (never a formula) and the
  cell is marked ``quotePrefix``, which makes Excel and LibreOffice show and
  edit it as text. What XML cannot carry (control characters, CR, which XML
  parsers turn into LF) is written with the workbook format's own ``_xHHHH_``
  escape, which Excel decodes; ``xml_unescape`` reverses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Leading characters that make a spreadsheet program treat a cell as a formula.
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
_CSV_PREFIXES = (*DANGEROUS_PREFIXES, "'")

#: The most characters one worksheet cell holds (Excel's limit).
CELL_LIMIT = 32_767
TRUNCATED = " [… cut: a cell holds at most 32,767 characters; the .csv has the full text]"

# Characters XML 1.0 cannot hold, plus CR (read back as LF) and lone surrogates.
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# A literal "_x0041_" in the text must not be decoded as "A": escape its underscore.
_LOOKS_ESCAPED = re.compile("_(?=x[0-9A-Fa-f]{4}_)")
_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")


def is_dangerous(value: str) -> bool:
    """True when a spreadsheet program could run ``value`` as a formula."""
    return value.startswith(DANGEROUS_PREFIXES)


def neutralise(value: str) -> str:
    """The CSV form of ``value``: a leading ``'`` when it is dangerous or starts with ``'``."""
    return "'" + value if value.startswith(_CSV_PREFIXES) else value


def neutralise_row(values: Iterable[object]) -> list[str]:
    """The CSV form of a row: ``neutralise(str(value))`` of each value, ``""`` for None, and
    numbers as numbers (``-983``, not ``'-983``: a negative number is not a formula)."""
    # The inner loop of the .csv twin (100,000 lines and more): no call per text cell.
    out = []
    for v in values:
        if v is None:
            out.append("")
        elif type(v) is int or type(v) is float:
            out.append(str(v))  # a number, -983 included, is no formula: written as a number
        else:
            text = v if type(v) is str else str(v)
            out.append("'" + text if text.startswith(_CSV_PREFIXES) else text)
    return out


def unneutralise(value: str) -> str:
    """The exact value ``neutralise`` was given."""
    return value[1:] if value.startswith("'") else value


def xml_escape(value: str) -> str:
    """``value`` with what XML cannot carry written as ``_xHHHH_`` (the OOXML escape).

    A value of only whitespace gets its first character escaped too: readers
    drop whitespace-only text that is not marked to be preserved.
    """
    if "_x" in value:
        value = _LOOKS_ESCAPED.sub("_x005F_", value)
    value = _XML_UNSAFE.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    if value.isspace():
        value = f"_x{ord(value[0]):04X}_{value[1:]}"
    return value


def xml_unescape(value: str) -> str:
    """Reverse ``xml_escape``: decode every ``_xHHHH_``."""
    if "_x" not in value:
        return value
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)


def fit_cell(value: str) -> str:
    """``value`` cut to what one worksheet cell holds, saying so; unchanged when it fits.

    Excel counts UTF-16 units, so a character outside the BMP (an emoji) counts twice.
    """
    if len(value) <= CELL_LIMIT // 2 or _utf16_len(value) <= CELL_LIMIT:
        return value
    keep = CELL_LIMIT - len(TRUNCATED)  # TRUNCATED is BMP only: one unit a character
    head = value.encode("utf-16-le", "surrogatepass")[: 2 * keep]
    text = head.decode("utf-16-le", "surrogatepass")
    if "\ud800" <= text[-1] <= "\udbff":  # half of a pair that was cut
        text = text[:-1]
    return text + TRUNCATED


def _utf16_len(value: str) -> int:
    return len(value.encode("utf-16-le", "surrogatepass")) // 2
