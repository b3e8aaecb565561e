"""Evidence before action: an earlier run's files are checked before resume or retry use them.

``--resume REPORT`` and ``retry REPORT`` decide from an earlier run's files
which keys to send, and ``retry`` sends keys read from them. So before any of
it is read, ``require_evidence`` compares those files with the manifest
beside them (``audit.manifest.verify``: the .xlsx and the .csv by SHA-256, the
journal by its hash chain, the manifest by its own hash). Any difference
refuses, unless the caller accepts it explicitly; the new run's facts then say
what differed (``RunFacts.accepted_changed_evidence``).

Without a manifest:

- a ``.journal`` is taken as it is: a run that died before writing its report
  leaves only its journal, and resuming from it is how a crash is recovered.
  (Nothing can show such a journal unchanged; see README, Security notes.)
- a lone ``.xlsx`` or ``.csv`` is refused unless accepted: the tool always
  writes a manifest beside its report, so a report without one was moved or
  copied without it, or its manifest was removed, and retry would send the
  keys it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..audit.manifest import manifest_path, verify
from ..core.errors import EvidenceChangedError


@dataclass(frozen=True, slots=True)
class Evidence:
    """What checking an earlier run's files found: ``problems`` is empty when nothing differs."""

    source: Path
    problems: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether anything differs from what the tool wrote (or cannot be shown not to)."""
        return bool(self.problems)

    def fact(self) -> str:
        """The run fact of a run that went on anyway: the file given, and what differed."""
        return f"{self.source.name}: " + "; ".join(self.problems) if self.problems else ""


def check_evidence(source: Path) -> Evidence:
    """Compare the earlier run's files beside ``source`` with their manifest."""
    if not source.exists():
        return Evidence(source)  # load_previous says so, in its own words
    mpath = manifest_path(source)
    if not mpath.exists():
        if source.suffix.lower() == ".journal":
            return Evidence(source)  # what a crash leaves: the journal alone
        return Evidence(
            source,
            (
                f"no manifest {mpath.name} beside it, so nothing shows the file is as the "
                "tool wrote it",
            ),
        )
    try:
        result = verify(source)
    except OSError as e:
        return Evidence(source, (f"cannot read {e.filename} to check it ({e.strerror})",))
    return Evidence(source, tuple(result.problems))


def require_evidence(source: Path, *, accept: bool, command: str) -> Evidence:
    """``check_evidence``, refusing a difference unless ``accept``.

    ``command`` names what was asked (``--resume`` or ``retry``) in the message.
    Raises ``EvidenceChangedError`` (exit 2) before anything is sent or written.
    """
    evidence = check_evidence(source)
    if evidence.changed and not accept:
        raise EvidenceChangedError(
            f"{command} refused: the earlier run's files are not as the tool wrote them "
            f"({'; '.join(evidence.problems)}); nothing was sent. See "
            f"`batch-anonymizer verify {source}`, and use the files the run wrote; to go on "
            "with these anyway, add --accept-changed-evidence (the new report records it)",
            problems=evidence.problems,
        )
    return evidence
