"""The verdict on one key: as sent, normalised, and a ``Reason`` with a message if unusable.

email-validator (no DNS) judges emails and phonenumbers judges telephones
(``library_email`` / ``library_phone`` say what the verdicts are), after
Excel's artefacts are repaired or reported. ``check_email`` / ``check_phone``
take the fast path (``fastpath``) when it gives the library's exact verdict,
and ``fast_paths_agree`` switches the fast paths off on a machine whose
libraries judge differently.

Telephones are sent in the form CustomerGauge stores them (its data-file
requirements): country code and national number, digits only
(``447700900123``). How a number is placed in its country:

- ``+`` or ``00`` in front: international;
- digits only, no leading 0: international when it is a possible number with a
  ``+`` in front (Excel drops the ``+`` of number cells); with
  ``--default-region``, a number valid in that region and not valid
  internationally is national (``2025550143`` in US);
- anything else (a leading trunk 0, national punctuation): national, placed by
  ``--default-region``; without it the key cannot be placed and is not sent
  (``phone_needs_region``).

``PhoneForm.AS_WRITTEN`` keeps sending telephones as written (for accounts
known to store another form); they are still deduplicated on the vendor form.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from ..core.codes import Reason
from ..core.text import printable
from .emailfix import hint
from .fastpath import plain_email, plus_layout_digits, plus_number_valid
from .plusnumbers import plus_number_verdicts
from .scripts import mixed_warning

LOST_DIGITS = "telephone lost digits in Excel; format the column as Text and export again"
UNKNOWN_RANGE = "warning: number range unknown to the phone library"
NEEDS_REGION = (
    "a national number ({key}): its country is unknown, so it cannot be sent in the form "
    "CustomerGauge stores; give --default-region (for example --default-region GB)"
)


class KeyWarning(StrEnum):
    """A warning on a key that is still sent (its line is ``ready``). Values are a contract."""

    MIXED_SCRIPT = "mixed_script"  # an email mixing look-alike scripts (``scripts``)


class PhoneForm(StrEnum):
    """How telephones are sent: the vendor's stored form, or as written in the cell."""

    VENDOR = "vendor"
    AS_WRITTEN = "as-written"


# ASCII digits only: a number in other scripts is reported, never sent rewritten.
_INT_FLOAT = re.compile(r"^(\+?\d+)\.0+$", re.ASCII)
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$", re.ASCII)
_FRACTION = re.compile(r"^\+?\d+\.\d+$", re.ASCII)
_PHONE_CHARS = re.compile(r"^\+?[\d \t().\-/]+$", re.ASCII)
_NON_DIGIT = re.compile(r"\D", re.ASCII)

Check = tuple[str, str, Reason | None, str]  # (key as sent, norm, code, message)


def check_email(key: str) -> Check:
    """The verdict on one email key: the fast path's when it decides, else the library's.

    A usable address mixing look-alike scripts (``scripts``) is sent, with a warning.
    """
    if plain_email(key) and fast_paths_agree():
        return key, key.lower(), None, ""
    sent, norm, code, message = library_email(key)
    if code is None and not message:
        message = mixed_warning(key)
    return sent, norm, code, message


def check_phone(
    raw: str,
    region: str | None,
    memo: dict[str, bool | None] | None = None,
    *,
    form: PhoneForm = PhoneForm.VENDOR,
) -> Check:
    """The verdict on one telephone key: the fast path's when it decides, else the library's.

    The key sent is the vendor's form (``form=VENDOR``) or the number as
    written; the normalised form (for dedupe) is always the vendor's form.
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
            sent = digits if form is PhoneForm.VENDOR else raw
            return sent, digits, None, "" if valid else UNKNOWN_RANGE
    return library_phone(raw, region, form=form)


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

    tests/input/test_fastpath.py proves agreement for the library versions CI
    installs; this guards a machine with other versions: on any difference the
    fast paths are switched off and every key goes through the libraries.
    """
    try:
        emails = all(
            library_email(k) == (k, k.lower(), None, "") for k in _CANARY_EMAILS if plain_email(k)
        )
        phones = True
        numbers: dict[str, int] = {}
        for raw in _CANARY_PHONES:
            digits = plus_layout_digits(raw)
            valid = plus_number_valid(digits) if digits is not None else None
            if valid is not None:
                fast = (str(digits), str(digits), None, "" if valid else UNKNOWN_RANGE)
                phones = phones and fast == library_phone(raw, None)
                numbers[str(digits)] = int(valid)
        # and the column's kernels (arrow's RE2) give the same verdicts
        column = plus_number_verdicts(list(numbers), scalar_below=0).tolist()
        phones = phones and column == list(numbers.values())
    except Exception:  # a library whose metadata changed shape: trust only the library
        return False
    return emails and phones


