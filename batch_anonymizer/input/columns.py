"""Which columns hold the keys, and which column a --where filter names.

Every column is judged once, from its header's words (``headers``) and, when
they leave a doubt or name an identifier, from its first cells (``sniff``).
Columns named with --email-column / --phone-column are, per key type, the
complete list; --ignore-column drops a column from the automatic choice. A
name is compared ignoring case, spaces, ``-`` and ``_``. Every miss raises
``InputError`` listing the headers found, with the closest match when there
is one.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.errors import InputError
from ..core.records import ColumnRule, KeyColumn, KeyType, Plan, RejectedColumn, SourceRow
from ..core.text import printable
from .cells import header_key
from .headers import HeaderKind, HeaderReading, read_header
from .sniff import CellShare, cell_share

_OPTION = {KeyType.EMAIL: "--email-column", KeyType.TELEPHONE: "--phone-column"}
_NOUN = {KeyType.EMAIL: "email", KeyType.TELEPHONE: "telephone"}
_PLURAL = {KeyType.EMAIL: "emails", KeyType.TELEPHONE: "telephones"}
# Compact headers the closest-match hint compares with.
_KNOWN = ("email", "emailaddress", "mail", "telephone", "phone", "phonenumber", "mobile", "sms")


@dataclass(frozen=True, slots=True)
class ColumnChoice:
    """The key columns (email columns first, each type in column order) and those left out."""

    key_columns: tuple[KeyColumn, ...]
    rejected: tuple[RejectedColumn, ...]


def choose_key_columns(
    columns: Sequence[str],
    rows: Sequence[SourceRow] = (),
    *,
    email_columns: Sequence[str] = (),
    phone_columns: Sequence[str] = (),
    ignore_columns: Sequence[str] = (),
) -> ColumnChoice:
    """The key columns among ``columns`` (cells in ``rows``), and the columns left out.

    Raises ``InputError`` when a named column is missing or named twice, or
    when no key column is found (listing the headers, and the columns left out
    with their reasons).
    """
    named = {
        KeyType.EMAIL: _resolve(columns, email_columns, "--email-column"),
        KeyType.TELEPHONE: _resolve(columns, phone_columns, "--phone-column"),
    }
    ignored = _resolve(columns, ignore_columns, "--ignore-column")
    both = set(named[KeyType.EMAIL]) & set(named[KeyType.TELEPHONE])
    if both:
        raise InputError(
            f'"{min(both)}" is named with both --email-column and --phone-column; '
            "a column holds one kind of key"
        )
    for kt, names in named.items():
        clash = set(names) & set(ignored)
        if clash:
            raise InputError(f'"{min(clash)}" is named with both {_OPTION[kt]} and --ignore-column')
    chosen: dict[KeyType, list[KeyColumn]] = {KeyType.EMAIL: [], KeyType.TELEPHONE: []}
    rejected: list[RejectedColumn] = []
    for i, name in enumerate(columns):
        named_as = next((kt for kt, names in named.items() if name in names), None)
        if named_as is not None:
            reason = f"named with {_OPTION[named_as]}"
            chosen[named_as].append(KeyColumn(name, named_as, reason, ColumnRule.NAMED))
            continue
        if name in ignored:
            rejected.append(
                RejectedColumn(name, "left out with --ignore-column", ColumnRule.IGNORED)
            )
            continue
        verdict = _judge(name, read_header(name), rows, i)
        if isinstance(verdict, KeyColumn) and named[verdict.key_type]:
            option = _OPTION[verdict.key_type]
            verdict = RejectedColumn(
                name, f"not among the {option} columns ({verdict.reason})", ColumnRule.NOT_NAMED
            )
        if isinstance(verdict, KeyColumn):
            chosen[verdict.key_type].append(verdict)
        elif verdict is not None:
            rejected.append(verdict)
    keys = (*chosen[KeyType.EMAIL], *chosen[KeyType.TELEPHONE])
    if not keys:
        raise InputError(_no_key_message(columns, rejected))
    return ColumnChoice(keys, tuple(rejected))


def _judge(
    name: str, reading: HeaderReading, rows: Sequence[SourceRow], index: int
) -> KeyColumn | RejectedColumn | None:
    """The automatic verdict on one column: a key column, a column left out, or None."""
    kind, words = reading.kind, " ".join(reading.words)
    if kind is HeaderKind.NONE:
        return None
    if kind is HeaderKind.FAX:
        return RejectedColumn(name, "a fax number, not a telephone", ColumnRule.FAX)
    if kind is HeaderKind.IDENTIFIER:
        share = cell_share(rows, index, KeyType.EMAIL)
        if share.mostly:
            reason = f"an identifier column whose cells are emails ({_of(share)} non-empty cells); "
            reason += "only its cells holding an email are taken"
            return KeyColumn(name, KeyType.EMAIL, reason, ColumnRule.IDENTIFIER)
        return RejectedColumn(
            name,
            f"an identifier column, but {_not_mostly(share, KeyType.EMAIL)}",
            ColumnRule.IDENTIFIER,
        )
    noun = " or ".join(_NOUN[t] for t in reading.key_types)
    if kind is HeaderKind.OTHER_PERSON:
        option = " or ".join(_OPTION[t] for t in reading.key_types)
        return RejectedColumn(
            name,
            f"another person's {noun} ({words}): used only if named with {option}",
            ColumnRule.OTHER_PERSON,
        )
    if kind is HeaderKind.DESCRIBES:
        return RejectedColumn(
            name, f"describes {_a(noun)} ({words}), does not hold one", ColumnRule.DESCRIBES
        )
    if kind is HeaderKind.KEY and len(reading.key_types) == 1:
        kt = reading.key_types[0]
        return KeyColumn(name, kt, f"the header names {_a(_NOUN[kt])}", ColumnRule.HEADER)
    # A doubt (or a header naming both kinds of key): the cells decide.
    doubt = f'the header words "{words}" leave a doubt' if words else f"the header names {_a(noun)}"
    shares = [(kt, cell_share(rows, index, kt)) for kt in reading.key_types]
    for kt, share in shares:
        if share.mostly:
            reason = f"{doubt}; its cells are {_PLURAL[kt]} ({_of(share)} non-empty cells)"
            return KeyColumn(name, kt, reason, ColumnRule.CELLS)
    kt, share = max(shares, key=lambda s: s[1].keys)
    return RejectedColumn(name, f"{doubt}, and {_not_mostly(share, kt)}", ColumnRule.CELLS)


def _of(share: CellShare) -> str:
    return f"{share.keys} of the first {share.sampled}"


def _not_mostly(share: CellShare, kt: KeyType) -> str:
    if not share.sampled:
        return "it has no cells to judge by"
    return f"its cells are not {_PLURAL[kt]} ({_of(share)} non-empty cells are)"


def _a(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def _resolve(columns: Sequence[str], names: Sequence[str], option: str) -> list[str]:
    """The columns ``names`` name (each once, in order); raises ``InputError`` for a miss."""
    if isinstance(names, str):
        names = (names,)
    out: list[str] = []
    for name in names:
        c = _named(columns, name, option)
        if c not in out:
            out.append(c)
    return out


def _named(columns: Sequence[str], name: str, option: str) -> str:
    if name in columns:
        return name
    for c in columns:
        if header_key(c) == header_key(name):
            return c
    raise InputError(f'{option} "{name}" is not a column: found headers {", ".join(columns)}')


def _no_key_message(columns: Sequence[str], rejected: Sequence[RejectedColumn]) -> str:
    listed = {r.name for r in rejected}  # those are listed with their reason instead
    hint = _closest([c for c in columns if c not in listed])
    msg = (
        f"no email or telephone column: found headers {', '.join(columns)}"
        + (f' (closest match: "{hint}")' if hint else "")
        + "; name one with --email-column or --phone-column"
    )
    if rejected:
        msg += "; not used: " + "; ".join(f'"{r.name}" ({r.reason})' for r in rejected)
    return msg


def _closest(columns: Sequence[str]) -> str | None:
    best, best_ratio = None, 0.0
    for c in columns:
        for m in difflib.get_close_matches(header_key(c), _KNOWN, n=1, cutoff=0.6):
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


# -- saying what was chosen ---------------------------------------------------------------


def column_lines(plan: Plan) -> list[str]:
    """One line per key column and per column left out, for the confirmation and ``validate``.

    Header text is ``printable``: a terminal escape in a header is printed as ``\\x1b``.
    """
    lines = [
        f"key column: {printable(k.name)} ({k.key_type.value}): {printable(k.reason)}"
        for k in plan.key_columns
    ]
    lines += [
        f"not used: {printable(r.name)}: {printable(r.reason)}" for r in plan.rejected_columns
    ]
    return lines


def column_settings(plan: Plan) -> tuple[tuple[str, str], ...]:
    """The run facts' ``key_columns`` and ``columns_not_used`` (when any)."""
    out = [("key_columns", ", ".join(f"{k.name} ({k.key_type.value})" for k in plan.key_columns))]
    if plan.rejected_columns:
        out.append(
            ("columns_not_used", "; ".join(f"{r.name}: {r.reason}" for r in plan.rejected_columns))
        )
    return tuple(out)
