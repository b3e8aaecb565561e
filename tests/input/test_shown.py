"""File text in messages: never a raw terminal escape; look-alike emails sent with a warning.

Before: a header holding ESC sequences was printed raw in the "no email or
telephone column" error and in validate's column lines (a header can clear
the screen or retitle the window), and pаypal@example.com (a Cyrillic а) was
sent without a word.
"""

from __future__ import annotations

from pathlib import Path

from conftest import make_table
from hypothesis import given
from hypothesis import strategies as st

from batch_anonymizer.core.text import printable as shown
from batch_anonymizer.input.plan import make_plan, problem_summary
from batch_anonymizer.input.scripts import mixed_scripts

ESC = "\x1b"


def test_shown_escapes_controls_and_reordering_and_keeps_the_rest() -> None:
    assert shown("Email\x1b[2J") == "Email\\x1b[2J"
    assert shown("a\x9bb\x07c\x00") == "a\\x9bb\\x07c\\x00"  # C1 CSI, BEL, NUL
    assert shown("x\u202ey\u2028z\u2066") == "x\\u202ey\\u2028z\\u2066"  # bidi, line separator
    assert shown("Zoë Ärger, Иван, 张伟, 😀, tab\tand\nline") == (
        "Zoë Ärger, Иван, 张伟, 😀, tab\\x09and\\x0aline"
    )
    assert shown("back\\slash") == "back\\slash"


@given(st.text())
def test_shown_leaves_nothing_a_terminal_acts_on_and_is_idempotent(text: str) -> None:
    out = shown(text)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in out)
    assert shown(out) == out


def test_validate_prints_an_escaped_header_never_a_raw_one(cli, tmp_path: Path) -> None:
    p = tmp_path / "esc.csv"
    p.write_text("Email\x1b[2J,Phone\nann@example.com,\n", encoding="utf-8")
    proc = cli("validate", p)
    assert proc.code == 0, proc.err
    assert ESC not in proc.out + proc.err
    assert "key column: Email\\x1b[2J (email): " in proc.out


def test_an_error_naming_headers_escapes_them(cli, tmp_path: Path) -> None:
    p = tmp_path / "esc.csv"
    p.write_text("Name\x1b]0;owned\x07,Note\nx,y\n", encoding="utf-8")
    proc = cli("validate", p)
    assert proc.code == 2
    assert proc.err == (
        "error: no email or telephone column: found headers Name\\x1b]0;owned\\x07, Note; "
        "name one with --email-column or --phone-column\n"
    )


def test_line_messages_built_from_cells_are_escaped() -> None:
    plan = make_plan(make_table(["Email", "Phone"], [["a\x1b[31m@example.com", "07700\x1b900123"]]))
    messages = [ln.message for ln in plan.lines]
    assert all(ESC not in m for m in messages), messages
    assert messages[0].startswith("not a valid email address: ")


def test_a_look_alike_email_is_sent_with_a_warning_and_counted() -> None:
    rows = [["pаypal@example.com"], ["pаypal@example.com"], ["ann@exаmple.com"], ["b@example.com"]]
    plan = make_plan(make_table(["Email"], rows))
    got = [(ln.status.value, ln.code, ln.message) for ln in plan.lines]
    warning = (
        "warning: mixes Latin and Cyrillic letters (а U+0430 is Cyrillic), so it may imitate "
        "another address; sent as written"
    )
    assert got == [
        ("ready", None, warning),
        ("duplicate", "duplicate", "duplicate of row 2"),
        ("ready", None, warning),
        ("ready", None, ""),
    ]
    assert problem_summary(plan) == [
        ("duplicate", 1, "1 duplicate"),
        ("mixed_script", 2, "2 emails mixing look-alike scripts (sent; check them)"),
    ]


def test_only_parts_mixing_look_alike_scripts_are_flagged() -> None:
    assert mixed_scripts("иван@example.com") is None  # Cyrillic local part, Latin domain
    assert mixed_scripts("zoë@example.com") is None  # Latin with an accent
    assert mixed_scripts("张伟zhang@example.com") is None  # Han and Latin do not look alike
    assert mixed_scripts("ann@exаmple.com") == ("Latin", "Cyrillic", "а")
    assert mixed_scripts("οmega@example.com") == ("Greek", "Latin", "m")  # Greek omicron
    assert mixed_scripts("ａnn@example.com") is None  # fullwidth Latin is still Latin


def test_validate_counts_look_alike_emails(cli, tmp_path: Path) -> None:
    p = tmp_path / "look.csv"
    p.write_text("Email\npаypal@example.com\nann@example.com\n", encoding="utf-8")
    proc = cli("validate", p)
    assert proc.code == 0, proc.err
    assert "Problems: 1 email mixing look-alike scripts (sent; check it)\n" in proc.out
