"""The fast paths give exactly the libraries' verdicts, or leave the key to them."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from batch_anonymizer.core.records import KeyType
from batch_anonymizer.input.fastpath import plain_email, plus_layout_digits, plus_number_valid
from batch_anonymizer.input.validate import (
    PhoneForm,
    check_email,
    check_phone,
    library_email,
    library_phone,
)

UNKNOWN_RANGE = "warning: number range unknown to the phone library"

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- email -------------------------------------------------------------------------------

_ATEXT = "abcXYZ019_!#$%&'*+-/=?^`{|}~"
_local = st.one_of(
    st.text(st.sampled_from(_ATEXT + "."), min_size=1, max_size=70),
    st.from_regex(r"[a-z]{1,8}(\.[a-z0-9]{1,8}){0,2}", fullmatch=True),
    st.sampled_from(['"ann lee"', '"a@b"', "ann\u00e9", "postmaster", "Info", "a..b", ".a", "a."]),
)
_label = st.one_of(
    st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?", fullmatch=True),
    st.text(st.sampled_from("aZ9-"), min_size=1, max_size=66),  # around the 63 limit
    st.sampled_from(["xn--bcher-kva", "ab--cd", "-a", "a-", "b\u00fccher", "EXAMPLE", "x" * 63]),
)
_tld = st.one_of(
    st.sampled_from(["com", "ORG", "net", "Example", "c", "x" * 63, "x" * 64]),
    st.sampled_from(["test", "invalid", "local", "localhost", "onion", "arpa", "Test", "ARPA"]),
    st.sampled_from(["123", "c0m", "co1", "a-b", "\u043a\u043e\u043c"]),
)
_plain_looking = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join([*labels, tld])}",
    st.from_regex(r"[A-Za-z0-9._%+'-]{1,66}", fullmatch=True),
    st.lists(st.from_regex(r"[A-Za-z0-9-]{1,64}", fullmatch=True), min_size=1, max_size=3),
    _tld,
)
_email = st.one_of(
    _plain_looking,
    st.builds(
        lambda local, labels, tld: f"{local}@{'.'.join([*labels, tld])}",
        _local,
        st.lists(_label, min_size=0, max_size=4),
        _tld,
    ),
    st.builds(
        lambda n, tld: f"{'a' * n}@{'b' * 60}.{'c' * 60}.{'d' * 60}.{tld}", st.integers(1, 70), _tld
    ),
    st.text(max_size=30),
    st.text(st.sampled_from('a@.-Z1 "<>'), max_size=20),
)


@SETTINGS
@given(key=_email)
@example(key="ann@example.com")
@example(key="Ann.Lee+tag@Sub.Example.ORG")
@example(key="a@b.test")
@example(key="a@example.invalid")
@example(key="a@123.123")
@example(key="a" * 64 + "@example.com")
@example(key="a@xn--bcher-kva.example")
def test_email_fast_path_equals_library(key: str) -> None:
    verdict = library_email(key)
    if plain_email(key):
        assert verdict == (key, key.lower(), None, ""), key
    assert check_email(key) == verdict


@pytest.mark.parametrize(
    ("key", "fast"),
    [
        ("ann@example.com", True),
        ("BOB.o'neil+x@Mail.Example.NET", True),
        ("a@b.test", False),  # special-use: the library rejects it
        ("a@sub.example.invalid", False),  # below a special-use name
        ("a@localhost", False),
        ("a@example.c0m", False),  # the library accepts it; the fast path leaves it alone
        ("a" * 65 + "@example.com", False),
        ('"ann lee"@example.com', False),
        ("ann@xn--bcher-kva.example", False),
        ("zoë@example.org", False),
        ("a..b@example.com", False),
        ("a@-x.example.com", False),
    ],
)
def test_email_fast_path_examples(key: str, fast: bool) -> None:
    assert plain_email(key) is fast


# -- telephone ---------------------------------------------------------------------------

_SEPS = [" ", "-", ".", "/", "(", ")", "  ", " (", ") ", "\t", "+", "x", "\u00a0", "0", ""]
_codes = st.sampled_from(["44", "1", "61", "39", "7", "33", "49", "800", "882", "0", "999", "3"])
_national = st.one_of(
    st.text(st.sampled_from("0123456789"), min_size=0, max_size=14),
    st.builds("7700900{:03d}".format, st.integers(0, 999)),  # UK drama range
    st.builds("{}5550{:03d}".format, st.integers(200, 999), st.integers(100, 199)),  # NANP
    st.builds("{}5550{:04d}".format, st.sampled_from("2378"), st.integers(0, 9999)),  # AU
    st.sampled_from(["7911123456", "2025550143", "0612345678", "07700900123", "20 7946 0123"]),
)


@st.composite
def _layout(draw: st.DrawFn) -> str:
    """``+`` code and national digits, with separators dropped in anywhere."""
    digits = draw(_codes) + draw(_national)
    out = [draw(st.sampled_from(["+", "+", "+", "", "++", "+(", " +"]))]
    for d in digits:
        if draw(st.integers(0, 3)) == 0:
            out.append(draw(st.sampled_from(_SEPS)))
        out.append(d)
    if draw(st.booleans()):
        out.append(draw(st.sampled_from([")", ".", ".0", " ", "-", "(0)"])))
    return "".join(out)


_phone = st.one_of(
    _layout(),
    st.builds(
        lambda head, pad: head + " " * pad + "123", st.just("+44 7700 900"), st.integers(200, 260)
    ),
    st.builds("+44 (0) 7700 900{:03d}".format, st.integers(0, 999)),
    st.builds("+1 ({}) 555-01{:02d}".format, st.integers(200, 999), st.integers(0, 99)),
    st.text(st.sampled_from("+0123456789 ().-/eE"), max_size=20),
)


@SETTINGS
@given(raw=_phone, region=st.sampled_from([None, "GB", "US", "AU", "IT"]))
@example(raw="+44 7700 900123", region=None)
@example(raw="+44 (0)7700 900123", region=None)
@example(raw="+1 202-555-0143", region="GB")
@example(raw="+447700900123.0", region=None)
@example(raw="+39 06 1234 5678", region=None)
@example(raw="+800 1234 5678", region=None)
def test_phone_fast_path_equals_library(raw: str, region: str | None) -> None:
    verdict = library_phone(raw, region)
    digits = plus_layout_digits(raw)
    if digits is not None and plus_number_valid(digits) is not None:
        # the fast path's verdict: sent and deduplicated on the vendor form, the digits
        assert verdict[0] == verdict[1] == digits and verdict[2] is None, raw
    memo: dict[str, bool | None] = {}
    assert check_phone(raw, region, memo) == verdict
    assert check_phone(raw, region, memo) == verdict  # answered from the memo
    written = PhoneForm.AS_WRITTEN
    assert check_phone(raw, region, {}, form=written) == library_phone(raw, region, form=written)


@pytest.mark.parametrize(
    ("raw", "vendor", "valid"),
    [
        ("+44 7700 900123", "447700900123", False),  # drama range: unknown to the library
        ("+44 (7700) 900-123", "447700900123", False),
        ("+44.7700/900.123", "447700900123", False),
        ("+1 202 555 0143", "12025550143", True),
        ("+61 2 5550 1234", "61255501234", True),
        ("+447911123456", "447911123456", True),
        ("+44 (0) 7700 900123", None, None),  # a trunk 0 the library strips: its call
        ("+39 06 1234 5678", None, None),  # Italian leading zero
        ("+800 1234 5678", None, None),  # non-geographic code
        ("+44 12", None, None),  # too short: the library says why
    ],
)
def test_phone_fast_path_examples(raw: str, vendor: str | None, valid: bool | None) -> None:
    digits = plus_layout_digits(raw)
    assert (None if digits is None else plus_number_valid(digits)) is valid
    if vendor is not None:
        expected = (vendor, vendor, None, "" if valid else UNKNOWN_RANGE)
        assert check_phone(raw, None) == expected
        assert library_phone(raw, None) == expected
    else:
        assert check_phone(raw, None) == library_phone(raw, None)


@pytest.mark.parametrize(
    "raw",
    ["+447700900123.0", "+44770090.5", "44 7700 900123", "+44 7700 900123 ext 5", "+" + "1" * 16],
)
def test_phone_layouts_the_fast_path_leaves_alone(raw: str) -> None:
    assert plus_layout_digits(raw) is None


# -- the column-wide fast paths ------------------------------------------------------------

COLUMNS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@COLUMNS
@given(cells=st.lists(st.one_of(_email, _email.map(lambda k: f" {k}"), _email.map(str.upper))))
@example(cells=[f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 63}.com", "ann@example.com"])  # 260 long
def test_column_email_fast_path_equals_the_scalar_one(cells: list[str]) -> None:
    from batch_anonymizer.input.cells import email_keys
    from batch_anonymizer.input.fastpath import plain_email_cells

    expected = [c for c in cells if email_keys(c) == [c] and plain_email(c)]
    for arrow in (None, pa.array(cells, pa.large_string())):  # given as a list, or in arrow
        decided, lowered = plain_email_cells(cells, arrow)
        assert [c for c, d in zip(cells, decided, strict=True) if d] == expected
        assert lowered == [c.lower() for c in expected]


@COLUMNS
@given(cells=st.lists(st.one_of(_phone, _phone.map(lambda k: f"{k} "), _phone.map(" {}".format))))
def test_column_phone_fast_path_equals_the_scalar_one(cells: list[str]) -> None:
    from batch_anonymizer.input.cells import phone_keys
    from batch_anonymizer.input.fastpath import plus_layout_cells

    expected = [c for c in cells if phone_keys(c) == [c] and plus_layout_digits(c) is not None]
    for arrow in (None, pa.array(cells, pa.large_string())):  # given as a list, or in arrow
        taken, numbers, number_of = plus_layout_cells(cells, arrow)
        assert [c for c, t in zip(cells, taken, strict=True) if t] == expected
        assert [numbers[i] for i in number_of] == [plus_layout_digits(c) for c in expected]
        assert len(set(numbers)) == len(numbers)


@settings(COLUMNS, max_examples=40)
@given(
    emails=st.lists(st.one_of(_email, _email.map(" {} ".format), _email.map("\t{}".format))),
    phones=st.lists(st.one_of(_phone, _phone.map(" {} ".format), _phone.map("{}\n".format))),
    form=st.sampled_from(list(PhoneForm)),
)
@example(emails=[" ann@example.com "], phones=["  +44 7700 900123 "], form=PhoneForm.VENDOR)
def test_cells_split_first_get_the_slow_paths_entries(emails, phones, form) -> None:  # type: ignore[no-untyped-def]
    from batch_anonymizer.input.cellkeys import entries_by_cell, split_fast
    from batch_anonymizer.input.cells import email_keys, phone_keys

    for kind, cells, split, check in (
        (KeyType.EMAIL, emails, email_keys, check_email),
        (KeyType.TELEPHONE, phones, phone_keys, lambda k: check_phone(k, None, form=form)),
    ):
        fast = split_fast(cells, "c", split, kind, form)
        slow = entries_by_cell(set(cells), "c", split, check, None)
        assert {c: slow[c] for c in fast} == fast
        if cells == [" ann@example.com "] or cells == ["  +44 7700 900123 "]:
            assert fast  # a key with spaces around it is decided here
