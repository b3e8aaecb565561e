"""Choosing the key columns: by header, by cells when in doubt, identifiers, the options, and
what is said about them."""

from __future__ import annotations

import pytest
from conftest import make_table

from batch_anonymizer.core.errors import InputError
from batch_anonymizer.core.records import ColumnRule, KeyType, SourceRow
from batch_anonymizer.input.columns import (
    ColumnChoice,
    choose_key_columns,
    column_lines,
    column_settings,
)
from batch_anonymizer.input.plan import make_plan
from batch_anonymizer.input.sniff import looks_like_email, looks_like_phone

EMAIL, PHONE = KeyType.EMAIL, KeyType.TELEPHONE


def rows(*columns: list[str]) -> tuple[SourceRow, ...]:
    """Rows whose cells are the given columns, side by side."""
    return tuple(
        SourceRow(None, i + 2, cells) for i, cells in enumerate(zip(*columns, strict=True))
    )


def chosen(choice: ColumnChoice) -> list[tuple[str, KeyType, ColumnRule]]:
    return [(k.name, k.key_type, k.rule) for k in choice.key_columns]


def rejected(choice: ColumnChoice) -> list[tuple[str, ColumnRule, str]]:
    return [(r.name, r.rule, r.reason) for r in choice.rejected]


# -- by header ---------------------------------------------------------------------------


def test_every_email_and_telephone_header_is_a_key_column_emails_first() -> None:
    columns = ["Name", "MobilePhone", "Work Email", "sms_telephone", "PERSONAL_EMAIL", "Tel"]
    columns += ["Mobile Phone Number", "E-mail", "Cell", "Notes"]
    choice = choose_key_columns(columns)
    assert chosen(choice) == [
        ("Work Email", EMAIL, ColumnRule.HEADER),
        ("PERSONAL_EMAIL", EMAIL, ColumnRule.HEADER),
        ("E-mail", EMAIL, ColumnRule.HEADER),
        ("MobilePhone", PHONE, ColumnRule.HEADER),
        ("sms_telephone", PHONE, ColumnRule.HEADER),
        ("Tel", PHONE, ColumnRule.HEADER),
        ("Mobile Phone Number", PHONE, ColumnRule.HEADER),
        ("Cell", PHONE, ColumnRule.HEADER),
    ]
    assert choice.key_columns[0].reason == "the header names an email"
    assert choice.key_columns[3].reason == "the header names a telephone"
    assert choice.rejected == ()  # Name and Notes name no key: not listed at all


def test_headers_that_describe_a_key_are_rejected_with_the_words_that_say_so() -> None:
    columns = ["Email", "Email opt-in", "Email verified", "Phone type", "Email bounced"]
    columns += ["Phone consent", "EMAIL_VERIFIED_AT", "SMS count", "Phone"]
    # cells full of keys do not change it: the header's words decide
    cells = [["a@example.com"] * 2] * 5 + [["+44 7700 900123"] * 2] * 4
    choice = choose_key_columns(columns, rows(*cells))
    assert chosen(choice) == [
        ("Email", EMAIL, ColumnRule.HEADER),
        ("Phone", PHONE, ColumnRule.HEADER),
    ]
    d = ColumnRule.DESCRIBES
    assert rejected(choice) == [
        ("Email opt-in", d, "describes an email (opt in), does not hold one"),
        ("Email verified", d, "describes an email (verified), does not hold one"),
        ("Phone type", d, "describes a telephone (type), does not hold one"),
        ("Email bounced", d, "describes an email (bounced), does not hold one"),
        ("Phone consent", d, "describes a telephone (consent), does not hold one"),
        ("EMAIL_VERIFIED_AT", d, "describes an email (verified at), does not hold one"),
        ("SMS count", d, "describes a telephone (count), does not hold one"),
    ]


def test_fax_and_other_peoples_keys_are_rejected() -> None:
    columns = ["Email", "Fax", "AssistantPhone", "Owner Email", "Created By Email"]
    choice = choose_key_columns(columns, rows(*[["a@example.com"]] * 5))
    assert chosen(choice) == [("Email", EMAIL, ColumnRule.HEADER)]
    assert rejected(choice) == [
        ("Fax", ColumnRule.FAX, "a fax number, not a telephone"),
        (
            "AssistantPhone",
            ColumnRule.OTHER_PERSON,
            "another person's telephone (assistant): used only if named with --phone-column",
        ),
        (
            "Owner Email",
            ColumnRule.OTHER_PERSON,
            "another person's email (owner): used only if named with --email-column",
        ),
        (
            "Created By Email",
            ColumnRule.OTHER_PERSON,
            "another person's email (by): used only if named with --email-column",
        ),
    ]


