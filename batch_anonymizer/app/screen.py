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

from dataclasses import dataclass, replace
from pathlib import Path

from ..audit.handover import SECRET_ENV
from ..core.codes import Reason
from ..core.errors import LedgerError, UsageError
from ..core.identity import guess_type, mask
from ..core.records import KeyType, Line, Plan, Status
from ..input.validate import PhoneForm, check_phone
from ..state.ledger import Ledger, LedgerEntry
from ..state.secret import SANDBOX_SECRET, default_ledger, find_secret
from .keeping import ledger_identity
from .options import InputOptions
from .prepare import prepare_run

#: Lines whose key can be compared with the ledger: sent by a run, or a copy of one.
_COMPARED = frozenset({Status.READY, Status.DUPLICATE})


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
    # telephones that cannot be put in the vendor's form (a national number without
    # --default-region): they could not be compared, and their rows are kept
    unchecked: tuple[Line, ...]
    ledger: Path

    @property
    def rows(self) -> frozenset[tuple[str | None, int]]:
        """(sheet, row number) of every row left out."""
        return frozenset((r.sheet, r.source_row) for r in self.removed)


def read_ledger(path: Path | None, secret_file: Path | None) -> Ledger:
    """An existing ledger (default: ``default_ledger``), bound to its secret, for reading.

    Raises ``LedgerError`` when there is none, or the secret is missing or another.
    """
    ledger = Ledger(path or default_ledger(), create=False)
    try:
        if ledger.sandbox:
            ledger.bind(SANDBOX_SECRET, write=False)
            return ledger
        secret = find_secret(secret_file, create=False)
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


def screen(path: Path, ledger: Ledger, opts: InputOptions | None = None) -> Screened:
    """Find the rows of the list at ``path`` whose keys the ledger holds as erased."""
    opts = opts or InputOptions()
    # compared in the vendor's form; every row, whatever a type, identity or hold column says
    opts = replace(opts, phone_form=PhoneForm.VENDOR, gates=False)
    plan = prepare_run(path, opts).plan
    assert plan is not None
    compared = [ln for ln in plan.lines if ln.key_type is not None and ln.status in _COMPARED]
    hmacs = [_hmac(ledger, ln) for ln in compared]
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
    unchecked = tuple(ln for ln in plan.lines if ln.code is Reason.PHONE_NEEDS_REGION)
    return Screened(plan, removed, unchecked, ledger.path)


def history(ledger: Ledger, key: str, *, default_region: str | None = None) -> list[LedgerEntry]:
    """Every ledger entry for ``key`` (an email, or a telephone in any written form), newest
    first.

    Raises ``UsageError`` for a telephone in national form without
    ``default_region``: its country is unknown, so "no entry" would be a guess.
    """
    key = key.strip()
    key_type = guess_type(key)
    norm = ""
    if key_type is KeyType.TELEPHONE:
        _, norm, code, _ = check_phone(key, default_region)
        if code is Reason.PHONE_NEEDS_REGION:
            raise UsageError(
                "that telephone is a national number: its country is unknown, so the ledger "
                "cannot be searched for it; add --default-region CC (for example GB)"
            )
    return ledger.history(ledger.hmac(key_type, ledger_identity(key_type, key, norm)))


def _hmac(ledger: Ledger, line: Line) -> str:
    assert line.key_type is not None
    return ledger.hmac(line.key_type, ledger_identity(line.key_type, line.key, line.norm))


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
