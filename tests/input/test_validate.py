"""The canary that switches the fast paths off when a library judges differently."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from batch_anonymizer.core.codes import Reason
from batch_anonymizer.input import validate
from batch_anonymizer.input.validate import check_email, check_phone, library_email


@pytest.fixture
def fresh_canary() -> Iterator[None]:
    """The canary checked anew in the test, and forgotten after it (it is cached)."""
    validate.fast_paths_agree.cache_clear()
    yield
    validate.fast_paths_agree.cache_clear()


def test_a_library_that_disagrees_switches_the_fast_paths_off(
    monkeypatch: pytest.MonkeyPatch, fresh_canary: None
) -> None:
    """Another phonenumbers version could judge a range differently: then no fast path."""
    assert validate.fast_paths_agree()
    real = validate.library_phone

    def stricter(raw: str, region: str | None) -> validate.Check:
        if raw.startswith("+1"):
            return raw, "", Reason.INVALID_TELEPHONE, "not a telephone number: new rules"
        return real(raw, region)

    validate.fast_paths_agree.cache_clear()
    monkeypatch.setattr(validate, "library_phone", stricter)
    assert not validate.fast_paths_agree()
    assert check_phone("+1 202-555-0143", None)[2] == "invalid_telephone"
    assert check_email("user@example.com") == library_email("user@example.com")