# -- by cells, when the header leaves a doubt ------------------------------------------------


def test_a_doubtful_header_is_a_key_column_when_most_cells_are_keys() -> None:
    # 8 of 10 non-empty cells are addresses (the two blanks do not count): mostly keys
    legacy = ["a@example.com"] * 7 + ["b@example.org", "n/a", "unknown", "", " "]
    choice = choose_key_columns(["Legacy email"], rows(legacy))
    assert chosen(choice) == [("Legacy email", EMAIL, ColumnRule.CELLS)]
    assert choice.key_columns[0].reason == (
        'the header words "legacy" leave a doubt; its cells are emails '
        "(8 of the first 10 non-empty cells)"
    )


def test_a_doubtful_header_is_rejected_when_fewer_than_four_in_five_cells_are_keys() -> None:
    legacy = ["a@example.com"] * 7 + ["n/a", "unknown", "none"]  # 7 of 10
    with pytest.raises(InputError) as e:
        choose_key_columns(["Legacy email"], rows(legacy))
    assert e.value.message == (
        "no email or telephone column: found headers Legacy email; name one with "
        '--email-column or --phone-column; not used: "Legacy email" (the header words '
        '"legacy" leave a doubt, and its cells are not emails (7 of the first 10 non-empty '
        "cells are))"
    )


def test_flags_under_a_doubtful_header_are_not_keys() -> None:
    choice = choose_key_columns(
        ["Email", "Verified email", "HasOptedOutOfEmail", "Phone (legacy)", "Email (old)"],
        rows(
            ["a@example.com", "b@example.com"],
            ["TRUE", "FALSE"],
            ["false", "true"],
            ["2024-03-05", "05/03/2024"],  # dates are not telephones
            ["", ""],
        ),
    )
    # "old" says which address it is: a key column, even empty
    assert chosen(choice) == [
        ("Email", EMAIL, ColumnRule.HEADER),
        ("Email (old)", EMAIL, ColumnRule.HEADER),
    ]
    assert rejected(choice) == [
        (
            "Verified email",
            ColumnRule.CELLS,
            'the header words "verified" leave a doubt, and its cells are not emails '
            "(0 of the first 2 non-empty cells are)",
        ),
        (
            "HasOptedOutOfEmail",
            ColumnRule.CELLS,
            'the header words "has opted out of" leave a doubt, and its cells are not emails '
            "(0 of the first 2 non-empty cells are)",
        ),
        (
            "Phone (legacy)",
            ColumnRule.CELLS,
            'the header words "legacy" leave a doubt, and its cells are not telephones '
            "(0 of the first 2 non-empty cells are)",
        ),
    ]


def test_a_header_naming_both_kinds_is_decided_by_its_cells() -> None:
    phones = rows(["+44 7700 900123", "+1 (202) 555-0143", "07700 900124"])
    choice = choose_key_columns(["Email/SMS"], phones)
    assert chosen(choice) == [("Email/SMS", PHONE, ColumnRule.CELLS)]
    assert choice.key_columns[0].reason == (
        "the header names an email or telephone; its cells are telephones "
        "(3 of the first 3 non-empty cells)"
    )


def test_only_the_first_thousand_non_empty_cells_are_looked_at() -> None:
    cells = [""] * 500 + ["a@example.com"] * 1000 + ["not an email"] * 5000
    choice = choose_key_columns(["Legacy email"], rows(cells))
    assert choice.key_columns[0].reason.endswith("(1000 of the first 1000 non-empty cells)")


@pytest.mark.parametrize(
    ("piece", "email"),
    [
        ("ann@example.com", True),
        ("ann.lee+x@mail.example.org", True),
        ("zoë@exämple.com", True),
        ("ann@example", False),
        ("ann@@example.com", False),
        ("@example.com", False),
        ("ann example.com", False),
        ("TRUE", False),
    ],
)
def test_email_shape(piece: str, email: bool) -> None:
    assert looks_like_email(piece) is email