def library_email(key: str) -> Check:
    """The verdict of email-validator (no DNS): normalised form lowercased, or its error
    (with the one obvious repair, if there is one: ``emailfix``)."""
    try:
        ok = validate_email(key, check_deliverability=False)
    except EmailNotValidError as e:
        return (
            key,
            key.lower(),
            Reason.INVALID_EMAIL,
            f"not a valid email address: {_with_hint(printable(str(e)), hint(key))}",
        )
    return key, ok.normalized.lower(), None, ""


def _with_hint(said: str, more: str) -> str:
    return said.rstrip(".") + more if more else said


def library_phone(raw: str, region: str | None, *, form: PhoneForm = PhoneForm.VENDOR) -> Check:
    """The verdict of phonenumbers, after repairing Excel's artefacts: the vendor form or a problem.

    The key sent is the vendor's form (country code and national number,
    digits only), or with ``PhoneForm.AS_WRITTEN`` the number as written (a
    number that cannot be placed is then sent as written, deduped on its
    digits, as before 0.2).
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
    try:
        num = _place(key, region)
    except phonenumbers.NumberParseException as e:
        return key, digits, Reason.INVALID_TELEPHONE, f"not a telephone number: {printable(e._msg)}"
    if num is None:
        if form is PhoneForm.AS_WRITTEN:
            return key, digits, None, ""  # sent as written, deduped on digits
        return key, digits, Reason.PHONE_NEEDS_REGION, NEEDS_REGION.format(key=printable(key))
    if region and key.isdigit() and _lost_leading_zero(key, region, num):
        return (
            key,
            digits,
            Reason.PHONE_LEADING_ZERO_LOST,
            f"telephone {printable(key)} probably lost its leading 0 in Excel (0{printable(key)}); "
            "fix the number, format the column as Text and export again",
        )
    vendor = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)[1:]
    sent = vendor if form is PhoneForm.VENDOR else key
    if not phonenumbers.is_possible_number(num):
        return (
            key,  # nothing is sent: show it as written
            vendor,
            Reason.INVALID_TELEPHONE,
            "not a possible telephone number (wrong length)",
        )
    if not phonenumbers.is_valid_number(num):
        # Fiction ranges and ranges newer than the library are not "valid": send anyway.
        return sent, vendor, None, UNKNOWN_RANGE
    return sent, vendor, None, ""


def _place(key: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    """The number ``key`` is, placed in its country; None when its country is unknown."""
    text = key.strip()
    if text.startswith("+"):
        return phonenumbers.parse(text, None)
    if text.startswith("00"):
        return phonenumbers.parse("+" + text[2:], None)
    if text.isdigit() and not text.startswith("0"):
        # Excel drops the "+" of a number cell: 447700900123 is +44 7700 900123.
        international = _parse_or_none("+" + text, None)
        if region is not None:
            national = phonenumbers.parse(text, region)
            if phonenumbers.is_valid_number(national) and not (
                international is not None and phonenumbers.is_valid_number(international)
            ):
                return national
            if international is None or not phonenumbers.is_possible_number(international):
                return national
        if international is not None and phonenumbers.is_possible_number(international):
            return international
        return None
    if region is None:
        return None  # a trunk 0 or national punctuation: only a region can place it
    return phonenumbers.parse(text, region)


def _parse_or_none(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


def _lost_leading_zero(key: str, region: str, num: phonenumbers.PhoneNumber) -> bool:
    """A bare national number in a region that dials a trunk 0: Excel dropped the 0."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region.upper(), None)
    if meta is None or meta.national_prefix != "0" or key.startswith("0"):
        return False
    if str(num.national_number) != key:
        return False  # the library read a country code: an international number without +
    with_zero = phonenumbers.parse("0" + key, region)
    return bool(phonenumbers.is_possible_number(with_zero))
