"""Pulling keys out of cells: the shortcuts for plain ASCII cells give the general split's keys."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batch_anonymizer.input.cells import email_keys, phone_keys, split_emails, split_phones

_cell = st.text(
    st.sampled_from(
        list(" \t\n\r\x0b\x0c\x1c\x1f;,<>\"'aZ@.+09:mailtoTEL\u00a0\u200b\u2060\ufeffé")
    ),
    max_size=16,
)


@settings(deadline=None)
@given(cell=st.one_of(_cell, _cell.map("mailto:{}".format), _cell.map(" tel:{}".format)))
def test_cell_shortcuts_equal_the_general_split(cell: str) -> None:
    assert email_keys(cell) == split_emails(cell)
    assert phone_keys(cell) == split_phones(cell)


@pytest.mark.parametrize(
    ("cell", "keys"),
    [
        ("a@example.com; b@example.org", ["a@example.com", "b@example.org"]),
        ("a@example.com,b@example.org\nc@example.net", ["a@example.com", "b@example.org",
                                                       "c@example.net"]),
        # a piece that is no address: the cell is one key, as written
        ("michael.brown@example,com", ["michael.brown@example,com"]),
        ("a@example.com, b@example", ["a@example.com, b@example"]),
        ("a@example.com; call me", ["a@example.com; call me"]),
        ("a@example.com;", ["a@example.com"]),  # an empty piece is no piece
        ('"Lee, Ann" <ann@example.com>', ["ann@example.com"]),
        # a display name that is another address: not unwrapped to the second one
        ('"ann@example.com" <bob@example.com>', ['"ann@example.com" <bob@example.com>']),
        ("ann@example.com <bob@example.com>", ["ann@example.com <bob@example.com>"]),
        ('"ANN@example.com" <ann@example.com>', ["ann@example.com"]),  # the same address
    ],
)  # fmt: skip
def test_a_cell_is_split_only_when_every_piece_is_an_address(cell: str, keys: list[str]) -> None:
    assert email_keys(cell) == keys


@pytest.mark.parametrize(
    ("cell", "keys"),
    [
        ("CUST-1; ann@example.com", ["ann@example.com"]),  # pieces without "@" are no keys
        ("CUST-1", []),
        ("michael.brown@example,com", ["michael.brown@example,com"]),
    ],
)
def test_an_identifier_cell_keeps_its_pieces_with_an_at(cell: str, keys: list[str]) -> None:
    from batch_anonymizer.input.cellkeys import emails_only

    assert emails_only(cell) == keys