@pytest.mark.parametrize(
    ("piece", "phone"),
    [
        ("+44 7700 900123", True),
        ("+1 (202) 555-0143", True),
        ("07700 900123", True),
        ("447700900123", True),
        ("202.555.0143", True),
        ("555-0143", True),  # 7 digits
        ("555-014", False),  # 6
        ("+1234567890123456", False),  # 16
        ("2024-03-05", False),
        ("05/03/2024", False),
        ("5.3.2024", False),
        ("ext. 12", False),
        ("3", False),
        ("mobile", False),
    ],
)
def test_phone_shape(piece: str, phone: bool) -> None:
    assert looks_like_phone(piece) is phone


# -- identifiers ---------------------------------------------------------------------------


def test_identifier_columns_are_email_columns_when_their_cells_are_emails() -> None:
    columns = ["Request ID", "Core Identifier", "User ID", "Identifier", "CONTACT_ID"]
    choice = choose_key_columns(
        columns,
        rows(
            ["r1", "r2", "r3", "r4", "r5"],
            ["a@example.com", "b@example.com", "c@example.com", "d@example.com", "user-5"],
            ["1001", "1002", "1003", "1004", "1005"],
            ["", "", "", "", ""],
            ["C-1", "C-2", "c@example.com", "C-4", "C-5"],
        ),
    )
    assert chosen(choice) == [("Core Identifier", EMAIL, ColumnRule.IDENTIFIER)]
    assert choice.key_columns[0].reason == (
        "an identifier column whose cells are emails (4 of the first 5 non-empty cells); "
        "only its cells holding an email are taken"
    )
    assert rejected(choice) == [
        (
            "User ID",
            ColumnRule.IDENTIFIER,
            "an identifier column, but its cells are not emails (0 of the first 5 non-empty "
            "cells are)",
        ),
        (
            "Identifier",
            ColumnRule.IDENTIFIER,
            "an identifier column, but it has no cells to judge by",
        ),
        (
            "CONTACT_ID",
            ColumnRule.IDENTIFIER,
            "an identifier column, but its cells are not emails (1 of the first 5 non-empty "
            "cells are)",
        ),
    ]


def test_an_identifier_that_is_not_an_email_is_no_key_and_no_problem() -> None:
    t = make_table(
        ["Core Identifier"],
        [["a@example.com"], ["b@example.com"], ["user-42"], ["c@example.com"], ["d@example.com"]],
    )
    plan = make_plan(t)
    assert [(ln.source_row, ln.key, ln.status.value, ln.code) for ln in plan.lines] == [
        (2, "a@example.com", "ready", None),
        (3, "b@example.com", "ready", None),
        (4, "", "invalid", "no_key"),
        (5, "c@example.com", "ready", None),
        (6, "d@example.com", "ready", None),
    ]


# -- the options ---------------------------------------------------------------------------


def test_named_columns_are_the_complete_list_of_their_type() -> None:
    columns = ["Email", "Work Email", "Contact", "Phone", "Other"]
    choice = choose_key_columns(columns, email_columns=["contact", "WORK email"])
    assert chosen(choice) == [
        ("Work Email", EMAIL, ColumnRule.NAMED),
        ("Contact", EMAIL, ColumnRule.NAMED),
        ("Phone", PHONE, ColumnRule.HEADER),  # telephones are still found by header
    ]
    assert choice.key_columns[0].reason == "named with --email-column"
    assert rejected(choice) == [
        (
            "Email",
            ColumnRule.NOT_NAMED,
            "not among the --email-column columns (the header names an email)",
        )
    ]
    both = choose_key_columns(columns, email_columns=["Other"], phone_columns=["Email"])
    assert chosen(both) == [("Other", EMAIL, ColumnRule.NAMED), ("Email", PHONE, ColumnRule.NAMED)]
    assert [r.name for r in both.rejected] == ["Work Email", "Phone"]


def test_a_named_column_is_used_whatever_its_header_says() -> None:
    choice = choose_key_columns(["Email opt-in", "Owner Email"], email_columns=["Owner Email"])
    assert chosen(choice) == [("Owner Email", EMAIL, ColumnRule.NAMED)]
    assert [r.name for r in choice.rejected] == ["Email opt-in"]


