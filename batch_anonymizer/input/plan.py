"""From an ``InputTable`` to a ``Plan``: key columns, keys, validation, dedupe, --where.

Keys are sent as written (trimmed, unwrapped, Excel artefacts repaired);
normalised forms are used only to validate and to find duplicates. Every input
row yields at least one ``Line``; per-row problems are coded lines, never
exceptions. Each distinct cell is split once and each distinct key validated
once: by a fast path (``fastpath``) when it can give the library's exact
verdict, else by email-validator / phonenumbers (``library_email`` /
``library_phone``, which say what the verdicts are).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from ..core.codes import Reason
from ..core.errors import InputError
from ..core.gcpause import gc_paused
from ..core.records import InputTable, KeyType, Line, Plan, SourceRow, Status
from .cells import EMAIL_HEADERS, PHONE_HEADERS, email_keys, header_key, phone_keys
from .fastpath import plain_email, plus_layout_digits, plus_number_valid

LOST_DIGITS = "telephone lost digits in Excel; format the column as Text and export again"
NO_KEY = "no email or telephone in this row"
UNKNOWN_RANGE = "warning: number range unknown to the phone library"

# ASCII digits only: a number in other scripts is reported, never sent rewritten.
_INT_FLOAT = re.compile(r"^(\+?\d+)\.0+$", re.ASCII)
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$", re.ASCII)
_FRACTION = re.compile(r"^\+?\d+\.\d+$", re.ASCII)
_PHONE_CHARS = re.compile(r"^\+?[\d \t().\-/]+$", re.ASCII)
_NON_DIGIT = re.compile(r"\D", re.ASCII)

# (code, singular, plural) in the order problems are listed
_PHRASES = (
    (Reason.INVALID_EMAIL, "invalid email", "invalid emails"),
    (Reason.INVALID_TELEPHONE, "invalid telephone number", "invalid telephone numbers"),
    (
        Reason.PHONE_LOST_DIGITS,
        "telephone that lost digits in Excel",
        "telephones that lost digits in Excel",
    ),
    (
        Reason.PHONE_LEADING_ZERO_LOST,
        "telephone missing its leading 0",
        "telephones missing their leading 0",
    ),
    (Reason.NO_KEY, "row without email or telephone", "rows without email or telephone"),
    (Reason.DUPLICATE, "duplicate", "duplicates"),
    (Reason.SKIPPED_FILTER, "line skipped by --where", "lines skipped by --where"),
)


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


def _column(columns: Sequence[str], name: str) -> int:
    wanted = name.strip().casefold()
    for i, c in enumerate(columns):
        if c.casefold() == wanted:
            return i
    for i, c in enumerate(columns):
        if header_key(c) == header_key(name):
            return i
    raise InputError(f'--where column "{name}" is not a column: found headers {", ".join(columns)}')


# -- validation ------------------------------------------------------------------------------

Check = tuple[str, str, Reason | None, str]  # (key as sent, norm, code, message)


def check_email(key: str) -> Check:
    """The verdict on one email key: the fast path's when it decides, else the library's."""
    if plain_email(key) and fast_paths_agree():
        return key, key.lower(), None, ""
    return library_email(key)


def check_phone(raw: str, region: str | None, memo: dict[str, bool | None] | None = None) -> Check:
    """The verdict on one telephone key: the fast path's when it decides, else the library's.

    ``memo`` keeps the fast path's answer per digit string across calls (one
    number is often written in several layouts).
    """
    digits = plus_layout_digits(raw)
    if digits is not None and fast_paths_agree():
        if memo is None:
            valid = plus_number_valid(digits)
        elif digits in memo:
            valid = memo[digits]
        else:
            valid = memo[digits] = plus_number_valid(digits)
        if valid is not None:
            return raw, "+" + digits, None, "" if valid else UNKNOWN_RANGE
    return library_phone(raw, region)


# Keys on which the fast paths decide, in several address shapes and numbering plans.
_CANARY_EMAILS = (
    "user@example.com",
    "First.Last@Example.ORG",
    "o'brien+tag@mail.example.net",
    "x_y-z@a-b.example.co",
)
_CANARY_PHONES = (  # ranges reserved for fiction, in several numbering shapes and layouts
    "+44 7700 900123",
    "+44 (20) 7946-0958",
    "+44.113.496.0123",
    "+1 202-555-0143",
    "+1 (613) 555 0199",
    "+1 800 555 0100",
    "+61 2 5550 1234",
    "+61 (3) 5550-9876",
    "+61 7 5550 0000",
)


@cache
def fast_paths_agree() -> bool:
    """Whether the fast paths still give the installed libraries' verdicts (checked once).

    tests/test_fastpath.py proves agreement for the library versions CI installs;
    this guards a machine with other versions: on any difference the fast paths
    are switched off and every key goes through the libraries.
    """
    try:
        emails = all(
            library_email(k) == (k, k.lower(), None, "") for k in _CANARY_EMAILS if plain_email(k)
        )
        phones = True
        for raw in _CANARY_PHONES:
            digits = plus_layout_digits(raw)
            valid = plus_number_valid(digits) if digits is not None else None
            if valid is not None:
                fast = (raw, "+" + str(digits), None, "" if valid else UNKNOWN_RANGE)
                phones = phones and fast == library_phone(raw, None)
    except Exception:  # a library whose metadata changed shape: trust only the library
        return False
    return emails and phones


def library_email(key: str) -> Check:
    """The verdict of email-validator (no DNS): normalised form lowercased, or its error."""
    try:
        ok = validate_email(key, check_deliverability=False)
    except EmailNotValidError as e:
        return key, key.lower(), Reason.INVALID_EMAIL, f"not a valid email address: {e}"
    return key, ok.normalized.lower(), None, ""


def library_phone(raw: str, region: str | None) -> Check:
    """The verdict of phonenumbers, after repairing Excel's artefacts: E.164 form or a problem.

    Without a region only ``+`` numbers are parsed; others are sent as written
    and deduplicated on their digits.
    """
    m = _INT_FLOAT.match(raw)
    key = m.group(1) if m else raw  # Excel's 447911123456.0 is a whole number
    digits = _NON_DIGIT.sub("", key)
    if _SCIENTIFIC.match(key) or _FRACTION.match(key):
        return key, digits, Reason.PHONE_LOST_DIGITS, LOST_DIGITS
    if not _PHONE_CHARS.match(key):
        return (
            key,
            digits,
            Reason.INVALID_TELEPHONE,
            "not a telephone number: it holds letters or signs",
        )
    if not 5 <= len(digits) <= 15:
        return (
            key,
            digits,
            Reason.INVALID_TELEPHONE,
            f"not a telephone number: {len(digits)} digits",
        )
    if not key.startswith("+") and region is None:
        return key, digits, None, ""  # no region: sent as written, deduped on digits
    try:
        num = phonenumbers.parse(key, region)
    except phonenumbers.NumberParseException as e:
        return key, digits, Reason.INVALID_TELEPHONE, f"not a telephone number: {e._msg}"
    if region and key.isdigit() and _lost_leading_zero(key, region, num):
        return (
            key,
            digits,
            Reason.PHONE_LEADING_ZERO_LOST,
            f"telephone {key} probably lost its leading 0 in Excel (0{key}); "
            "fix the number, format the column as Text and export again",
        )
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    if not phonenumbers.is_possible_number(num):
        return key, e164, Reason.INVALID_TELEPHONE, "not a possible telephone number (wrong length)"
    if not phonenumbers.is_valid_number(num):
        # Fiction ranges and ranges newer than the library are not "valid": send anyway.
        return key, e164, None, UNKNOWN_RANGE
    return key, e164, None, ""


def _lost_leading_zero(key: str, region: str, num: phonenumbers.PhoneNumber) -> bool:
    """A bare national number in a region that dials a trunk 0: Excel dropped the 0."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region.upper(), None)
    if meta is None or meta.national_prefix != "0" or key.startswith("0"):
        return False
    if str(num.national_number) != key:
        return False  # the library read a country code: an international number without +
    with_zero = phonenumbers.parse("0" + key, region)
    return bool(phonenumbers.is_possible_number(with_zero))


