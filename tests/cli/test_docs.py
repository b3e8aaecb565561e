"""The README documents every command and option (kept in sync, as in sqlite-utils)."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest
from conftest import REPO

from batch_anonymizer.cli.parser import build_parser

README = (REPO / "README.md").read_text(encoding="utf-8")


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


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_command_and_option_is_in_the_readme(name: str) -> None:
    assert f"`{name}" in README or f"{name} " in README
    for action in subcommands()[name]._actions:
        for opt in action.option_strings:
            if opt.startswith("--") and opt != "--help":
                assert opt in README, f"{name} {opt} is not documented in README.md"


def test_python_dash_m_works() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "batch_anonymizer", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("batch-anonymizer ")


def test_every_reason_code_is_explained_in_the_readme() -> None:
    from batch_anonymizer.core.codes import MEANINGS, Reason

    assert set(MEANINGS) == set(Reason)
    for code in Reason:
        assert f"| `{code.value}` |" in README, f"{code.value} is not in the README's code table"


def test_every_request_value_and_code_is_explained_in_the_readme() -> None:
    from batch_anonymizer.core.requests import DeadlineCode, OnTime, RequestOutcome

    for value in (*RequestOutcome, *OnTime, *DeadlineCode):
        assert f"| `{value.value}` |" in README, f"{value.value} is not in a README table"


def test_the_exit_codes_in_help_are_the_readmes() -> None:
    from batch_anonymizer.cli.parser import EXIT_CODES
    from batch_anonymizer.core.errors import ExitCode

    for code in ExitCode:
        assert f"| {code.value} |" in README
        assert str(code.value) in EXIT_CODES
