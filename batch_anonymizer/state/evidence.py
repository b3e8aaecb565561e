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
  (Nothing can show such a journal unchanged; see docs/security.md.)
- a lone ``.xlsx`` or ``.csv`` is refused unless accepted: the tool always
  writes a manifest beside its report, so a report without one was moved or
  copied without it, or its manifest was removed, and retry would send the
  keys it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..audit.manifest import manifest_path, read_manifest, verify
from ..audit.redactcommit import finish_redaction
from ..core.errors import EvidenceChangedError, ReportError, UsageError
from .redactjournal import redacted_run


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
    refuse_redacted(source, command)
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


def redacted_on(source: Path) -> str:
    """When the report or journal ``source`` was redacted (``redact``); "" if it never was."""
    if not source.exists():
        return ""
    finish_redaction(source)  # an interrupted redaction: its files, one set or the other
    if manifest_path(source).exists():
        try:
            done = read_manifest(source).get("redaction")
        except ReportError:
            done = None
        if isinstance(done, dict):
            return str(done.get("redacted_at", "")) or "an unknown date"
    journal = source.with_suffix(".journal")
    found = redacted_run(journal) if journal.exists() else None
    return str(found.get("redacted_at", "")) or "an unknown date" if found else ""


def refuse_redacted(source: Path, command: str) -> None:
    """Refuse (exit 2) to resume or retry from a redacted report: its keys are gone."""
    when = redacted_on(source)
    if when:
        raise UsageError(
            f"{command} refused: the keys of {source.name} were redacted on {when} "
            "(batch-anonymizer redact), so nothing can be sent from it. Run the input again "
            "(`batch-anonymizer run INPUT`): the ledger marks the keys already erased; nothing "
            "was sent"
        )
