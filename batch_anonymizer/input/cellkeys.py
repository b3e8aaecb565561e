"""The keys of one distinct cell of a key column: split, each checked once, each once.

The slow path of the plan (``columnar`` takes the cells the fast paths leave): a
cell is split into pieces (``cells``), each distinct piece is validated once
(``validate``, the verdict shared between the columns of one key type), a cell
holding too much gives one line that sends nothing, and a cell's keys are each
kept once, the first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import compress

from ..core.codes import Reason
from ..core.records import KeyType
from .cells import MAX_KEY_CELL_CHARS, MAX_KEYS_PER_CELL, email_keys
from .fastpath import plain_email_cells, plus_layout_cells
from .plusnumbers import plus_number_verdicts
from .validate import UNKNOWN_RANGE, Check, PhoneForm

TOO_MANY = (
    f"the cell holds more than {MAX_KEYS_PER_CELL:,} keys; nothing of it is sent: "
    "put each person's keys on a row of their own"
)
TOO_LONG = (
    "the cell holds {chars:,} characters, more than the "
    f"{MAX_KEY_CELL_CHARS:,} a cell of keys may hold; nothing of it is sent: "
    "put each person's keys on a row of their own"
)

# One key of a cell: (key as sent, norm, code, message, the key as written, its source
# column). Built once per distinct key of a column: the cells holding it share it.
Entry = tuple[str, str, Reason | None, str, str, str]
ByCell = dict[str, tuple[Entry, ...]]


def entries_by_cell(
    cells: set[str],
    column: str,
    split: Callable[[str], list[str]],
    check: Callable[[str], Check],
    shared: dict[str, Check] | None,
) -> ByCell:
    """The keys of each distinct cell, each once; each distinct key is checked once.

    ``shared`` keeps the checks for the other columns of the same key type (None
    when there are none).
    """
    of_key: dict[str, Entry] = {}
    get = of_key.get
    out: ByCell = {}
    for cell in cells:
        if len(cell) > MAX_KEY_CELL_CHARS:
            out[cell] = (_too_big(column, TOO_LONG.format(chars=len(cell))),)
            continue
        pieces = split(cell)
        if len(pieces) > MAX_KEYS_PER_CELL:
            out[cell] = (_too_big(column, TOO_MANY),)
            continue
        entries = []
        for written in pieces:
            e = get(written)
            if e is None:
                c = shared.get(written) if shared is not None else None
                if c is None:
                    c = check(written)
                    if shared is not None:
                        shared[written] = c
                e = of_key[written] = (c[0], c[1], c[2], c[3], written, column)
            entries.append(e)
        out[cell] = tuple(entries) if len(entries) < 2 else once(entries)
    return out


def split_fast(
    cells: Iterable[str],
    column: str,
    split: Callable[[str], list[str]],
    kind: KeyType,
    form: PhoneForm,
) -> ByCell:
    """The cells holding one key that the fast paths decide once the cell is split (a
    plain address or ``+`` number with spaces around it): their entries, exactly as
    ``entries_by_cell`` gives them, the fast paths run over all of them at once. The
    other cells are not in the answer. Only while ``fast_paths_agree()``."""
    one: dict[str, str] = {}
    for cell in cells:
        if len(cell) <= MAX_KEY_CELL_CHARS:
            pieces = split(cell)
            if len(pieces) == 1:
                one[cell] = pieces[0]
    if not one:
        return {}
    written = list(one.values())
    out: ByCell = {}
    if kind is KeyType.EMAIL:  # check_email's fast answer
        decided, norms = plain_email_cells(written)
        chosen = zip(compress(one, decided), compress(written, decided), norms, strict=True)
        for cell, w, norm in chosen:
            out[cell] = ((w, norm, None, "", w, column),)
        return out
    taken, numbers, number_of = plus_layout_cells(written)  # check_phone's fast answer
    verdicts = plus_number_verdicts(numbers).tolist()
    of = number_of.tolist()
    for cell, w, i in zip(compress(one, taken), compress(written, taken), of, strict=True):
        valid = verdicts[i]
        if valid >= 0:
            d = numbers[i]
            sent = d if form is PhoneForm.VENDOR else w
            out[cell] = ((sent, d, None, "" if valid else UNKNOWN_RANGE, w, column),)
    return out


def _too_big(column: str, message: str) -> Entry:
    """The one line of a cell that holds too much: nothing of it is sent."""
    return ("", "", Reason.TOO_MANY_KEYS, message, "", column)


def once(entries: list[Entry]) -> tuple[Entry, ...]:
    """Each key once, the first kept: usable keys by their normalised form, others as sent."""
    first: dict[str, Entry] = {}
    for e in entries:
        first.setdefault(e[1] if e[2] is None else "\0" + e[0], e)
    return tuple(first.values())


def emails_only(cell: str) -> list[str]:
    """The pieces of an identifier cell that can be emails (the others are not keys)."""
    return email_keys(cell, among_at=True)
