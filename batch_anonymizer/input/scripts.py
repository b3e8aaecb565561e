"""Mixed scripts in an email: a Cyrillic ``а`` among Latin letters may imitate another address.

``pаypal@example.com`` (its second letter Cyrillic) looks like
``paypal@example.com`` and is another address. It may still be a real one
(a person can type anything into a form), so it is sent, with a warning. A
part of the address (the local part, or one label of the domain) whose
letters come from two of the scripts that look alike, Latin, Cyrillic and
Greek, is "mixed"; an all-Cyrillic local part at a Latin domain is not.
Other scripts (Han, Arabic...) are never confused with Latin in this way and
are left alone.
"""

from __future__ import annotations

import unicodedata
from functools import cache

_LOOK_ALIKE = ("LATIN", "CYRILLIC", "GREEK")


@cache
def _script(ch: str) -> str:
    """``LATIN``, ``CYRILLIC``, ``GREEK`` or ``""`` for one letter (fullwidth and math too)."""
    words = unicodedata.name(ch, "").split()
    if words and words[0] == "MATHEMATICAL":
        return "LATIN" if "GREEK" not in words else "GREEK"
    return next((s for s in _LOOK_ALIKE if s in words[:3]), "")


def mixed_scripts(email: str) -> tuple[str, str, str] | None:
    """(first script, second script, the first letter of the second) when a part mixes them.

    None for an ASCII address (the common case, decided at once) or an unmixed one.
    """
    if email.isascii():
        return None
    local, _, domain = email.rpartition("@")
    for part in (local, *domain.split(".")):
        seen: dict[str, str] = {}
        for ch in part:
            if not ch.isalpha():
                continue
            script = "LATIN" if ch.isascii() else _script(ch)
            if script and script not in seen:
                seen[script] = ch
                if len(seen) > 1:
                    first, second = list(seen)
                    return first.title(), second.title(), ch
    return None


def mixed_warning(email: str) -> str:
    """The warning for a mixed-script email, or ``""``."""
    found = mixed_scripts(email)
    if found is None:
        return ""
    first, second, ch = found
    return (
        f"warning: mixes {first} and {second} letters ({ch} U+{ord(ch):04X} is {second}), "
        "so it may imitate another address; sent as written"
    )
