"""The hand-back to Transcend: which pulled identifiers are settled, and which are not.

For a run from a Transcend pull file (``input.transcend``), beside the report
``NAME.xlsx``:

- ``NAME.transcend-completed.csv``: header exactly ``nonce,identifier``, one
  line per pulled line whose erasure is settled in CustomerGauge: a verified
  ``success`` (the lookup afterwards found nothing), or ``not_found`` (nothing
  held). What ``transcend request cron mark-identifiers-completed`` reads. A
  machine's file: UTF-8 without byte-order mark, cells exactly as pulled (no
  trimming, no spreadsheet-safety apostrophe: an apostrophe would change the
  identifier the platform matches). Not meant to be opened in a spreadsheet
  program; a valid address may begin with ``=`` or ``+``.
- ``NAME.transcend-remaining.csv``: every other pulled line (failed, pending,
  held, invalid, skipped, and a success not verified by lookup, ``--no-verify``)
  with its status, code and message, for the platform's manual queue. A
  person's file: like the report's csv twins (byte-order mark, cells made
  safe for spreadsheet programs).

A duplicate line counts with the outcome of the line that sent its key (as the
Requests sheet counts it). Both files are written atomically, mode 0600, and
recorded in the run's manifest.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..audit.cellsafe import neutralise_row
from ..audit.manifest import COMPLETED_CSV, REMAINING_CSV
from ..core.codes import Reason
from ..core.files import atomic_write
from ..core.records import Outcome, ReportLine, Status
from ..core.requests import Request, RequestOutcome
from ..input.transcend import COMPLETED_HEADER, PullShape, pull_shape

REMAINING_HEADER = ("nonce", "identifier", "type", "requestId", "status", "code", "message")


@dataclass(frozen=True, slots=True)
class HandBack:
    """The two hand-back files, and how many pulled lines each holds."""

    completed: Path
    remaining: Path
    settled: int
    left: int


def settled(outcome: Outcome) -> bool:
    """Whether a line's erasure is settled in CustomerGauge: a success verified by lookup
    (records left afterwards: 0), or ``not_found`` for a key nothing was sent for."""
    if outcome.status is Status.SUCCESS:
        return outcome.records_after == 0
    return outcome.status is Status.NOT_FOUND and outcome.code is not Reason.GONE_UNVERIFIED


def handback_paths(xlsx: Path) -> tuple[Path, Path]:
    """``NAME.transcend-completed.csv`` and ``NAME.transcend-remaining.csv`` by ``NAME.xlsx``."""
    return xlsx.with_name(xlsx.stem + COMPLETED_CSV), xlsx.with_name(xlsx.stem + REMAINING_CSV)


def write_handback(
    xlsx: Path,
    columns: Sequence[str],
    lines: Sequence[ReportLine],
    requests: Sequence[Request],
) -> HandBack | None:
    """Write the two hand-back files beside ``xlsx`` when ``columns`` are a Transcend pull
    file's (else None). Raises ``ReportError`` when they cannot be written."""
    shape = pull_shape(columns)
    if shape is None:
        return None
    counted = {e.line.index: e.outcome for r in requests for e in r.entries}
    at = {name: i for i, name in enumerate(columns)}
    done: list[tuple[str, str]] = []
    rest: list[list[str]] = []
    for rl in lines:
        outcome = counted.get(rl.line.index, rl.outcome)
        cells = _cells(rl.line.cells, at, shape)
        if settled(outcome):
            done.append((cells[0], cells[1]))
        else:
            rest.append([*cells, *_why(outcome)])
    completed, remaining = handback_paths(xlsx)
    atomic_write(
        (completed, _writer([COMPLETED_HEADER, *done], safe=False)),
        (remaining, _writer([REMAINING_HEADER, *rest], safe=True)),
    )
    return HandBack(completed, remaining, len(done), len(rest))


def _cells(cells: tuple[str, ...], at: dict[str, int], shape: PullShape) -> list[str]:
    """nonce, identifier, type and requestId of a line, exactly as pulled."""
    names = (shape.nonce, shape.identifier, shape.type, shape.request_id)
    return [cells[at[n]] if at[n] < len(cells) else "" for n in names]


def _why(o: Outcome) -> tuple[str, str, str]:
    """status, code and message of a line left for the manual queue."""
    if o.status is Status.SUCCESS:  # not verified by a lookup (--no-verify, or it failed)
        code = o.code.value if o.code else RequestOutcome.ANONYMIZED_UNVERIFIED.value
        return o.status.value, code, o.message or "anonymized, not verified by lookup"
    return o.status.value, o.code.value if o.code else "", o.message


def _writer(rows: Sequence[Sequence[str]], *, safe: bool) -> Callable[[IO[bytes]], None]:
    def write(f: IO[bytes]) -> None:
        # a person's file opens in a spreadsheet program as UTF-8 (BOM); a machine's has none
        encoding = "utf-8-sig" if safe else "utf-8"
        t = io.TextIOWrapper(f, encoding=encoding, errors="surrogatepass", newline="")
        try:
            w = csv.writer(t, lineterminator="\r\n")
            w.writerows(neutralise_row(r) if safe else r for r in rows)
            t.flush()
        finally:
            t.detach()

    return write
