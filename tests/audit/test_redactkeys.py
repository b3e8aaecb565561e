"""What ``redact`` puts in place of a key, and what it leaves alone."""

from __future__ import annotations

from batch_anonymizer.audit.handover import REMOVED
from batch_anonymizer.audit.redactkeys import KeyMatcher, RunKey
from batch_anonymizer.core.identity import mask, pseudonym, redacted_hash
from batch_anonymizer.core.records import KeyType

SECRET = b"a-test-secret-of-enough-length"
KEYS = KeyMatcher(
    [
        RunKey(KeyType.EMAIL, "Jane@Example.com", ("jane@example.com",)),
        RunKey(KeyType.TELEPHONE, "447700900123", ("+44 7700 900123",)),
        RunKey(KeyType.TELEPHONE, "123", ("123",)),  # an invalid short number
    ],
    SECRET,
)


def test_every_form_of_a_key_becomes_its_hint_and_the_ledgers_hash() -> None:
    phone = pseudonym(SECRET, "447700900123", KeyType.TELEPHONE)
    for form in (
        "+44 7700 900123",
        "447700900123",
        "+447700900123",
        "07700 900123",
        " 0044 7700 900123 ",
    ):
        cell = KEYS.cell(form, input_cell=True)
        assert cell == f"{mask(form)} #{phone}"
        assert redacted_hash(cell) == phone
    email = pseudonym(SECRET, "jane@example.com", KeyType.EMAIL)
    assert KEYS.cell("JANE@example.COM", input_cell=False) == f"J***@example.COM #{email}"
    assert mask(KEYS.cell("Jane@Example.com", input_cell=False)) == mask("Jane@Example.com")


def test_text_holding_a_key_is_blanked_or_removed() -> None:
    assert KEYS.cell("call 07700 900123 after 5", input_cell=True) == ""
    assert KEYS.cell("sent to jane@example.com.", input_cell=False) == REMOVED
    assert KEYS.cell("mailto:JANE@EXAMPLE.COM", input_cell=True) == ""


def test_everything_else_is_left_alone() -> None:
    for text in ("", "0", "1", "123", "200", "2026-11-01", "2026-12-07T20:15:08Z", "R1",
                 "+44 7700 900999", "other@example.com", "5 record(s) anonymized"):  # fmt: skip
        assert KEYS.cell(text, input_cell=True) == text
