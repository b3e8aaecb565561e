"""The exit code of each library exception: the command line's mapping, the only one."""

from __future__ import annotations

from pathlib import Path

import pytest

import batch_anonymizer as ba
from batch_anonymizer.cli.exits import exit_code_of

# Written out, not read from the module: 2 usage or input (nothing sent), 3 halted,
# 4 keys sent and the report not written.
CASES = [
    (ba.AnonymizerError("x"), 2),
    (ba.UsageError("x"), 2),
    (ba.MissingKeyError("x"), 2),
    (ba.RunLockedError("x", journal=Path("r.journal"), holder={}), 2),
    (ba.ReplyTemplateError("x"), 2),
    (ba.InputError("x"), 2),
    (ba.ResumeMismatchError("x"), 2),
    (ba.ReportError("x"), 2),
    (ba.LedgerError("x"), 2),
    (ba.JournalError("x"), 2),
    (ba.EvidenceChangedError("x"), 2),
    (ba.ReportNotWrittenError("x"), 4),
    (ba.HaltError("x"), 3),
]


@pytest.mark.parametrize(("error", "code"), CASES, ids=lambda c: type(c).__name__)
def test_each_exception_ends_the_command_with_its_code(
    error: ba.AnonymizerError, code: int
) -> None:
    assert exit_code_of(error) == code
    assert not hasattr(error, "exit_code")  # the library's exceptions carry none


def test_every_exception_class_has_a_case() -> None:
    assert {type(e).__name__ for e, _ in CASES} == {n for n in ba.__all__ if n.endswith("Error")}
