"""The exception tree and the exit codes. Only fatal problems raise; per-row problems are records.

    AnonymizerError                 root; the command line maps each to its exit code
    ├── UsageError                  bad options or configuration (exit 2)
    │   ├── MissingKeyError         no API key for a real endpoint (exit 2)
    │   ├── RunLockedError          another process works on the same run (exit 2)
    │   └── ReplyTemplateError      a reply template cannot be used (exit 2)
    ├── InputError                  input file unusable (exit 2), nothing sent
    │   └── ResumeMismatchError     --resume report does not fit the input (exit 2)
    ├── ReportError                 a report or journal cannot be read or written (exit 2)
    │   ├── LedgerError             the erasure ledger cannot be opened, read or written
    │   ├── JournalError            the journal cannot be written (a full disk): the run stops
    │   ├── ReportNotWrittenError   keys were sent, then the report could not be written (exit 4)
    │   └── EvidenceChangedError    an earlier run's files differ from their manifest (exit 2)
    └── HaltError                   the OAuth2 token endpoint refused or failed (exit 3)

Every message says what to do next. None ever contains a secret. The exit codes
in brackets are the command line's (``cli.exits``): an exception carries none.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """How a command ends. The values are a contract with scripts (README, --help)."""

    OK = 0  # every key success (duplicates allowed)
    PROBLEMS = 1  # some keys failed or invalid
    USAGE = 2  # usage or input error: nothing sent
    HALTED = 3  # the run halted before the end; the rest is pending
    NOT_WRITTEN = 4  # keys were sent, then the report could not be written: `report JOURNAL`

    @staticmethod
    def for_signal(signum: int) -> int:
        """128 + the signal number, as shells report a process ended by a signal."""
        return 128 + signum


class AnonymizerError(Exception):
    """Root of all fatal errors of batch_anonymizer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(AnonymizerError):
    """Options or configuration that cannot work."""


class MissingKeyError(UsageError):
    """No API key or OAuth2 secret was found for a real endpoint."""


class RunLockedError(UsageError):
    """Another process holds the run's lock: nothing was done (exit 2).

    ``holder`` holds what the lock file says of that process (``pid``,
    ``host``, ``command``, ``started``), empty when it could not be read.
    """

    def __init__(self, message: str, *, journal: Path, holder: dict[str, str]) -> None:
        super().__init__(message)
        self.journal = journal
        self.holder = holder


class ReplyTemplateError(UsageError):
    """A reply template that cannot be used: it does not parse, names an unknown field, or
    fails when rendered. Exit 2; the message names the file and what to fix."""


class InputError(AnonymizerError):
    """The input file cannot be used; nothing has been sent."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class ResumeMismatchError(InputError):
    """The report given to --resume was made from a different input."""


class ReportError(AnonymizerError):
    """A report, journal or manifest cannot be read or written."""


class JournalError(ReportError):
    """The journal cannot be written (a full disk, a lost volume): nothing more may be sent."""


class LedgerError(ReportError):
    """The erasure ledger cannot be opened, read or written (locked, full disk, other secret).

    Before sending, the run is refused (exit 2); during a run, the run stops
    (``halted_ledger``, exit 3) and the journal keeps every outcome.
    """


class ReportNotWrittenError(ReportError):
    """Keys were sent, then the report could not be written; the journal holds the truth."""


class EvidenceChangedError(ReportError):
    """The files of an earlier run (given to resume or retry) differ from their manifest.

    ``problems`` lists each difference found, as ``verify`` words it.
    """

    def __init__(self, message: str, *, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class HaltError(AnonymizerError):
    """The OAuth2 token endpoint refused the credentials or failed: the run halts.

    Raised inside a run and turned into its halt (``halted_auth``): ``execute``
    returns a ``Summary`` whose keys are pending, with exit code 3. A circuit
    breaker halts a run the same way, without an exception.
    """
