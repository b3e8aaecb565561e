"""Cell hygiene: pulling keys out of cells, and header names as compared.

Pure string work, no validation libraries: ``validate`` judges what comes out;
``headers`` reads what a header says about its column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

#: The most keys one cell may hold: a request is one person, and each key is one call.
MAX_KEYS_PER_CELL = 1_000
#: The longest cell of a key column that is split at all (1,000 long keys fit well within).
MAX_KEY_CELL_CHARS = 1_000_000

# Invisible characters that copy-paste from web pages and mail clients leaves
# behind; they are never part of an address or a number.
ZERO_WIDTH = "\u200b\u200c\u200d\ufeff\u2060"
_ZW_RE = re.compile(f"[{ZERO_WIDTH}]")
# Every character str.isspace() (and so the regex \s) knows, and the zero-width ones:
# str.strip of these is linear, where a regex anchored at the end is quadratic on a
# long inner run of spaces.
_TRIM_CHARS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000" + ZERO_WIDTH
)
_HEADER_NOISE = re.compile(r"[\s\-_]+")
_ODD_SPACE = re.compile(r"[^\S\n]")  # any whitespace but newline (NBSP, thin space, tab...)

_ANGLE = re.compile(r"^(\"[^\"]*\"|[^<>\"]*)\s*<([^<>]*)>$")
# What a piece of a cell must look like for the cell to be split into several keys: one
# "@", something before it, a domain with a dot inside. Only the shape: ``validate``
# judges each key afterwards. ``michael.brown@example,com`` is not split into
# ``michael.brown@example`` and ``com``: it stays one (invalid) key.
_ADDRESS = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\".]+(?:\.[^@\s,;<>\".]+)+$")
_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)
_TEL = re.compile(r"^tel:", re.IGNORECASE)
_PHONE_PIECE = re.compile(r"[^;\n\r]+")
# An ASCII cell without these holds one key that only needs trimming: in ASCII,
# trim() is str.strip() and there are no zero-width characters.
_EMAIL_SPECIAL = re.compile(r'[;,\n<"]')
_PHONE_SPECIAL = re.compile(r"[;\n\r\t\x0b\x0c\x1c-\x1f]")  # separators and odd spaces


def header_key(name: str) -> str:
    """A header as compared with the known names: no case, spaces, ``-`` or ``_``."""
    return _HEADER_NOISE.sub("", trim(name)).casefold()


def trim(text: str) -> str:
    """Strip whitespace (NBSP included) and zero-width characters at both ends."""
    return text.strip(_TRIM_CHARS)


def _split_outside_quotes(text: str, seps: str) -> Iterator[str]:
    """The pieces of ``text`` between any of ``seps``, except inside ``"..."`` or ``<...>``.

    ``"Doe, Jane" <jane@example.com>`` is one address, not two. Lazy: a caller
    that stops early never splits the rest of a huge cell.
    """
    buf: list[str] = []
    in_quote = False
    depth = 0
    for ch in text:
        if ch == '"':
            in_quote = not in_quote
        elif ch == "<" and not in_quote:
            depth += 1
        elif ch == ">" and not in_quote and depth:
            depth -= 1
        elif ch in seps and not in_quote and not depth:
            yield "".join(buf)
            buf = []
            continue
        buf.append(ch)
    yield "".join(buf)


def unwrap_email(piece: str) -> str:
    """``mailto:a@x?subject=..``, ``"Name" <a@x>`` and ``Name <a@x>`` -> ``a@x``.

    A display name that is itself another address (``"ann@example.com"
    <bob@example.com>``) is not unwrapped: which one the person meant is not for
    the tool to choose, so the piece stays as written, one invalid key.
    """
    s = trim(_ZW_RE.sub("", piece))
    m = _ANGLE.match(s)
    if m:
        inner = trim(m.group(2))
        if _other_address(m.group(1), inner):
            return s
        s = inner
    if _MAILTO.match(s):
        s = trim(_MAILTO.sub("", s).split("?", 1)[0])
    return s


def _other_address(name: str, inner: str) -> bool:
    """Whether the display name ``name`` is an address other than ``inner``."""
    said = trim(name.strip().strip('"').strip("'"))
    if _MAILTO.match(said):
        said = _MAILTO.sub("", said)
    return "@" in said and said.casefold() != unwrap_email(inner).casefold()


def is_address(piece: str) -> bool:
    """Whether an unwrapped piece of a cell has the shape of one address (``_ADDRESS``)."""
    return _ADDRESS.match(piece) is not None


def email_keys(cell: str, limit: int = MAX_KEYS_PER_CELL, *, among_at: bool = False) -> list[str]:
    """Every email written in one cell, unwrapped, in order (empty pieces dropped).

    The cell is split into several keys only when every piece has the shape of an
    address (``is_address``); otherwise it is one key, the whole cell unwrapped.
    At most ``limit + 1`` keys: a cell holding more is split no further.
    ``among_at``: as ``split_emails``.
    """
    if not cell or cell.isspace():
        return []
    if cell.isascii() and not _EMAIL_SPECIAL.search(cell):
        s = cell.strip()
        if not _MAILTO.match(s):
            # the common case, fast: what unwrap_email gives for it
            return [s] if not among_at or "@" in s else []
    return split_emails(cell, limit, among_at=among_at)


def split_emails(cell: str, limit: int = MAX_KEYS_PER_CELL, *, among_at: bool = False) -> list[str]:
    """``email_keys`` without its shortcut for plain ASCII cells (same answers, slower).

    ``among_at``: only the pieces holding an ``@`` are keys (an identifier column,
    whose other pieces are not emails), and only they must have an address's shape.
    """
    if not cell or cell.isspace():
        return []
    if not any(c in cell for c in ';,\n<"') and not _MAILTO.match(cell.lstrip()):
        one = unwrap_email(cell)  # the common case: one bare address
        return [one] if one and (not among_at or "@" in one) else []
    out = []
    pieces = 0
    for piece in _split_outside_quotes(cell, ";,\n\r"):
        key = unwrap_email(piece)
        if key:
            pieces += 1
            out.append(key)
            if len(out) > limit:
                break
    keys = [k for k in out if "@" in k] if among_at else out
    if pieces > 1 and not all(is_address(k) for k in keys):
        whole = unwrap_email(cell)  # one key: the cell as written is what is wrong
        return [whole] if not among_at or "@" in whole else []
    return keys


def phone_keys(cell: str, limit: int = MAX_KEYS_PER_CELL) -> list[str]:
    """Every telephone written in one cell (split on ``;`` and newlines), trimmed.

    Odd spaces inside a number (NBSP, thin space, tab) become plain spaces;
    spaces are never separators, ``+44 7700 900123`` is one number. At most
    ``limit + 1`` keys: a cell holding more is split no further.
    """
    if not cell or cell.isspace():
        return []
    if cell.isascii() and not _PHONE_SPECIAL.search(cell):
        s = cell.strip()
        if not _TEL.match(s):
            return [s]  # the common case, fast: one number, nothing to clean inside
    return split_phones(cell, limit)


def split_phones(cell: str, limit: int = MAX_KEYS_PER_CELL) -> list[str]:
    """``phone_keys`` without its shortcut for plain ASCII cells (same answers, slower)."""
    if not cell or cell.isspace():
        return []
    out = []
    for m in _PHONE_PIECE.finditer(cell):
        s = trim(_ZW_RE.sub("", m.group()))
        if _TEL.match(s):
            s = trim(_TEL.sub("", s))
        if s:
            out.append(_ODD_SPACE.sub(" ", s))
            if len(out) > limit:
                break
    return out


def unique_names(names: Iterable[str]) -> list[str]:
    """Trimmed header names; empty -> ``column N``; repeats get `` (2)``, `` (3)``..."""
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names, start=1):
        base = trim(raw) or f"column {i}"
        name, n = base, 1
        while name.casefold() in seen:
            n += 1
            name = f"{base} ({n})"
        seen.add(name.casefold())
        out.append(name)
    return out
