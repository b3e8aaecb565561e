"""How a fatal error ends the command: the exit code of each library exception.

The library's exceptions carry no exit code (a script that calls the library
decides for itself); this mapping is the command line's, and the only one.
"""

from __future__ import annotations

from ..core.errors import AnonymizerError, ExitCode, HaltError, ReportNotWrittenError

#: The exceptions that do not end the command with 2 (usage or input: nothing sent).
_NOT_USAGE: tuple[tuple[type[AnonymizerError], ExitCode], ...] = (
    (ReportNotWrittenError, ExitCode.NOT_WRITTEN),  # keys were sent: `report JOURNAL`
    (HaltError, ExitCode.HALTED),  # the credentials were refused: the run halted
)


def exit_code_of(exc: AnonymizerError) -> int:
    """The exit code the command ends with when ``exc`` reaches it."""
    for cls, code in _NOT_USAGE:
        if isinstance(exc, cls):
            return code
    return ExitCode.USAGE
