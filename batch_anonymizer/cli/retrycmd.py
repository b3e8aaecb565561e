"""The ``retry`` command a run prints when keys are left to send: one that works as printed.

It repeats, as the user typed them, every option of the run that ``retry``
takes and needs: where to send and with which credentials (file paths and
names only: no option takes a secret), the API and its telephone field, how to
send, verification, the ledger, certificates and the handover copy, and the
built-in sandbox's faults and records. The retry's report goes beside the
earlier one. After a ``v6_field_refused`` halt the telephone field is the other
name, as the halt's message says.

``--yes`` is repeated when the run had it: a run told not to ask is one no one
watches (a scheduled job), and a retry that waits for an answer there never
sends; it sends only the keys of this report that the run was told to send, and
the line above the command says it will not ask. ``--handover PATH`` gets a new
name beside it (``PATH-retry.xlsx``, then ``-retry-2``...): the retry's copy
never writes over the run's.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Sequence
from pathlib import Path

from ..app import PHONE_FIELDS, Summary

#: Options of ``run`` that ``retry`` repeats, with whether each takes a value.
CARRIED: dict[str, bool] = {
    "--sandbox": False,
    "--region": True,
    "--base-url": True,
    "--api": True,
    "--v6-phone-field": True,
    "--format": True,
    "--api-key-file": True,
    "--oauth-client-id": True,
    "--oauth-secret-file": True,
    "--oauth-token-url": True,
    "--sandbox-faults": True,
    "--sandbox-records": True,
    "--concurrency": True,
    "--rate": True,
    "--max-retries": True,
    "--timeout": True,
    "--max-consecutive-failures": True,
    "--max-failure-rate": True,
    "--max-wait": True,
    "--no-verify": False,
    "--ledger": True,
    "--no-ledger": False,
    "--hmac-secret-file": True,
    "--handover-secret-file": True,
    "--stop-list": False,
    "--certificates": False,
    "--receipts": False,
    "--reply-templates": True,
    "--signature-file": True,
    "--font": True,
    "--authority": True,
    "--name-column": True,
    "--language-column": True,
    "--handover": True,
    "--paper": True,  # the retry's report prints on the same paper
    "--yes": False,
}
#: Options of ``retry`` it does not repeat, and why (a test checks every option is one or
#: the other, so that a new option is not forgotten).
NOT_CARRIED = {
    "--help": "not a choice of the run",
    "--only-transient": "retry's own choice",
    "--accept-changed-evidence": "a choice made for the earlier run's files, once",
    "--report": "the earlier report's path: the retry writes a new one (--reports-dir)",
    "--reports-dir": "set to the earlier report's folder",
    "--no-progress": "how the terminal looks",
    "--approved-by": "an approval is given for a run, by a person: it is given again, not copied",
}


def retry_command(summary: Summary, args: argparse.Namespace) -> str:
    """The ``batch-anonymizer retry`` command line for ``summary``'s report, quoted."""
    parts = ["batch-anonymizer", "retry", str(summary.xlsx)]
    for option, value in _given(getattr(args, "argv", None) or ()):
        if option in ("--sandbox-faults", "--sandbox-records") and not args.sandbox:
            continue  # refused without --sandbox anyway
        if option == "--v6-phone-field" and summary.v6_field_refused:
            continue  # the corrected name is added below
        if option == "--handover" and value is not None:
            value = str(next_handover(Path(value)))
        parts += [option] if value is None else [option, value]
    if summary.v6_field_refused and summary.phone_field in PHONE_FIELDS:
        other = [f for f in PHONE_FIELDS if f != summary.phone_field]
        parts += ["--v6-phone-field", other[0]]
    if summary.xlsx.parent != Path("reports"):
        parts += ["--reports-dir", str(summary.xlsx.parent)]
    return " ".join(shlex.quote(p) for p in parts)


def next_handover(path: Path) -> Path:
    """A handover path beside ``path`` that no file holds yet: ``h-retry.xlsx``, then
    ``h-retry-2.xlsx``... (a retry of a retry counts on from its own name)."""
    stem = re.sub(r"-retry(-\d+)?$", "", path.stem)
    suffix = path.suffix or ".xlsx"
    n = 1
    while True:
        candidate = path.with_name(f"{stem}-retry{'' if n == 1 else f'-{n}'}{suffix}")
        if not candidate.exists() and not candidate.with_suffix(".csv").exists():
            return candidate
        n += 1


def _given(argv: Sequence[str]) -> list[tuple[str, str | None]]:
    """The carried options in ``argv``, in order, each with its value (None for a flag)."""
    found: list[tuple[str, str | None]] = []
    i = 0
    while i < len(argv):
        item = argv[i]
        name, eq, inline = item.partition("=")
        if item == "--":
            break
        if item == "-y":  # the one short option retry repeats
            name = "--yes"
        if name in CARRIED:
            if not CARRIED[name]:
                found.append((name, None))
            elif eq:
                found.append((name, inline))
            elif i + 1 < len(argv):
                found.append((name, argv[i + 1]))
                i += 1
        i += 1
    return found
