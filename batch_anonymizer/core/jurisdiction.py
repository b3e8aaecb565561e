"""How a due date is said to be counted: GDPR's month, and whose public holidays move it.

The month is GDPR's everywhere ("one calendar month (Art. 12(3) GDPR)"); the
calendar is the one ``--holidays`` gave, named as the ``holidays`` package
names the country (``IE``: "Ireland's public holidays"). The UK regulator
(ICO) is named only when that calendar is the United Kingdom's (``GB``,
``GB-SCT``...): its guidance is where the counting rule comes from, and a
certificate for Ireland does not cite it.
"""

from __future__ import annotations

import re

#: The month of Art. 12(3), on every paper that states a due date.
MONTH = "one calendar month (Art. 12(3) GDPR)"
EXTENDED = "three calendar months: one, extended by two further (Art. 12(3) GDPR)"
# country names the holidays package gives that read with "the" ("the Netherlands")
_THE = re.compile(r"^(United |Netherlands|Philippines|Bahamas|Gambia|Czech|Dominican|Central )")


def calendar_words(code: str) -> str:
    """The public holidays of ``code`` in words: ``IE`` -> "Ireland's public holidays",
    ``GB-SCT`` -> "the United Kingdom's public holidays (Scotland)"; "" for ""; a code the
    package does not know is named as given ("XX public holidays")."""
    country, _, subdiv = code.strip().upper().partition("-")
    if not country:
        return ""
    import holidays  # only a paper that names a calendar pays for the package's registry
    from holidays.registry import COUNTRIES

    name = next((m.replace("_", " ").title() for m, v in COUNTRIES.items() if v[1] == country), "")
    if not name:
        return f"{code.strip()} public holidays"
    name = re.sub(r" (And|Of|The) ", lambda m: m.group(0).lower(), name)
    owner = ("the " if _THE.match(name) else "") + name + ("'" if name.endswith("s") else "'s")
    part = ""
    if subdiv:
        try:
            aliases = holidays.country_holidays(country).get_subdivision_aliases()
        except (NotImplementedError, AttributeError, KeyError):
            aliases = {}
        part = next((names[0] for s, names in aliases.items() if s == subdiv and names), subdiv)
        part = f" ({part})"
    return f"{owner} public holidays{part}"


def uk_calendar(code: str) -> bool:
    """Whether ``code`` is the United Kingdom's calendar (or one of its nations')."""
    return code.strip().upper().partition("-")[0] == "GB"


def deadline_rule(code: str, *, extended: bool = False) -> str:
    """How a due date was counted, in a sentence's words: the month of Art. 12(3), moved to
    the next working day past weekends and the named calendar's public holidays."""
    month = EXTENDED if extended else MONTH
    named = calendar_words(code)
    moved = (
        f"moved to the next working day past weekends and {named}"
        if named
        else "moved to the next working day past weekends only (no public holiday calendar "
        "was given: --holidays CC)"
    )
    counted = "; the month counted as the UK ICO counts it" if uk_calendar(code) else ""
    return f"{month}, {moved}{counted}"
