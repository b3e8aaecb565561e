"""Text shown to people: what a file, an answer or an argument says, made safe to print.

A cell, a header, a file name or a command-line argument can hold terminal
escape codes (``ESC [ 2 J`` clears the screen, others retitle the window or
fake a prompt), carriage returns that overwrite the line before, and
characters that reorder or break a line (bidirectional overrides, line
separators) or hide text (zero-width marks). Every message built from such
text passes through ``printable``: those characters become ``\\x1b``,
``\\u202e``..., everything else is kept as it is (accents, other scripts,
emoji). ``printable`` is idempotent: a backslash is never escaped, so
``printable(printable(s)) == printable(s)``.
"""

from __future__ import annotations

import re
from typing import TypeVar

from .errors import AnonymizerError

E = TypeVar("E", bound=AnonymizerError)

# C0 and C1 controls and DEL; bidirectional embeddings, overrides and isolates; the
# Unicode line and paragraph separators; zero-width marks that hide text.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def _escape(m: re.Match[str]) -> str:
    o = ord(m.group())
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


def printable(text: str) -> str:
    """``text`` with every control and line-breaking, reordering or hiding character escaped."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def safe_message(e: E) -> E:
    """``e`` with its message made printable: file text never reaches a terminal raw."""
    e.message = printable(e.message)
    e.args = (e.message,)
    return e
