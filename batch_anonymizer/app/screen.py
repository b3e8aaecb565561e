"""After the erasure: keep erased people out of the next upload, and answer "was X erased?".

``screen`` reads a contact list about to be uploaded to CustomerGauge (any
input the loader reads, with the run's column rules) and finds the rows
whose email or telephone the ledger holds as settled by an erasure request
(``success`` or ``not_found``: either way the person asked to be forgotten).
Emails are compared ignoring case, telephones in the vendor's stored form, as
a run sends them (``+44 7700 900123``, ``0044 7700 900123`` and, with
``--default-region GB``, ``07700 900123`` are one number). ``screenfiles``
writes the screened copy and the list of removed rows.

``history`` lists a key's ledger entries, newest first; ``read_ledger``
opens a ledger for these, with its secret (a sandbox ledger's is public).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..core.codes import Reason
from ..core.errors import LedgerError, UsageError
from ..core.identity import mask, redacted_hash
from ..core.records import KeyType, Line, Plan
from ..core.text import printable
from ..input.cells import split_emails, split_phones
from ..input.loader import BOOK_SUFFIXES
from ..input.validate import PhoneForm, check_email, check_phone
from ..state.ledger import Ledger, LedgerEntry
from ..state.secret import (
    SANDBOX_SECRET,
    SECRET_ENV,
    default_ledger,
    find_secret,
    missing_secret,
)
from .options import InputOptions
from .prepare import prepare_run

#: Lines whose key can be compared with the ledger: sent by a run, or a copy of one.
_KEYED_HASH = re.compile(r"[0-9a-f]{64}")  # ``history`` given the ledger's keyed hash itself


@dataclass(frozen=True, slots=True)
class Removed:
    """A key of the list that the ledger holds as erased: its row is left out."""

    source_row: int
    sheet: str | None
    key_type: str
    key_hint: str  # masked: the key itself is never written
    source_column: str
    erased_at: str  # finished_at of the erasure
    run_id: str
    outcome: str  # success or not_found


@dataclass(frozen=True, slots=True)
class Screened:
    """What ``screen`` found: the plan of the list, the removed keys, the keys not compared."""

    plan: Plan
    removed: tuple[Removed, ...]
    ledger: Path

    @property
    def rows(self) -> frozenset[tuple[str | None, int]]:
        """(sheet, row number) of every row left out."""
        return frozenset((r.sheet, r.source_row) for r in self.removed)


def read_ledger(path: Path | None, secret_file: Path | None) -> Ledger:
    """An existing ledger (default: ``default_ledger``), bound to its secret, for reading.

    Raises ``LedgerError`` when there is none, or the secret is missing or another.
    """
    ledger = Ledger(path or default_ledger(), create=False, readonly=True)
    try:
        if ledger.sandbox:
            ledger.bind(SANDBOX_SECRET, write=False)
            return ledger
        secret = find_secret(secret_file, create=False)
        made_with = ledger.meta("secret_fingerprint")
        if secret is None and made_with:
            raise LedgerError(missing_secret(ledger.path, made_with, ledger.meta("secret_source")))
        if secret is None:
            raise LedgerError(
                f"no secret for the ledger {ledger.path}: give the one it was made with "
                f"(--hmac-secret-file PATH or {SECRET_ENV})"
            )
        ledger.bind(secret.value, source=secret.source, write=False)
    except BaseException:
        ledger.close()
        raise
    return ledger


def screen(
    path: Path, ledger: Ledger, opts: InputOptions | None = None, *, command: str = ""
) -> Screened:
    """Find the rows of the list at ``path`` whose keys the ledger holds as erased.

    Every sheet of a workbook that has an email or telephone column is
    screened, hidden sheets too (``opts.sheet`` screens one); the others are
    named in the plan's ``table.skipped_sheets``.

    Raises ``UsageError`` when a telephone is a national number and no
    ``default_region`` gives its country: it cannot be compared, so "not
    erased" would be a guess (``command``, when given, is the command that
    fixes it, shown in the message).
    """
    opts = opts or InputOptions()
    # compared in the vendor's form; every row, whatever a type, identity or hold column says
    opts = replace(opts, phone_form=PhoneForm.VENDOR, gates=False)
    if path.suffix.lower() in BOOK_SUFFIXES and opts.sheet is None:
        # Every sheet is written back, so every sheet with keys is screened, hidden or not.
        opts = replace(opts, all_sheets=True, hidden_sheets=True, skip_keyless=True)
    plan = prepare_run(path, opts).plan
    assert plan is not None
    national = [ln for ln in plan.lines if ln.code is Reason.PHONE_NEEDS_REGION]
    if national:
        raise UsageError(
            f"{len(national)} telephone(s) are national numbers ({_rows(national)}): their "
            "country is unknown, so they cannot be compared with the ledger and an erased "
            "person could stay in the list; nothing was written. Give their country: "
            + (command or "add --default-region CC")
            + " (CC: for example GB)"
        )
    compared = [ln for ln in plan.lines if ln.key_type is not None and ln.status.sendable]
    hmacs = [ledger.hmac_of(ln) for ln in compared]
    erased = ledger.settled(hmacs)
    removed = tuple(
        Removed(
            ln.source_row,
            ln.sheet,
            ln.key_type.value,
            mask(ln.key),
            ln.source_column,
            erased[h].finished_at,
            erased[h].run_id,
            erased[h].outcome,
        )
        for ln, h in zip(compared, hmacs, strict=True)
        if h in erased and ln.key_type is not None
    )
    return Screened(plan, removed, ledger.path)


def _rows(lines: list[Line]) -> str:
    """Where ``lines`` are, for a message: the first 10 rows (with their sheet)."""
    several = len({ln.sheet for ln in lines}) > 1
    shown = [
        f'"{printable(ln.sheet or "")}" row {ln.source_row}' if several else str(ln.source_row)
        for ln in lines[:10]
    ]
    more = f" and {len(lines) - 10} more" if len(lines) > 10 else ""
    return ("rows " if not several else "") + ", ".join(shown) + more


def history(ledger: Ledger, key: str, *, default_region: str | None = None) -> list[LedgerEntry]:
    """Every ledger entry for ``key`` (an email, or a telephone in any written form), newest
    first.

    Raises ``UsageError`` for a telephone in national form without
    ``default_region``: its country is unknown, so "no entry" would be a guess.
    """
    key = key.strip()
    keyed = redacted_hash(key) or (key if _KEYED_HASH.fullmatch(key) else None)
    if keyed is not None:  # a keyed hash, or a redacted report's cell: no key needed
        return ledger.history(keyed)
    key_type, key, norm = history_key(key, default_region)
    return ledger.history(ledger.hmac(key_type, key, norm))


def history_key(text: str, default_region: str | None) -> tuple[KeyType, str, str]:
    """The key ``history`` looks up, as a run reads it from a cell: (type, key, norm).

    ``mailto:``, ``"Name" <address>`` and ``tel:`` are unwrapped. Raises
    ``UsageError`` for text that is neither an email nor a telephone a run would
    send (no run could have recorded it: "not found" would say nothing).
    """
    emails = split_emails(text)
    if "@" in text and len(emails) == 1:
        key = emails[0]
        _, norm, code, _ = check_email(key)
        if code is None:
            return KeyType.EMAIL, key, norm
    phones = split_phones(text) if "@" not in text else []
    if len(phones) == 1:
        _, norm, code, _ = check_phone(phones[0], default_region)
        if code is Reason.PHONE_NEEDS_REGION:
            raise UsageError(
                "that telephone is a national number: its country is unknown, so the ledger "
                "cannot be searched for it; add --default-region CC (for example GB)"
            )
        if code is None:
            return KeyType.TELEPHONE, phones[0], norm
    raise UsageError(
        "that is neither an email address nor a telephone number: give one email "
        '(ann@example.com; mailto: and "Name" <ann@example.com> are read too) or one '
        "telephone (+44 7700 900123, or a national number with --default-region CC)"
    )


#: The columns of ``ledger export``: the hashed ledger, without the masked hints (it names
#: nobody, so it can be handed to whoever must suppress these people).
EXPORT_COLUMNS = (
    "key_hmac",
    "key_type",
    "outcome",
    "code",
    "records_before",
    "records_after",
    "finished_at",
    "run_id",
    "input_sha256",
    "request_id",
    "stop_list",
)


def export_rows(ledger: Ledger) -> list[list[str]]:
    """The rows of ``ledger export``, oldest first, under ``EXPORT_COLUMNS``."""
    rows = []
    for e in ledger.entries():
        values = [getattr(e, c) for c in EXPORT_COLUMNS]
        rows.append(["" if v is None else str(v) for v in values])
    return rows
