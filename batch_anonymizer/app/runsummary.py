"""The end of a run: its counts, its files, and the exit code they imply."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import ExitCode
from ..core.records import Mode, Status
from .handback import HandBack


@dataclass
class Summary:
    """What a run did: counts per status, where its files are, and how it ended."""

    counts: Counter[str]
    xlsx: Path
    csv: Path
    journal: Path | None
    manifest: Path | None = None
    handover: Path | None = None
    halted: str = ""  # why the run stopped early ("" when it did not, or on a signal)
    signal: int | None = None  # the signal that interrupted it
    mode: Mode = Mode.RUN
    ledger: Path | None = None  # the erasure ledger this run recorded into (or read)
    recorded: int = 0  # entries this run added to the ledger
    reappeared: int = 0  # keys an earlier run erased that CustomerGauge held again
    secret_created: Path | None = None  # the ledger secret this run created (none given)
    certificates: Path | None = None  # the certificates folder, when written
    certificates_problem: str = ""  # why the certificates could not be written
    # what needs a look in the reply drafts (a missing template: drafted in English)
    certificates_notes: tuple[str, ...] = ()
    receipts: Path | None = None  # the receipts file, when written
    handback: HandBack | None = None  # the Transcend hand-back, for a run from a pull file
    receipts_problem: str = ""  # why the receipts could not be written
    requests_said: str = ""  # the Summary sheet's sentence on the erasure requests
    phone_field: str = ""  # v6: the telephone field's name it sent; "" for v4.1
    v6_field_refused: bool = False  # v6 refused that name (a line is ``v6_field_refused``)
    test_run: str = ""  # where a test run sent ("" for a real run)
    stop_list_failed: int = 0  # verified erasures not on the vendor's stop list (--stop-list)

    @property
    def exit_code(self) -> int:
        """0 every key success or not_found, 1 failed, invalid, pending or held keys (held:
        someone must lift the hold or verify the identity) or a verified email not on the
        stop list, 3 halted, 128+N interrupted by signal N."""
        if self.signal is not None:
            return ExitCode.for_signal(self.signal)
        if self.halted:
            return ExitCode.HALTED
        if self.keys_left or self.stop_list_failed:  # a retry adds those: not "all done"
            return ExitCode.PROBLEMS
        return ExitCode.OK

    @property
    def needs_retry(self) -> bool:
        """Whether failed or pending keys, or stop-list additions, are left for ``retry``."""
        return any(self.counts[s] for s in Status if s.retried) or bool(self.stop_list_failed)

    def sentence(self) -> str:
        """One line a person understands, saying what the exit code means."""
        c = self.counts
        parts = [f"{c[s.value]} {s.value}" for s in Status if c[s.value]]
        done = ", ".join(parts) or "nothing to do"
        if self.signal is not None:
            return f"Interrupted: {done}. Unfinished keys are pending; resume or retry them."
        if self.halted:
            return f"Run HALTED ({self.halted}): {done}. Unfinished keys are pending."
        if self.mode.dry:
            return f"Dry run, nothing sent: {done}."
        if self.mode.looks_only:
            return f"Lookup only, nothing changed: {done}."
        if self.stop_list_failed:
            done += f" ({self.stop_list_failed} not yet added to the vendor's stop list)"
        if self.reappeared:
            done += (
                f" ({self.reappeared} re-appeared after an earlier erasure: "
                "check the import that brought them back)"
            )
        if self.exit_code == ExitCode.OK:
            return f"All done: {done}."
        if not self.keys_left:
            return f"Finished with problems: {done}. Retry adds them to the stop list."
        return (
            f"Finished with problems: {done}. See the rows marked failed, invalid, pending "
            "or held (Needs attention)."
        )

    @property
    def keys_left(self) -> bool:
        """Whether a key is failed, invalid, pending or held."""
        return any(self.counts[s] for s in Status if s.needs_attention)
