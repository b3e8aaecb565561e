"""A column of numbers gets, from arrow's kernels, the verdicts the one-number path gives."""

from __future__ import annotations

from functools import cache

import numpy as np
import phonenumbers
import pyarrow as pa
import pytest
from phonenumbers import PhoneNumberType

from batch_anonymizer.input import plusnumbers
from batch_anonymizer.input.fastpath import Country, _Region, plus_number_valid
from batch_anonymizer.input.plusnumbers import plus_number_verdicts

_TYPES = [
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.MOBILE,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST,
    PhoneNumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER,
    PhoneNumberType.PAGER,
    PhoneNumberType.UAN,
    PhoneNumberType.VOICEMAIL,
]


@cache
def _numbers() -> list[str]:
    """Every region's example numbers, and near misses of each: a digit changed, a trunk 0
    after the country code, the national number doubled; in every third region, one
    digit more or fewer (each length a region is asked about costs a pattern compiled)."""
    out: set[str] = set()
    for i, region in enumerate(sorted(phonenumbers.SUPPORTED_REGIONS)):
        for kind in _TYPES:
            ex = phonenumbers.example_number_for_type(region, kind)
            if ex is None:
                continue
            code, nsn = str(ex.country_code), str(ex.national_number)
            d = code + nsn
            k = len(d) // 2 + len(out) % 3
            out.update((d, d[:k] + str((int(d[k]) + 3) % 10) + d[k + 1 :]))
            out.update((code + "0" + nsn, code + nsn + nsn))
            if i % 3 == 0:
                out.update((d + "7", d[:-1]))
    return sorted(n for n in out if 5 <= len(n) <= 15)


def _expected(numbers: list[str]) -> list[int]:
    return [-1 if v is None else int(v) for v in map(plus_number_valid, numbers)]


def test_every_regions_numbers_get_the_one_number_verdict() -> None:
    numbers = _numbers()  # not at import: each test worker collects this module
    assert len(numbers) > 3000  # every numbering plan, each in several shapes
    got = plus_number_verdicts(numbers, scalar_below=0).tolist()
    expected = _expected(numbers)
    assert {-1, 0, 1} <= set(expected)
    assert [(n, v) for n, v, w in zip(numbers, got, expected, strict=True) if v != w] == []


def test_the_decided_verdicts_are_the_librarys() -> None:
    some = _numbers()[::19]
    got = plus_number_verdicts(some, scalar_below=0).tolist()
    decided = [(n, v) for n, v in zip(some, got, strict=True) if v >= 0]
    assert len(decided) > 100
    for n, v in decided:
        assert phonenumbers.is_valid_number(phonenumbers.parse("+" + n)) is bool(v), n


@pytest.mark.parametrize(
    ("number", "verdict"),
    [
        ("447700900123", 0),  # UK drama range: possible, in no range the library knows
        ("447911123456", 1),
        ("12025550143", 1),  # NANP: the US, the first of the code's regions
        ("16135550199", 1),  # NANP: Canada, found after the US
        ("18005550100", 1),
        ("61255501234", 1),
        ("4407700900123", -1),  # a trunk 0 the library strips: its call
        ("390612345678", -1),  # an Italian leading zero
        ("80012345678", -1),  # a non-geographic code
        ("1202555", -1),  # not a possible length
        ("0447700900123", -1),  # no country code
        ("07011234567", -1),  # no country code (+7 701 123 4567 is a Kazakh mobile)
        ("99912345678", -1),  # a code of no region
    ],
)
def test_a_column_of_known_numbers(number: str, verdict: int) -> None:
    column = [number] * 3 + ["447700900124"]
    assert plus_number_verdicts(column, scalar_below=0).tolist() == [verdict] * 3 + [0]
    assert plus_number_verdicts(column).tolist() == [verdict] * 3 + [0]  # one by one


def test_a_pattern_arrow_refuses_sends_the_country_number_by_number(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def refuse(arr: object, pattern: str) -> object:
        raise pa.ArrowInvalid("Invalid regular expression: no argument for repetition")

    monkeypatch.setattr(plusnumbers, "_matches", refuse)
    some = _numbers()[::23]
    assert plus_number_verdicts(some, scalar_below=0).tolist() == _expected(some)


@pytest.mark.parametrize("bad", ["+447700900123", "4477", "4" * 16, "", "44 7700 900123"])
def test_what_is_not_5_to_15_digits_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="5 to 15 digits"):
        plus_number_verdicts(["447700900123", bad])


def test_no_numbers() -> None:
    assert plus_number_verdicts([]).tolist() == []


def _region(parts: dict[int, tuple[str, str]], code: int = 44) -> _Region:
    return _Region(parts, None, code, {})


def test_a_number_must_match_the_general_pattern_and_a_types() -> None:
    region = _region({4: (r"1\d{3}", r"\d{3}5|\d{4}")})
    nsn = pa.array(["1234", "2234", "12345", "1235"])
    lengths = np.array([4, 4, 5, 4])
    assert plusnumbers._known(region, nsn, lengths).tolist() == [True, False, False, True]
    assert [region.known(n) for n in ["1234", "2234", "12345", "1235"]] == [
        True,
        False,
        False,
        True,
    ]


def test_a_number_whose_region_has_another_code_is_not_valid() -> None:
    mine, theirs = _region({4: (r"\d{4}", r"\d{4}")}, 44), _region({4: (r"\d{4}", r"\d{4}")}, 45)
    for region, verdict in ((mine, 1), (theirs, 0)):
        country = Country(44, None, (4,), (), (("GB", region),))
        got = plusnumbers._verdicts(country, pa.array(["1234"]), np.array([4]))
        assert got.tolist() == [verdict]
        assert country.verdict("1234") is bool(verdict)
