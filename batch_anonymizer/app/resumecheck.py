"""A resume repeats the earlier run's input options, or it is refused before anything is sent.

The earlier run's lines are matched to this run's by sheet, row and key
(``state.resume``). Read with other options (another ``--default-region``,
``--phone-form``, ``--where``, sheet or key columns), the same file gives other
keys, or none: an earlier success would be dropped from the new report, and a
key sent without an answer would be sent again as if for the first time.
"""

from __future__ import annotations

from ..core.errors import ResumeMismatchError
from ..state.previous import Previous
from .options import INPUT_SETTINGS, InputOptions, input_settings

#: How a resume that must repeat the earlier options ends its message.
REPEAT = (
    "repeat the earlier run's options (its Summary lists them under settings) with "
    "--resume; nothing was sent"
)


def check_same_input_options(previous: Previous, opts: InputOptions) -> None:
    """Refuse (``ResumeMismatchError``, exit 2) a resume whose input options differ from
    those recorded in the earlier run's facts.

    An earlier run whose facts do not record its input options (a ``.csv``
    alone, a library run, a run older than ``--phone-form``) is not compared
    here; its lines still are (``state.resume``).
    """
    facts = previous.facts
    if "setting.phone_form" not in facts:  # the options were not recorded
        return
    now = dict(input_settings(opts))
    differ = []
    for name, option in INPUT_SETTINGS.items():
        earlier, given = facts.get(f"setting.{name}", ""), now.get(name, "")
        if earlier != given:
            differ.append(f"{option}: earlier {_shown(earlier)}, now {_shown(given)}")
    if differ:
        raise ResumeMismatchError(
            f"this run's input options differ from those of the run it resumes "
            f"({previous.source.name}): {'; '.join(differ)}. Its lines would not match "
            f"this run's, so earlier outcomes would be lost or keys sent again: " + REPEAT
        )


def _shown(value: str) -> str:
    return repr(value) if value else "not given"


def carried_input_settings(previous: Previous | None) -> tuple[tuple[str, str], ...]:
    """The input options a retry's facts record: those of the run it retries (a retry
    reads no input), so that a later resume from the retry is compared with them."""
    if previous is None or "setting.phone_form" not in previous.facts:
        return ()
    recorded = ((name, previous.facts.get(f"setting.{name}", "")) for name in INPUT_SETTINGS)
    return tuple((name, value) for name, value in recorded if value)
