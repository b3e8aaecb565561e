"""Formula neutralisation: every dangerous prefix is caught, and every value comes back."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batch_anonymizer.audit.cellsafe import (
    CELL_LIMIT,
    fit_cell,
    is_dangerous,
    neutralise,
    neutralise_row,
    unneutralise,
    xml_escape,
    xml_unescape,
)

# Written out, not read from the module: dropping one from the module must fail here.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


@pytest.mark.parametrize("prefix", FORMULA_STARTS)
def test_dangerous_prefixes_get_an_apostrophe(prefix: str) -> None:
    value = prefix + "cmd|' /C calc'!A0"
    assert is_dangerous(value)
    assert neutralise(value) == "'" + value
    assert unneutralise(neutralise(value)) == value


@pytest.mark.parametrize("value", ["", "ann@example.com", "R1", " =1", "'", "''x", "'=1"])
def test_safe_and_apostrophe_values_round_trip(value: str) -> None:
    assert unneutralise(neutralise(value)) == value
    assert not neutralise(value).startswith(FORMULA_STARTS)


def test_phone_survives() -> None:
    assert neutralise("+44 7700 900123") == "'+44 7700 900123"
    assert unneutralise("'+44 7700 900123") == "+44 7700 900123"


@given(st.text())
def test_neutralise_is_reversible_and_never_dangerous(value: str) -> None:
    out = neutralise(value)
    assert not is_dangerous(out)
    assert unneutralise(out) == value


@given(st.text())
def test_xml_escape_is_reversible(value: str) -> None:
    escaped = xml_escape(value)
    assert xml_unescape(escaped) == value
    assert not re.search("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]", escaped)


def test_xml_escape_forms() -> None:
    assert xml_escape("a\rb\x01") == "a_x000D_b_x0001_"
    assert xml_escape("tab\tand\nnewline") == "tab\tand\nnewline"  # XML carries these
    assert xml_escape("_x0041_") == "_x005F_x0041_"  # a literal escape stays literal
    assert xml_unescape("_x005F_x0041_") == "_x0041_"
    assert xml_escape("  ") == "_x0020_ "  # whitespace-only text would be dropped


def test_fit_cell_cuts_and_says_so() -> None:
    assert fit_cell("x" * CELL_LIMIT) == "x" * CELL_LIMIT
    cut = fit_cell("x" * (CELL_LIMIT + 1))
    assert len(cut) == CELL_LIMIT
    assert cut.endswith("the .csv has the full text]")


def test_fit_cell_counts_utf16_units_like_excel() -> None:
    fits = "🙂" * (CELL_LIMIT // 2) + "x"  # 32,767 units
    assert fit_cell(fits) == fits
    cut = fit_cell("x" + "🙂" * (CELL_LIMIT // 2 + 1))  # 32,769 units in 16,385 characters
    units = len(cut.encode("utf-16-le")) // 2  # strict: no half pair left
    assert CELL_LIMIT - 1 <= units <= CELL_LIMIT
    assert cut.endswith("the .csv has the full text]")


@given(st.lists(st.one_of(st.none(), st.text(), st.integers(), st.floats())))
def test_neutralise_row_is_neutralise_of_each_text_and_numbers_as_written(
    values: list[str | int | float | None],
) -> None:
    assert neutralise_row(values) == [
        "" if v is None else neutralise(v) if isinstance(v, str) else str(v) for v in values
    ]


def test_a_negative_number_is_written_as_a_number_and_formula_text_still_neutralised() -> None:
    # days_left of an overdue request: -983 is a number, not the text '-983
    assert neutralise_row([-983, -0.5, "-983", "=1+2", "-1+cmd"]) == [
        "-983", "-0.5", "'-983", "'=1+2", "'-1+cmd"
    ]  # fmt: skip
