"""One identity rule for keys, and the masked form shown in logs and handover copies."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from batch_anonymizer.core.identity import (
    forms_of,
    guess_type,
    holds_key,
    identity,
    key_form,
    mask,
    mask_keys_in,
    phone_tail,
    pseudonym,
    value_in,
)
from batch_anonymizer.core.records import KeyForm, KeyType, Line, Status

SECRET = b"0123456789abcdef-identity-test"


@pytest.mark.parametrize(
    ("key_type", "key", "expected"),
    [
        (KeyType.EMAIL, " Ann@Example.COM ", "ann@example.com"),
        (KeyType.TELEPHONE, "+44 7700 900123", "447700900123"),
        (KeyType.TELEPHONE, "0044 7700 900123", "447700900123"),
        (KeyType.TELEPHONE, "447700900123", "447700900123"),
        (KeyType.TELEPHONE, "+1 (202) 555-0143", "12025550143"),
        (KeyType.TELEPHONE, "07700 900123", "07700900123"),  # national: cannot be placed
        (None, "Bob@Example.org", "bob@example.org"),
    ],
)
def test_identity(key_type: KeyType | None, key: str, expected: str) -> None:
    assert identity(key_type, key) == expected


def test_guess_type() -> None:
    assert guess_type("a@example.com") is KeyType.EMAIL
    assert guess_type("+44 7700 900123") is KeyType.TELEPHONE


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        ("jane@example.com", "j***@example.com"),
        ("+1 202 555 0143", "+1 202 *** *143"),
        ("+44 7700 900123", "+44 77** ***123"),
        ("1234567", "12***67"),
        ("12", "***"),
        ("", ""),
    ],
)
def test_mask(key: str, masked: str) -> None:
    assert mask(key) == masked


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("alice.h@example.com", "a***@example.com"),
        ("Ticket mailto:jim.leak@example.com", "Ticket mailto:j***@example.com"),
        ("+44 7700 900555", "+44 77** ***555"),
        ("447700900555", "4477*****555"),
        ("07700 900555", "0770* ***555"),
        ("call 07700 900123", "call 0770* ***123"),
        ("(202) 555-0143", "(202) 5**-*143"),
        # ticket numbers stay as they are
        ("REQ-1001", "REQ-1001"),
        ("REQ-2024-000123", "REQ-2024-000123"),
        ("DSR 1234567", "DSR 1234567"),
        ("REQ-{nb}", "REQ-{nb}"),
        ("", ""),
    ],
)
def test_keys_in_a_request_id_are_masked(text: str, shown: str) -> None:
    assert mask_keys_in(text) == shown
    assert holds_key(text) is (text != shown)


def test_an_address_without_a_local_part_is_masked_whole() -> None:
    # "***@000" would show the whole key "@000" (found by the certificates' fuzz test)
    assert mask("@000") == "***" and mask(" @example.com ") == "***"


@pytest.mark.parametrize(
    ("text", "tail"),
    [
        ("+44 7700 900123", "700900123"),
        ("07700 900123", "700900123"),  # national and international writings share it
        ("call 0044 (0)7700-900123 today", "700900123"),
        ("1234567", "1234567"),
        ("123456", ""),  # fewer than 7 digits name nobody
        ("ann@example.com", ""),
    ],
)
def test_phone_tail(text: str, tail: str) -> None:
    assert phone_tail(text) == tail


def test_the_keyed_hash_is_hmac_sha256_of_the_vendor_identity() -> None:
    """The values existing ledgers and handover copies hold: they must never change."""

    def expected(text: str) -> str:
        return hmac.new(SECRET, text.encode(), hashlib.sha256).hexdigest()

    assert pseudonym(SECRET, " Ann@Example.COM ") == expected("ann@example.com")
    assert pseudonym(SECRET, "+44 7700 900123", KeyType.TELEPHONE) == expected("447700900123")
    # a national number: its vendor form when the plan knew it, else its digits
    assert pseudonym(SECRET, "07700 900123", KeyType.TELEPHONE, "447700900123") == expected(
        "447700900123"
    )
    assert pseudonym(SECRET, "07700 900123", KeyType.TELEPHONE) == expected("07700900123")


def _phone(key: str, norm: str, written: str) -> Line:
    return Line(0, None, 2, KeyType.TELEPHONE, key, norm, Status.READY, None, "", (), written)


def test_the_forms_a_key_is_looked_up_in() -> None:
    national = _phone("447700900123", "447700900123", "07700 900123")
    assert forms_of(national) == [
        (KeyForm.VENDOR, "447700900123"),
        (KeyForm.AS_WRITTEN, "07700 900123"),
        (KeyForm.E164, "+447700900123"),
    ]
    assert value_in(national, KeyForm.AS_WRITTEN) == "07700 900123"
    assert key_form(national, "+447700900123") is KeyForm.E164
    email = Line(0, None, 2, KeyType.EMAIL, "Ann@Example.com", "ann@example.com",
                 Status.READY, None, "", ())  # fmt: skip
    assert forms_of(email) == [
        (KeyForm.VENDOR, "Ann@Example.com"),
        (KeyForm.LOWERCASE, "ann@example.com"),
    ]
    assert value_in(email, KeyForm.E164) == ""
