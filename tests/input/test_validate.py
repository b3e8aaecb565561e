"""Verdicts on single keys: email-validator's and phonenumbers', with Excel's artefacts, and
the canary that switches the fast paths off when a library judges differently."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from batch_anonymizer.core.codes import Reason
from batch_anonymizer.input import validate
from batch_anonymizer.input.validate import check_email, check_phone, library_email, library_phone

LOST_DIGITS = "telephone lost digits in Excel; format the column as Text and export again"
UNKNOWN_RANGE = "warning: number range unknown to the phone library"
SIGNS = "not a telephone number: it holds letters or signs"
WRONG_LENGTH = "not a possible telephone number (wrong length)"


def NEEDS(key: str) -> str:
    return (
        f"a national number ({key}): its country is unknown, so it cannot be sent in the form "
        "CustomerGauge stores; give --default-region (for example --default-region GB)"
    )


@pytest.fixture
def fresh_canary() -> Iterator[None]:
    """The canary checked anew in the test, and forgotten after it (it is cached)."""
    validate.fast_paths_agree.cache_clear()
    yield
    validate.fast_paths_agree.cache_clear()


# -- email -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "verdict"),
    [
        ("ann@example.com", ("ann@example.com", "ann@example.com", None, "")),
        ("Ann.Lee@Example.ORG", ("Ann.Lee@Example.ORG", "ann.lee@example.org", None, "")),
        ("zoë@Example.org", ("zoë@Example.org", "zoë@example.org", None, "")),
        (
            "not-an-email",
            (
                "not-an-email",
                "not-an-email",
                Reason.INVALID_EMAIL,
                "not a valid email address: An email address must have an @-sign.",
            ),
        ),
        (
            "a@b",
            (
                "a@b",
                "a@b",
                Reason.INVALID_EMAIL,
                "not a valid email address: The part after the @-sign is not valid. "
                "It should have a period.",
            ),
        ),
        (
            "a@b.test",
            (
                "a@b.test",
                "a@b.test",
                Reason.INVALID_EMAIL,
                "not a valid email address: The part after the @-sign is a special-use or "
                "reserved name that cannot be used with email.",
            ),
        ),
    ],
)
def test_email_verdicts(key: str, verdict: validate.Check) -> None:
    assert library_email(key) == verdict
    assert check_email(key) == verdict


# -- telephone ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "verdict"),
    [
        # Excel's artefacts: a whole number as a float is repaired, lost digits are reported
        ("447700900123.0", None, ("447700900123", "447700900123", None, UNKNOWN_RANGE)),
        ("+447700900123.0", None, ("447700900123", "447700900123", None, UNKNOWN_RANGE)),
        ("4.4770E+11", None, ("4.4770E+11", "4477011", Reason.PHONE_LOST_DIGITS, LOST_DIGITS)),
        ("4,4770E+11", None, ("4,4770E+11", "4477011", Reason.PHONE_LOST_DIGITS, LOST_DIGITS)),
        ("447700900.5", None, ("447700900.5", "4477009005", Reason.PHONE_LOST_DIGITS, LOST_DIGITS)),
        # not a number at all
        ("call me", None, ("call me", "", Reason.INVALID_TELEPHONE, SIGNS)),
        ("١٢٣٤٥٦٧", None, ("١٢٣٤٥٦٧", "", Reason.INVALID_TELEPHONE, SIGNS)),
        (
            "1234",
            None,
            ("1234", "1234", Reason.INVALID_TELEPHONE, "not a telephone number: 4 digits"),
        ),
        (
            "+44 7700 9001234567",
            "GB",
            (
                "+44 7700 9001234567",
                "4477009001234567",
                Reason.INVALID_TELEPHONE,
                "not a telephone number: 16 digits",
            ),
        ),
        (
            "+999 1234 5678",
            None,
            (
                "+999 1234 5678",
                "99912345678",
                Reason.INVALID_TELEPHONE,
                "not a telephone number: Could not interpret numbers after plus-sign.",
            ),
        ),
        (
            "+1 202 555 01",
            None,
            ("+1 202 555 01", "120255501", Reason.INVALID_TELEPHONE, WRONG_LENGTH),
        ),
        # the vendor's stored form: country code and national number, digits only
        ("+44 7700 900123", None, ("447700900123", "447700900123", None, UNKNOWN_RANGE)),
        ("+44 (0) 7700 900123", None, ("447700900123", "447700900123", None, UNKNOWN_RANGE)),
        ("0044 7700 900123", None, ("447700900123", "447700900123", None, UNKNOWN_RANGE)),
        ("+1 (202) 555-0142", None, ("12025550142", "12025550142", None, "")),
        # digits only, no leading 0: Excel dropped the +; a possible international number
        ("447700900147", None, ("447700900147", "447700900147", None, UNKNOWN_RANGE)),
        ("12025550143", None, ("12025550143", "12025550143", None, "")),
        # national form without a region cannot be placed: not sent, the option is named
        (
            "07700 900123",
            None,
            ("07700 900123", "07700900123", Reason.PHONE_NEEDS_REGION, NEEDS("07700 900123")),
        ),
        (
            "(202) 555-0142",
            None,
            ("(202) 555-0142", "2025550142", Reason.PHONE_NEEDS_REGION, NEEDS("(202) 555-0142")),
        ),
        (
            "7700900123",
            None,
            ("7700900123", "7700900123", Reason.PHONE_NEEDS_REGION, NEEDS("7700900123")),
        ),
        # with a region a national number is placed in it
        ("07700 900123", "GB", ("447700900123", "447700900123", None, UNKNOWN_RANGE)),
        ("202-555-0143", "US", ("12025550143", "12025550143", None, "")),
        ("2025550143", "US", ("12025550143", "12025550143", None, "")),  # valid there, not abroad
        ("447700900123", "GB", ("447700900123", "447700900123", None, UNKNOWN_RANGE)),
        ("0044 7700 900123", "GB", ("447700900123", "447700900123", None, UNKNOWN_RANGE)),
        (
            "7700900123",
            "GB",
            (
                "7700900123",
                "7700900123",
                Reason.PHONE_LEADING_ZERO_LOST,
                "telephone 7700900123 probably lost its leading 0 in Excel (07700900123); "
                "fix the number, format the column as Text and export again",
            ),
        ),
        # the US dials no trunk 0, so the same digits are a (fictional) US number there
        ("7700900123", "US", ("17700900123", "17700900123", None, UNKNOWN_RANGE)),
        # a + number ignores the region
        ("+1 202 555 0143", "GB", ("12025550143", "12025550143", None, "")),
    ],
)
def test_phone_verdicts(raw: str, region: str | None, verdict: validate.Check) -> None:
    assert library_phone(raw, region) == verdict
    assert check_phone(raw, region) == verdict
    assert check_phone(raw, region, {}) == verdict


@pytest.mark.parametrize(
    ("raw", "region", "verdict"),
    [
        # as written: sent as in the sheet, still deduplicated on the vendor's form
        ("+44 7700 900123", None, ("+44 7700 900123", "447700900123", None, UNKNOWN_RANGE)),
        ("0044 7700 900123", None, ("0044 7700 900123", "447700900123", None, UNKNOWN_RANGE)),
        ("07700 900123", "GB", ("07700 900123", "447700900123", None, UNKNOWN_RANGE)),
        # a national number that cannot be placed goes as written, deduped on its digits
        ("07700 900123", None, ("07700 900123", "07700900123", None, "")),
        ("(202) 555-0142", None, ("(202) 555-0142", "2025550142", None, "")),
    ],
)
def test_phone_verdicts_as_written(raw: str, region: str | None, verdict: validate.Check) -> None:
    form = validate.PhoneForm.AS_WRITTEN
    assert library_phone(raw, region, form=form) == verdict
    assert check_phone(raw, region, form=form) == verdict


def test_check_phone_remembers_the_fast_verdict_per_digit_string() -> None:
    memo: dict[str, bool | None] = {}
    first = check_phone("+44 7700 900123", None, memo)
    assert memo == {"447700900123": False}
    # another layout of the same digits is answered from the memo
    assert check_phone("+44 (7700) 900-123", None, memo) == (
        "447700900123",
        "447700900123",
        None,
        UNKNOWN_RANGE,
    )
    assert first == ("447700900123", "447700900123", None, UNKNOWN_RANGE)
    # the memo is believed: a digit string remembered as valid gives no warning
    assert check_phone("+44 7700 900123", None, {"447700900123": True})[3] == ""
    assert check_phone("+1 202 555 0143", None, memo)[2] is None
    assert memo == {"447700900123": False, "12025550143": True}


# -- the canary --------------------------------------------------------------------------


def test_agreeing_fast_paths_answer_without_the_libraries(
    monkeypatch: pytest.MonkeyPatch, fresh_canary: None
) -> None:
    assert validate.fast_paths_agree()

    def asked(*args: object) -> validate.Check:
        raise AssertionError(f"the library was asked about {args}")

    monkeypatch.setattr(validate, "library_email", asked)
    monkeypatch.setattr(validate, "library_phone", asked)
    assert check_email("Ann@Example.com") == ("Ann@Example.com", "ann@example.com", None, "")
    assert check_phone("+1 202-555-0143", None) == ("12025550143", "12025550143", None, "")


def test_a_library_that_disagrees_switches_the_fast_paths_off(
    monkeypatch: pytest.MonkeyPatch, fresh_canary: None
) -> None:
    """Another phonenumbers version could judge a range differently: then no fast path."""
    assert validate.fast_paths_agree()
    real = validate.library_phone

    def stricter(raw: str, region: str | None, **kw: object) -> validate.Check:
        if raw.startswith("+1"):
            return raw, "", Reason.INVALID_TELEPHONE, "not a telephone number: new rules"
        return real(raw, region, **kw)  # type: ignore[arg-type]

    validate.fast_paths_agree.cache_clear()
    monkeypatch.setattr(validate, "library_phone", stricter)
    assert not validate.fast_paths_agree()
    assert check_phone("+1 202-555-0143", None)[2] == "invalid_telephone"
    assert check_email("user@example.com") == library_email("user@example.com")


def test_an_email_library_that_disagrees_switches_the_fast_paths_off(
    monkeypatch: pytest.MonkeyPatch, fresh_canary: None
) -> None:
    """A newer email-validator could normalise differently: then every email goes to it."""
    real = validate.library_email

    def folding(key: str) -> validate.Check:
        k, norm, code, msg = real(key)
        return k, norm.replace(".", ""), code, msg  # a library that drops dots

    monkeypatch.setattr(validate, "library_email", folding)
    assert not validate.fast_paths_agree()
    assert check_email("First.Last@example.com") == (
        "First.Last@example.com",
        "firstlast@examplecom",
        None,
        "",
    )


def test_a_library_that_raises_switches_the_fast_paths_off(
    monkeypatch: pytest.MonkeyPatch, fresh_canary: None
) -> None:
    def broken(raw: str, region: str | None, **kw: object) -> validate.Check:
        raise AttributeError("metadata changed shape")

    monkeypatch.setattr(validate, "library_phone", broken)
    assert not validate.fast_paths_agree()
