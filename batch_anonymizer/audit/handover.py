"""A pseudonymised copy of a report, for handing over to compliance.

Each key becomes ``HMAC-SHA256(secret, key identity)`` (hex; the identity
rule of ``core.identity``) plus a masked hint (``j***@example.com``,
``+44 77** ***123``); a message that contains a key
is removed; the input's own columns are dropped except those asked for, and
any kept cell that contains a key is removed too. The evidence stays: every
column of the report that is not a key (records before and after, the form
the key was sent in, the ledger's columns), so the copy's headline states
the verification as the run did, and the run facts (``setting.verify``). The
report's Requests sheet comes along with its own columns (a request id that
holds a key pseudonymised like a key, a cell that holds one removed) and the
kept input columns only. With the same secret,
``lookup`` answers "was this person's key processed?" without the copy ever
holding the key. The secret is never written anywhere.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from ..core.codes import reason
from ..core.errors import ReportError, UsageError
from ..core.identity import digits, holds_key, mask, phone_tail, pseudonym
from ..core.records import KeyForm, KeyType, Line, Outcome, ReportLine, Status
from .report import write_report
from .reportread import read_report, read_requests
from .requests_sheet import DAY_COLUMNS, INPUT_SUFFIX, REQUEST_COLUMNS
from .summary_words import facts_from_dict
from .workbook import CellValue, Table

HINT_COLUMN = "key_hint"
REMOVED = "[removed: contained a key]"
_EMAIL = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+")
_PHONE = re.compile(r"\+?\d[\d\s().\-/]{5,}\d")


def _contains_key(text: str, keys: set[str], own: str) -> bool:
    """True when ``text`` holds its own line's key, or any key of the report.

    ``keys`` holds emails lower-cased and telephones as ``phone_tail`` digits, so a
    number written in national form (``07700 900123``) is found too.
    """
    if not text:
        return False
    own = own.strip()
    if len(own) >= 3 and own.lower() in text.lower():
        return True
    tail = phone_tail(own)
    if "@" not in own and tail and tail in digits(text):
        return True
    if any(m.lower() in keys for m in _EMAIL.findall(text)):
        return True
    return any(phone_tail(m) in keys for m in _PHONE.findall(text))


def write_handover(
    report_path: Path,
    out_path: Path,
    secret: bytes,
    keep_columns: Sequence[str],
    *,
    paper: str = "a4",
) -> Path:
    """Write the pseudonymised copy (.xlsx, its .csv twin and, when the report has
    requests, its .requests.csv) of a report; return the .xlsx path."""
    xlsx = out_path if out_path.suffix.lower() == ".xlsx" else out_path.with_suffix(".xlsx")
    csv = xlsx.with_suffix(".csv")
    source = report_path.resolve()
    if xlsx.resolve() in (source.with_suffix(".xlsx"), source.with_suffix(".csv")):
        raise UsageError(f"{xlsx} would overwrite the report itself; choose another --out")
    rep = read_report(report_path)
    absent = [c for c in keep_columns if c not in rep.input_columns]
    if absent:
        raise UsageError(
            f"{report_path.name} has no input column {', '.join(map(repr, absent))}; "
            f"its input columns are: {', '.join(rep.input_columns) or '(none)'}"
        )
    keep = [rep.input_headers[rep.input_columns.index(c)] for c in keep_columns]
    keys = {k.strip().lower() if "@" in k else phone_tail(k) for k in _keys(rep.rows)} - {""}
    removed = 0

    def clean(text: str, own: str, *, cell: bool = False) -> str:
        nonlocal removed
        # a kept input cell goes whenever it holds any email or telephone (a request id
        # that is another person's key, not one of the report's)
        if _contains_key(text, keys, own) or (cell and holds_key(text)):
            removed += 1
            return REMOVED
        return text

    lines = []
    for i, r in enumerate(rep.rows):
        key = r["key"]
        status = Status(r["status"])
        key_type = KeyType(r["key_type"]) if r["key_type"] else None
        line = Line(
            index=i,
            sheet=clean(r.get("source_sheet", ""), key) or None,
            source_row=int(r["source_row"]),
            key_type=key_type,
            key=pseudonym(secret, key, key_type) if key else "",
            norm="",
            status=status,
            code=None,
            message="",
            cells=(mask(key), *(clean(r[h], key, cell=True) for h in keep)),
            source_column=clean(r.get("source_column", ""), key),
        )
        rf = r.get("records_found", "")
        unknown = r.get("unknown_attempts", "")
        form = r.get("key_form", "")
        outcome = Outcome(
            status,
            reason(r["error_code"]),
            clean(r["message"], key),
            http_status=int(r["http_status"]) if r["http_status"] else None,
            vendor_code=clean(r.get("vendor_code", ""), key),
            attempts=int(r["attempts"]),
            unknown_attempts=int(unknown) if unknown.isdigit() else 0,
            finished_at=r["finished_at"],
            run_id=r["run_id"],
            records_found=int(rf) if rf.isdigit() else None,
            records_before=_count(r.get("records_before", "")),
            records_after=_count(r.get("records_after", "")),
            key_form=KeyForm(form) if form in set(KeyForm) else None,
            previously_erased=clean(r.get("previously_erased", ""), key),
            stop_list=clean(r.get("stop_list", ""), key),
        )
        lines.append(ReportLine(line, outcome))
    facts = facts_from_dict({k: clean(v, "") for k, v in rep.facts.items()})
    notes = (
        "Pseudonymised copy: each key is replaced by HMAC-SHA256(secret, normalised key) and "
        f"a masked hint ({HINT_COLUMN}); messages and cells that held a key are removed "
        f"({removed:,} removed). Look a key up with `batch-anonymizer handover --lookup`.",
        f"Made from {report_path.name}; input columns kept: "
        + (", ".join(keep_columns) if keep_columns else "none")
        + ".",
    )
    requests = _requests(report_path, keep_columns, lambda t: clean(t, "", cell=True), secret)
    write_report(
        xlsx,
        csv,
        (HINT_COLUMN, *keep_columns),
        lines,
        facts,
        title="batch-anonymizer audit report: pseudonymised handover copy",
        notes=notes,
        paper=paper,
        request_table=requests,
    )
    return xlsx


def _count(text: str) -> int | None:
    return int(text) if text.isdigit() else None


#: The Requests sheet's columns that are numbers, and the one that is a time.
_NUMBERS = ("keys", "records_anonymized", "days_left")


def _requests(
    report_path: Path, keep: Sequence[str], clean: Callable[[str], str], secret: bytes
) -> Table | None:
    """The report's Requests sheet, pseudonymised: its own columns and the ``keep`` input
    columns; a request id holding a key becomes its pseudonym, any other cell holding
    one is removed (``clean``). None when the report has no Requests sheet."""
    try:
        rows = read_requests(report_path)
    except ReportError:
        return None

    def label(text: str) -> str:  # a request id (or one of duplicate_of's) that is a key
        return pseudonym(secret, text) if holds_key(text) or clean(text) != text else text

    header = (*REQUEST_COLUMNS, *(c + INPUT_SUFFIX if c in REQUEST_COLUMNS else c for c in keep))
    out: list[list[CellValue]] = []
    for r in rows:
        line: list[CellValue] = []
        for c in header:
            text = r.get(c, "")
            if c == "request":
                line.append(label(text))
            elif c == "duplicate_of":
                line.append(", ".join(label(t) for t in text.split(", ")) if text else "")
            elif c in DAY_COLUMNS and text:
                line.append(_day(text))
            elif c in _NUMBERS and text.lstrip("-").isdigit():
                line.append(int(text))
            else:
                line.append(clean(text))
        out.append(line)
    return Table(header, out, coloured=("outcome", "on_time"), when="completed_at")


def _day(text: str) -> CellValue:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return text


def _keys(rows: Sequence[dict[str, str]]) -> set[str]:
    return {r["key"] for r in rows if r["key"].strip()}


def lookup(handover_path: Path, key: str, secret: bytes) -> list[dict[str, str]]:
    """The lines of a handover copy (or a report) that are for ``key``."""
    wanted = pseudonym(secret, key)
    return [r for r in read_report(handover_path).rows if r["key"] == wanted]
