"""Which columns hold the keys, and which column a --where filter names.

Columns are found by their headers (``cells.EMAIL_HEADERS`` /
``cells.PHONE_HEADERS``) or named by the user; a name is compared ignoring
case, spaces, ``-`` and ``_``. Every miss raises ``InputError`` listing the
headers found, with the closest match when there is one.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from ..core.errors import InputError
from .cells import EMAIL_HEADERS, PHONE_HEADERS, header_key


def find_key_columns(
    columns: Sequence[str], email_column: str | None = None, phone_column: str | None = None
) -> tuple[str | None, str | None]:
    """The (email, telephone) columns among ``columns``; either may be None, not both.

    Names given by the user must exist (compared ignoring case, spaces, ``-``
    and ``_``); otherwise the columns are found by their headers. Raises
    ``InputError`` when a named column is missing or no key column is found.
    """
    email = _named(columns, email_column, "--email-column") if email_column else None
    phone = _named(columns, phone_column, "--phone-column") if phone_column else None
    if email is None and not email_column:
        email = next((c for c in columns if header_key(c) in EMAIL_HEADERS and c != phone), None)
    if phone is None and not phone_column:
        phone = next((c for c in columns if header_key(c) in PHONE_HEADERS and c != email), None)
    if email is None and phone is None:
        hint = _closest(columns)
        raise InputError(
            f"no email or telephone column: found headers {', '.join(columns)}"
            + (f' (closest match: "{hint}")' if hint else "")
            + "; name one with --email-column or --phone-column"
        )
    return email, phone


def _named(columns: Sequence[str], name: str, option: str) -> str:
    if name in columns:
        return name
    for c in columns:
        if header_key(c) == header_key(name):
            return c
    raise InputError(f'{option} "{name}" is not a column: found headers {", ".join(columns)}')


def _closest(columns: Sequence[str]) -> str | None:
    known = [*EMAIL_HEADERS, *PHONE_HEADERS]
    best, best_ratio = None, 0.0
    for c in columns:
        for m in difflib.get_close_matches(header_key(c), known, n=1, cutoff=0.6):
            ratio = difflib.SequenceMatcher(None, header_key(c), m).ratio()
            if ratio > best_ratio:
                best, best_ratio = c, ratio
    return best


def where_column(columns: Sequence[str], name: str) -> int:
    """The index of the column a ``--where`` filter names: exact (ignoring case and
    outer spaces) first, else ignoring spaces, ``-`` and ``_``. Raises ``InputError``."""
    wanted = name.strip().casefold()
    for i, c in enumerate(columns):
        if c.casefold() == wanted:
            return i
    for i, c in enumerate(columns):
        if header_key(c) == header_key(name):
            return i
    raise InputError(f'--where column "{name}" is not a column: found headers {", ".join(columns)}')
