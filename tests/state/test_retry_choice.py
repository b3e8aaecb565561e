"""What ``retry --only-transient`` sends: the codes docs/report.md names, and the pending lines."""

from __future__ import annotations

from pathlib import Path

from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.records import KeyType, Line, Outcome, Status
from batch_anonymizer.state.previous import Previous, PreviousEntry
from batch_anonymizer.state.resume import retry_jobs

ENDED = [
    (Status.SUCCESS, None),
    (Status.NOT_FOUND, Reason.NOT_FOUND),
    (Status.FAILED, Reason.RETRIES_EXHAUSTED),  # transient every time
    (Status.FAILED, Reason.UNVERIFIED),  # a success whose lookup afterwards failed
    (Status.FAILED, Reason.VENDOR_ERROR),  # the vendor refused: sending again changes nothing
    (Status.FAILED, Reason.STILL_PRESENT),
    (Status.FAILED, Reason.OUTCOME_UNKNOWN),
    (Status.PENDING, Reason.HALTED_BREAKER),
]


def previous() -> Previous:
    entries = []
    for i, (status, code) in enumerate(ENDED):
        key = f"k{i}@example.com"
        line = Line(i, None, i + 2, KeyType.EMAIL, key, key, status, code, "", (key,))
        entries.append(PreviousEntry(line, Outcome(status, code, "", attempts=1)))
    return Previous(Path("x.xlsx"), "run-1", "", "in.csv", ("Email",), tuple(entries))


def sent(only_transient: bool) -> list[str]:
    return [j.line.key for j in retry_jobs(previous(), only_transient=only_transient).jobs]


def test_only_transient_sends_retries_exhausted_unverified_and_pending() -> None:
    assert sent(True) == ["k2@example.com", "k3@example.com", "k7@example.com"]


def test_a_plain_retry_sends_every_failed_and_pending_line() -> None:
    assert sent(False) == [f"k{i}@example.com" for i in range(2, 8)]