def test_ignored_columns_leave_the_automatic_choice() -> None:
    choice = choose_key_columns(
        ["Email", "WORK_EMAIL", "Phone"], ignore_columns=["work email", "Phone"]
    )
    assert chosen(choice) == [("Email", EMAIL, ColumnRule.HEADER)]
    assert rejected(choice) == [
        ("WORK_EMAIL", ColumnRule.IGNORED, "left out with --ignore-column"),
        ("Phone", ColumnRule.IGNORED, "left out with --ignore-column"),
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"email_columns": ["Mail addr"]},
            '--email-column "Mail addr" is not a column: found headers Name, Email, Phone',
        ),
        (
            {"phone_columns": ["Email", "Cell"]},
            '--phone-column "Cell" is not a column: found headers Name, Email, Phone',
        ),
        (
            {"ignore_columns": ["Mobile"]},
            '--ignore-column "Mobile" is not a column: found headers Name, Email, Phone',
        ),
        (
            {"email_columns": ["Email"], "phone_columns": ["email"]},
            '"Email" is named with both --email-column and --phone-column; '
            "a column holds one kind of key",
        ),
        (
            {"phone_columns": ["Phone"], "ignore_columns": ["phone"]},
            '"Phone" is named with both --phone-column and --ignore-column',
        ),
        (
            {"ignore_columns": ["Email", "Phone"]},
            "no email or telephone column: found headers Name, Email, Phone; name one with "
            '--email-column or --phone-column; not used: "Email" (left out with '
            '--ignore-column); "Phone" (left out with --ignore-column)',
        ),
    ],
)
def test_option_mistakes_are_refused(kwargs: dict[str, list[str]], message: str) -> None:
    with pytest.raises(InputError) as e:
        choose_key_columns(["Name", "Email", "Phone"], **kwargs)  # type: ignore[arg-type]
    assert e.value.message == message


def test_no_key_column_lists_the_headers_and_the_closest_match() -> None:
    with pytest.raises(InputError) as e:
        choose_key_columns(["Request ID", "Emial", "Notes"])
    assert e.value.message == (
        "no email or telephone column: found headers Request ID, Emial, Notes "
        '(closest match: "Emial"); name one with --email-column or --phone-column'
    )
    # a column that was judged is listed with its reason instead
    with pytest.raises(InputError) as e:
        choose_key_columns(["Request ID", "E mail adress", "Notes"])
    assert e.value.message == (
        "no email or telephone column: found headers Request ID, E mail adress, Notes; "
        "name one with --email-column or --phone-column; not used: "
        '"E mail adress" (the header words "adress" leave a doubt, and it has no cells to '
        "judge by)"
    )
    with pytest.raises(InputError) as e:
        choose_key_columns(["A", "B"])
    assert e.value.message == (
        "no email or telephone column: found headers A, B; "
        "name one with --email-column or --phone-column"
    )


# -- what is said about them ------------------------------------------------------------------


def test_the_lines_and_run_facts_say_what_was_chosen() -> None:
    t = make_table(
        ["CONTACT_ID", "PERSONAL_EMAIL", "Email opt-in", "MOBILE_PHONE"],
        [["C-1", "a@example.com", "TRUE", "+44 7700 900123"]],
    )
    plan = make_plan(t)
    assert column_lines(plan) == [
        "key column: PERSONAL_EMAIL (email): the header names an email",
        "key column: MOBILE_PHONE (telephone): the header names a telephone",
        "not used: CONTACT_ID: an identifier column, but its cells are not emails "
        "(0 of the first 1 non-empty cells are)",
        "not used: Email opt-in: describes an email (opt in), does not hold one",
    ]
    assert column_settings(plan) == (
        ("key_columns", "PERSONAL_EMAIL (email), MOBILE_PHONE (telephone)"),
        (
            "columns_not_used",
            "CONTACT_ID: an identifier column, but its cells are not emails (0 of the first 1 "
            "non-empty cells are); Email opt-in: describes an email (opt in), does not hold one",
        ),
    )
    alone = make_plan(make_table(["Email"], [["a@example.com"]]))
    assert column_settings(alone) == (("key_columns", "Email (email)"),)
