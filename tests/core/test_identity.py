"""One identity rule for keys, and the masked form shown in logs and handover copies."""

from __future__ import annotations

import pytest

from batch_anonymizer.core.identity import guess_type, holds_key, identity, mask, mask_keys_in
from batch_anonymizer.core.records import KeyType


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
