"""What an invalid email probably meant: one obvious repair, said in its message, never made.

A person fixes the cell; the tool only points at the fix. The repairs are the
slips people make typing an address: ``,`` for ``.`` in the domain
(``michael.brown@example,com``), a doubled ``@``, a trailing dot, a space
inside. Each is tried alone; a suggestion is made only when exactly one
address comes out valid (email-validator, no DNS), so it is never a guess
between two. A display name that is itself another address (``"ann@example.com"
<bob@example.com>``) gets a message of its own: which one to erase is the
person's choice.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from email_validator import EmailNotValidError, validate_email

from ..core.text import printable
from .cells import trim
from .fastpath import plain_email

_AT_RUN = re.compile(r"@{2,}")
_SPACE = re.compile(r"\s+")
_TWO = re.compile(r'^"?\s*(?:mailto:)?([^"<>]*@[^"<>]*?)\s*"?\s*<([^<>]*)>$', re.IGNORECASE)


def _domain_commas(key: str) -> str:
    local, at, domain = key.rpartition("@")
    return f"{local}{at}{domain.replace(',', '.')}" if at else key


_REPAIRS: tuple[Callable[[str], str], ...] = (
    _domain_commas,
    lambda k: _AT_RUN.sub("@", k),
    lambda k: k.rstrip("."),
    lambda k: _SPACE.sub("", k),
)


def _valid(key: str) -> bool:
    from .validate import fast_paths_agree  # validate imports this module

    if plain_email(key) and fast_paths_agree():  # the library's own verdict, ~50x sooner
        return True
    try:
        validate_email(key, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def repair(key: str) -> str | None:
    """The one valid address a single obvious repair of ``key`` gives, or None."""
    if len(key) > 320:  # longer than any address may be: nothing obvious about it
        return None
    found = {fixed for fix in _REPAIRS if (fixed := fix(key)) != key and _valid(fixed)}
    return found.pop() if len(found) == 1 else None


def hint(key: str) -> str:
    """What to add to an invalid email's message: ``; did you mean X?``, or that the cell
    names two addresses; "" when there is nothing obvious to say."""
    two = _TWO.match(trim(key))
    if two and trim(two[1]).casefold() != trim(two[2]).casefold():
        return (
            f"; it names two different addresses ({printable(trim(two[1]))} as the name, "
            f"{printable(trim(two[2]))} as the address): write only the one to erase"
        )
    fixed = repair(key)
    return f"; did you mean {printable(fixed)}?" if fixed else ""
