"""Text from a file, made safe to print: control characters escaped, never sent raw.

A header or a cell can hold terminal escape codes (``ESC [ 2 J`` clears the
screen, others retitle the window or fake a prompt) and characters that
reorder or break a line (bidirectional overrides, line separators). Every
message the input stage builds from file text passes it through ``shown``:
such characters become ``\\x1b``, ``\\u202e``..., everything else is kept as
it is (accents, other scripts, emoji). ``shown`` is idempotent: a backslash
is never escaped, so ``shown(shown(s)) == shown(s)``.
"""

from __future__ import annotations

import re

from ..core.errors import InputError

# C0 and C1 controls and DEL; bidirectional embeddings, overrides and isolates; the
# Unicode line and paragraph separators; zero-width marks that hide text.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def _escape(m: re.Match[str]) -> str:
    o = ord(m.group())
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


def shown(text: str) -> str:
    """``text`` with every control and line-breaking or reordering character escaped."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def safe_message(e: InputError) -> InputError:
    """``e`` with its message made printable (``shown``): file text never reaches a terminal raw."""
    e.message = shown(e.message)
    e.args = (e.message,)
    return e
