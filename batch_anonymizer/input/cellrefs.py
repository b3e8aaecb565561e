"""A1-style cell references: column letters and numbers, and regexes for "at most N".

The sheet scanner (``sheetscan``) searches a sheet's XML for a cell beyond
the furthest one known so far; these build the part of its pattern that
says "a row of at most N" and "a column of at most N", as bytes.
"""

from __future__ import annotations


def digits_upto(n: int) -> bytes:
    """A regex (bytes) for the decimal numbers 1..n, without leading zeros."""
    s = str(n)
    alts = [rb"[1-9][0-9]{0,%d}" % (len(s) - 2)] if len(s) > 1 else []
    for i, d in enumerate(s):
        low = 1 if i == 0 else 0
        if int(d) > low:
            alts.append(
                s[:i].encode() + b"[%d-%d]" % (low, int(d) - 1) + b"[0-9]" * (len(s) - i - 1)
            )
    alts.append(s.encode())
    return b"(?:" + b"|".join(alts) + b")"


def letters_upto(n: int) -> bytes:
    """A regex (bytes) for the column letters of columns 1..n (``A``..)."""
    s = column_letters(n).encode()
    alts = [rb"[A-Z]{1,%d}" % (len(s) - 1)] if len(s) > 1 else []
    for i, c in enumerate(s):
        if c > ord("A"):
            alts.append(s[:i] + b"[A-%c]" % (c - 1) + b"[A-Z]" * (len(s) - i - 1))
    alts.append(s)
    return b"(?:" + b"|".join(alts) + b")"


def column_number(letters: bytes | str) -> int:
    """``A`` -> 1, ``Z`` -> 26, ``AA`` -> 27 (letters in either case)."""
    n = 0
    for ch in letters.upper() if isinstance(letters, str) else letters.upper().decode():
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(n: int) -> str:
    """1 -> ``A``, 27 -> ``AA``, 16384 -> ``XFD``."""
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out
