"""Text shown to people: what a file, an answer or an argument says, made safe to print.

A cell, a header, a file name or a command-line argument can hold terminal escape
sequences, carriage returns that overwrite the line before, or bidirectional
overrides that make ``evil.csv`` read as something else. ``printable`` writes
those characters as visible escapes so a message shows what is really there.
"""

from __future__ import annotations

import unicodedata

#: Characters that change how the rest of a line is displayed (Unicode bidi controls).
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _escaped(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control, line-separator and bidi characters written as escapes."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch in _BIDI or unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            out.append(_escaped(ch))
        else:
            out.append(ch)
    return "".join(out)
