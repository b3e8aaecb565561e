"""Filling the sandbox's store: records files and the demo's people.

- ``read_records_file``: a CSV of records, one line per record, telephones
  already in the vendor's form; a bad file raises ``UsageError`` in one line;
- ``demo_person``: the built-in seeding rule, one person per input row, with
  0 to 3 records chosen from a hash of the row's first key (documented in
  ``docs/sandbox.md``), so the same input always gives the same store.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from pathlib import Path

from ..core.errors import UsageError
from ..core.identity import email_identity
from .store import RECORD_FIELDS, Person, is_vendor_telephone, vendor_telephone

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")

#: One row in this many holds no records at all (the demo's "not held" case).
NOT_HELD_ONE_IN = 20
#: A held row has 1 to this many records.
MAX_RECORDS = 3


# -- the built-in seeding rule ------------------------------------------------------


def demo_records(first_key: str) -> int:
    """How many records the row whose first key is ``first_key`` holds: 0, or 1 to 3.

    From SHA-256 of the key in its stored form (an email trimmed and
    lower-cased, a telephone in the vendor's form), read as a big-endian
    number ``n`` from its first 8 bytes: ``n % 20 == 0`` holds no records,
    otherwise ``1 + (n // 20) % 3``.
    """
    stored = email_identity(first_key) if "@" in first_key else vendor_telephone(first_key)
    n = int.from_bytes(hashlib.sha256(stored.encode("utf-8")).digest()[:8], "big")
    if n % NOT_HELD_ONE_IN == 0:
        return 0
    return 1 + (n // NOT_HELD_ONE_IN) % MAX_RECORDS


def demo_person(emails: Sequence[str], telephones: Sequence[str], *, name: str) -> Person:
    """The person of one input row: all its keys, records by ``demo_records``.

    Telephones are stored in the vendor's form where it can be told
    (``vendor_telephone``). A held person has at least one record per key,
    so every key of a held row finds something: answers by email, then one
    SMS answer per telephone (``Person.by_channel``), so that anonymizing
    the row's email does not also take its telephone's records. The first
    key is the first email, else the first telephone.
    """
    phones = tuple(vendor_telephone(p) for p in telephones)
    first = emails[0] if emails else phones[0] if phones else ""
    n = demo_records(first) if first else 0
    if n:
        n = max(n, len(emails) + len(phones))  # one record at least for every key
    return Person(tuple(emails), phones, n, "Test", name, by_channel=True)


# -- records files --------------------------------------------------------------------

Rows = list[list[dict[str, str]]]  # people, each a list of records (field -> value)


def read_records_file(path: Path) -> Rows:
    """The people of a records CSV, in order of first appearance, each with their records.

    Header: record field names (``email``, ``sms_telephone``, ``first_name``,
    ...; case, spaces and dashes do not matter) and optionally ``person``. A
    named column sets that field, empty cells included (an empty
    ``number_customergauge`` gets a running number); a field the header does
    not name keeps the store's demo value.
    Lines with the same ``person`` are one person; lines without one are
    grouped by a shared email (ignoring case) or telephone. Raises
    ``UsageError`` naming the file (and the line) for anything it cannot use.
    """
    where = f"sandbox records: {path}"
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise UsageError(f"{where}: cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{where}: not UTF-8 text; save it as UTF-8 CSV") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise UsageError(f"{where}: empty; the first line must name the columns")
        columns = _columns(header, where)
        records: list[dict[str, str]] = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            records.append(_record(cells, columns, f"{where}: line {reader.line_num}"))
    except csv.Error as exc:
        raise UsageError(f"{where}: line {reader.line_num}: not valid CSV ({exc})") from None
    return _people(records)


def _columns(header: list[str], where: str) -> list[str]:
    names = [h.strip().lower().replace("-", "_").replace(" ", "_") for h in header]
    known = {*RECORD_FIELDS, "person"}
    unknown = [h for h, n in zip(header, names, strict=True) if n not in known]
    if unknown:
        raise UsageError(
            f"{where}: unknown column(s) {', '.join(repr(u) for u in unknown)}; "
            f"known: {', '.join(RECORD_FIELDS)}, person"
        )
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise UsageError(f"{where}: column(s) {', '.join(doubled)} given twice")
    if "email" not in names and "sms_telephone" not in names:
        raise UsageError(f"{where}: needs an email or an sms_telephone column")
    return names


def _record(cells: list[str], columns: list[str], where: str) -> dict[str, str]:
    if len(cells) > len(columns):
        raise UsageError(f"{where}: {len(cells)} cells but {len(columns)} columns")
    # A column the header names is that field, empty cells included; a column it
    # does not name keeps the store's demo value.
    cells = cells + [""] * (len(columns) - len(cells))
    values = {c: v.strip() for c, v in zip(columns, cells, strict=True)}
    email, phone = values.get("email", ""), values.get("sms_telephone", "")
    if not email and not phone:
        raise UsageError(f"{where}: neither an email nor an sms_telephone")
    if email and not _EMAIL.match(email):
        raise UsageError(f"{where}: email {email!r} is not an email address")
    if phone and not is_vendor_telephone(phone):
        hint = vendor_telephone(phone)
        raise UsageError(
            f"{where}: sms_telephone {phone!r} is not in the vendor's form, country code and "
            f"number in digits only (e.g. {hint if is_vendor_telephone(hint) else '447700900123'})"
        )
    return values


def _people(records: list[dict[str, str]]) -> Rows:
    """Group records into people: by ``person`` when given, else by shared keys."""
    parent = list(range(len(records)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_seen: dict[tuple[str, str], int] = {}
    for i, rec in enumerate(records):
        if rec.get("person"):
            links = [("person", rec["person"])]
        else:
            links = [
                ("email", email_identity(rec.get("email", ""))),
                ("tel", rec.get("sms_telephone", "")),
            ]
        for link in links:
            if not link[1]:
                continue
            j = first_seen.setdefault(link, i)
            parent[root(i)] = root(j)
    groups: dict[int, list[dict[str, str]]] = {}
    for i, rec in enumerate(records):
        fields = {k: v for k, v in rec.items() if k != "person"}
        groups.setdefault(root(i), []).append(fields)
    return list(groups.values())
