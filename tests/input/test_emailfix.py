"""An invalid email's one obvious repair, said in its message and never made."""

from __future__ import annotations

import pytest
from conftest import make_table

from batch_anonymizer.input.emailfix import hint, repair
from batch_anonymizer.input.plan import make_plan


@pytest.mark.parametrize(
    ("key", "fixed"),
    [
        ("michael.brown@example,com", "michael.brown@example.com"),  # "," for "."
        ("ann@mail,example,org", "ann@mail.example.org"),
        ("ann@@example.com", "ann@example.com"),  # a doubled @
        ("ann@example.com.", "ann@example.com"),  # a trailing dot
        ("ann@example.com..", "ann@example.com"),
        ("ann@example .com", "ann@example.com"),  # a space inside
        ("ann lee@example.com", "annlee@example.com"),
        ("ann@example.com", None),  # valid: nothing to repair
        ("not-an-email", None),  # no repair makes it one
        ("ann@example", None),
        ("ann,lee@example.com", None),  # a comma before the @ is not the domain's
        ("ann@example,com.", None),  # two slips: no single obvious repair
    ],
)
def test_the_one_obvious_repair(key: str, fixed: str | None) -> None:
    assert repair(key) == fixed


def test_two_addresses_in_a_display_name_are_named_not_chosen() -> None:
    assert hint('"ann@example.com" <bob@example.com>') == (
        "; it names two different addresses (ann@example.com as the name, bob@example.com "
        "as the address): write only the one to erase"
    )


def test_a_typo_is_one_invalid_key_whose_message_says_the_repair() -> None:
    plan = make_plan(make_table(["Email"], [["michael.brown@example,com"]]))
    assert [(ln.key, ln.status.value, ln.code) for ln in plan.lines] == [
        ("michael.brown@example,com", "invalid", "invalid_email")
    ]
    assert plan.lines[0].message.endswith("; did you mean michael.brown@example.com?")


def test_a_display_name_with_another_address_sends_neither() -> None:
    plan = make_plan(make_table(["Email"], [['"ann@example.com" <bob@example.com>']]))
    (line,) = plan.lines
    assert (line.status.value, line.code) == ("invalid", "invalid_email")
    assert "two different addresses" in line.message