# -- planning --------------------------------------------------------------------------


def make_plan(
    table: InputTable,
    *,
    email_column: str | None = None,
    phone_column: str | None = None,
    default_region: str | None = None,
    where: Sequence[tuple[str, str]] = (),
) -> Plan:
    """Every key of every row as a ``Line``: ready, invalid, duplicate or skipped.

    Email lines come before telephone lines within a row; a row without any key
    gives one ``no_key`` line. The first occurrence of a key is ready, later
    ones are duplicates of it. ``where`` keeps only rows whose named columns
    equal the values (trimmed, case-insensitive). Raises ``InputError`` for an
    unknown column or region.
    """
    cols = table.columns
    email_col, phone_col = find_key_columns(cols, email_column, phone_column)
    region = _region(default_region)
    filters = [(_column(cols, c), cols[_column(cols, c)], v) for c, v in where]
    several = len(table.sheets) > 1
    with gc_paused():
        return _plan(table, email_col, phone_col, region, filters, several)


Found = tuple[tuple[KeyType | None, tuple[Check, ...]], ...]  # a row's keys, by key type


def _checks_by_cell(
    cells: set[str], split: Callable[[str], list[str]], check: Callable[[str], Check]
) -> dict[str, tuple[Check, ...]]:
    """The checks of the keys in each distinct cell; each distinct key is checked once."""
    verdicts: dict[str, Check] = {}
    out: dict[str, tuple[Check, ...]] = {}
    for cell in cells:
        checks = []
        for key in split(cell):
            c = verdicts.get(key)
            if c is None:
                c = verdicts[key] = check(key)
            checks.append(c)
        out[cell] = tuple(checks)
    return out


