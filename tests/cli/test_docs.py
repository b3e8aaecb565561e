"""The docs document every command, option and code (kept in sync, as in sqlite-utils).

README.md is the ten-minute read: what the tool does, the quickstart, one line per
command, where to read more. The reference lives in docs/: every option in
docs/commands.md, every reason code in docs/report.md, every request value in
docs/requests.md. These tests hold each promise to the page that keeps it.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from batch_anonymizer.cli.parser import build_parser

README = (REPO / "README.md").read_text(encoding="utf-8")
DOCS = sorted((REPO / "docs").glob("*.md"))
COMMANDS_PAGE = (REPO / "docs" / "commands.md").read_text(encoding="utf-8")
REPORT_PAGE = (REPO / "docs" / "report.md").read_text(encoding="utf-8")
REQUESTS_PAGE = (REPO / "docs" / "requests.md").read_text(encoding="utf-8")

#: a markdown link or image: [text](target); the text may wrap onto the next line
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """Every command, and every action of a command that has some (``ledger export``)."""

    def under(parser: argparse.ArgumentParser, prefix: str) -> dict[str, argparse.ArgumentParser]:
        found: dict[str, argparse.ArgumentParser] = {}
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found[prefix + name] = sub
                    found.update(under(sub, f"{prefix}{name} "))
        return found

    found = under(build_parser(), "")
    if not found:
        raise AssertionError("no subcommands")
    return found


def section(text: str, heading: str) -> str:
    """The lines under ``heading`` up to the next heading of the same or a higher level."""
    text = FENCE.sub("", text)  # a `# comment` in a code block is no heading
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n")
    after = re.search(rf"^#{{1,{len(level)}}} ", text[start + len(heading) + 2 :], re.M)
    end = start + len(heading) + 2 + after.start() if after else len(text)
    return text[start:end]


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ")]


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_command_is_in_the_readme_table_and_every_option_in_the_reference(
    name: str,
) -> None:
    readme_rows = table_rows(section(README, "## Commands"))
    assert any(row.startswith(f"| `{name}") for row in readme_rows), (
        f"{name} has no line in README's Commands table"
    )
    # the first cell of each row of docs/commands.md: what the row documents
    documented = [re.split(r"(?<!\\)\|", row)[1] for row in table_rows(COMMANDS_PAGE)]
    assert any(cell.startswith(f" `{name}") for cell in documented), (
        f"{name} has no line in docs/commands.md"
    )
    for action in subcommands()[name]._actions:
        for opt in action.option_strings:
            if opt.startswith("--") and opt != "--help":
                assert any(re.search(rf"{re.escape(opt)}(?![\w-])", cell) for cell in documented), (
                    f"{name} {opt} has no line of its own in docs/commands.md"
                )


def test_python_dash_m_works() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "batch_anonymizer", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("batch-anonymizer ")


def test_every_reason_code_is_explained_in_the_code_table() -> None:
    from batch_anonymizer.core.codes import MEANINGS, Reason

    assert set(MEANINGS) == set(Reason)
    table = section(REPORT_PAGE, "## Error codes")
    for code in Reason:
        assert f"\n| `{code.value}` |" in table, (
            f"{code.value} is not in docs/report.md's code table"
        )


def test_every_request_value_and_code_is_explained_in_the_requests_page() -> None:
    from batch_anonymizer.core.requests import DeadlineCode, OnTime, RequestOutcome

    for value in (*RequestOutcome, *OnTime, *DeadlineCode):
        assert f"| `{value.value}` |" in REQUESTS_PAGE, (
            f"{value.value} is not in a docs/requests.md table"
        )


def test_every_requests_column_and_decision_is_in_the_requests_sheet_table() -> None:
    from batch_anonymizer.audit.requests_sheet import REQUEST_COLUMNS
    from batch_anonymizer.core.decision import Decision

    table = section(REQUESTS_PAGE, "## Sheet `Requests`")
    rows = [row.split("|")[1] for row in table_rows(table)]
    for column in REQUEST_COLUMNS:
        assert any(f"`{column}`" in cell for cell in rows), (
            f"{column} has no row in docs/requests.md's Requests sheet table"
        )
    for words in Decision:
        assert f"`{words.value}`" in table, f"decision {words.value!r} is not in the table"


def test_the_exit_codes_in_help_are_the_readmes() -> None:
    from batch_anonymizer.cli.parser import EXIT_CODES
    from batch_anonymizer.core.errors import ExitCode

    for code in ExitCode:
        assert f"| {code.value} |" in README
        assert str(code.value) in EXIT_CODES


def test_the_readme_is_a_ten_minute_read_that_links_every_docs_page() -> None:
    assert len(README.splitlines()) <= 350
    quickstart = README.split("\n## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    assert "batch-anonymizer run sample_inputs/requests.xlsx --sandbox\n" in quickstart
    for page in DOCS:
        assert f"](docs/{page.name})" in README, f"README does not link docs/{page.name}"


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to -."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    for line in FENCE.sub("", page.read_text(encoding="utf-8")).splitlines():
        if match := re.match(r"^#{1,6} (.+)$", line):
            base = slug(match.group(1))
            name, n = base, 0
            while name in found:  # a repeated heading gets -1, -2...
                n += 1
                name = f"{base}-{n}"
            found.add(name)
    return found


@pytest.mark.parametrize("page", [REPO / "README.md", *DOCS], ids=lambda p: p.name)
def test_every_relative_link_points_to_a_file_and_anchor_that_exist(page: Path) -> None:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    checked = 0
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        assert dest.exists(), f"{page.name}: {target} points to no file"
        if anchor and dest.suffix == ".md":
            assert anchor in anchors(dest), f"{page.name}: {target} points to no heading"
        checked += 1
    if page.name == "README.md":
        assert checked >= len(DOCS)
