"""Pulling keys out of cells: the shortcuts for plain ASCII cells give the general split's keys."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from batch_anonymizer.input.cells import email_keys, phone_keys, split_emails, split_phones

_cell = st.text(
    st.sampled_from(
        list(" \t\n\r\x0b\x0c\x1c\x1f;,<>\"'aZ@.+09:mailtoTEL\u00a0\u200b\u2060\ufeffé")
    ),
    max_size=16,
)


@settings(max_examples=1200, deadline=None)
@given(cell=st.one_of(_cell, _cell.map("mailto:{}".format), _cell.map(" tel:{}".format)))
def test_cell_shortcuts_equal_the_general_split(cell: str) -> None:
    assert email_keys(cell) == split_emails(cell)
    assert phone_keys(cell) == split_phones(cell)