def _plan(
    table: InputTable,
    email_col: str | None,
    phone_col: str | None,
    region: str | None,
    filters: list[tuple[int, str, str]],
    several: bool,
) -> Plan:
    cols, rows = table.columns, table.rows
    ei = cols.index(email_col) if email_col else None
    pi = cols.index(phone_col) if phone_col else None
    emails: dict[str, tuple[Check, ...]] = {}
    if ei is not None:
        emails = _checks_by_cell({r.cells[ei] for r in rows}, email_keys, check_email)
    phones: dict[str, tuple[Check, ...]] = {}
    if pi is not None:
        memo: dict[str, bool | None] = {}
        phones = _checks_by_cell(
            {r.cells[pi] for r in rows}, phone_keys, lambda k: check_phone(k, region, memo)
        )
    # One dict per key type, keyed by the normalised form: hashing a str is far
    # cheaper than hashing a (KeyType, str) tuple (an Enum hashes in Python).
    seen: dict[KeyType | None, dict[str, SourceRow]] = {kt: {} for kt in KeyType}
    ready, invalid, duplicate = Status.READY, Status.INVALID, Status.DUPLICATE
    none: tuple[Check, ...] = ()
    no_key: Found = ((None, (("", "", Reason.NO_KEY, NO_KEY),)),)
    lines: list[Line] = []
    append = lines.append
    for row in rows:
        found: Found = (
            (KeyType.EMAIL, emails[row.cells[ei]] if ei is not None else none),
            (KeyType.TELEPHONE, phones[row.cells[pi]] if pi is not None else none),
        )
        forced = None
        if filters and (reason := _filtered_out(row, filters)):
            forced = Status.SKIPPED
            found = _skipped(found, reason)
        elif not found[0][1] and not found[1][1]:
            found = no_key
        for kt, checks in found:
            for key, norm, code, msg in checks:
                if forced is not None:
                    status = forced
                elif code is not None:
                    status = invalid
                else:
                    status = ready
                    first = seen[kt].get(norm)
                    if first is None:
                        seen[kt][norm] = row
                    else:
                        status, code = duplicate, Reason.DUPLICATE
                        msg = f"duplicate of row {first.number}"
                        if several and first.sheet is not None:
                            msg += f" (sheet {first.sheet})"
                append(
                    Line(
                        len(lines),
                        row.sheet,
                        row.number,
                        kt,
                        key,
                        norm,
                        status,
                        code,
                        msg,
                        row.cells,
                    )
                )
    return Plan(table, email_col, phone_col, tuple(lines))


def _skipped(found: Found, reason: str) -> Found:
    """The keys of a row left out by --where, each with the reason (one line if none)."""
    out = [
        (kt, tuple((c[0], c[1], Reason.SKIPPED_FILTER, reason) for c in checks))
        for kt, checks in found
    ]
    if not any(checks for _, checks in out):
        return ((None, (("", "", Reason.SKIPPED_FILTER, reason),)),)
    return tuple(out)


def _region(default_region: str | None) -> str | None:
    if not default_region:
        return None
    region = default_region.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise InputError(
            f'--default-region "{default_region}" is not a known region; '
            "use a two-letter country code such as GB, US or AU"
        )
    return region


def _filtered_out(row: SourceRow, filters: list[tuple[int, str, str]]) -> str:
    for i, name, value in filters:
        have = row.cells[i].strip()
        if have.casefold() != value.strip().casefold():
            return f'not processed: {name} is "{have}", --where wants "{value.strip()}"'
    return ""


def problem_summary(plan: Plan) -> list[tuple[Reason, int, str]]:
    """(code, count, phrase) for every problem code in the plan, e.g. ``"12 invalid emails"``."""
    counts = Counter(line.code for line in plan.lines if line.code)
    out = []
    for code, one, many in _PHRASES:
        n = counts.pop(code, 0)
        if n:
            out.append((code, n, f"{n} {one if n == 1 else many}"))
    for code, n in sorted(counts.items()):
        out.append((code, n, f"{n} {code.value.replace('_', ' ')}"))
    return out
