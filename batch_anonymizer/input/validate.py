"""The verdict on one key: as sent, normalised, and a ``Reason`` with a message if unusable.

email-validator (no DNS) judges emails and phonenumbers judges telephones
(``library_email`` / ``library_phone`` say what the verdicts are), after
Excel's artefacts are repaired or reported. ``check_email`` / ``check_phone``
take the fast path (``fastpath``) when it gives the library's exact verdict,
and ``fast_paths_agree`` switches the fast paths off on a machine whose
libraries judge differently.
"""

from __future__ import annotations

import re
from functools import cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from ..core.codes import Reason
from .fastpath import plain_email, plus_layout_digits, plus_number_valid

LOST_DIGITS = "telephone lost digits in Excel; format the column as Text and export again"
UNKNOWN_RANGE = "warning: number range unknown to the phone library"

# ASCII digits only: a number in other scripts is reported, never sent rewritten.
_INT_FLOAT = re.compile(r"^(\+?\d+)\.0+$", re.ASCII)
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$", re.ASCII)
_FRACTION = re.compile(r"^\+?\d+\.\d+$", re.ASCII)
_PHONE_CHARS = re.compile(r"^\+?[\d \t().\-/]+$", re.ASCII)
_NON_DIGIT = re.compile(r"\D", re.ASCII)

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

    tests/input/test_fastpath.py proves agreement for the library versions CI
    installs; this guards a machine with other versions: on any difference the
    fast paths are switched off and every key goes through the libraries.
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
