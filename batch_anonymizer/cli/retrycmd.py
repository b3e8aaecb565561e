"""The ``retry`` command a run prints when keys are left to send: one that works as printed.

It repeats, as the user typed them, every option of the run that ``retry``
takes and needs: where to send and with which credentials (file paths and
names only: no option takes a secret), the API and its telephone field, how to
send, verification, the ledger, certificates and the handover copy, and the
built-in sandbox's faults and records. The retry's report goes beside the
earlier one. After a ``v6_field_refused`` halt the telephone field is the other
name, as the halt's message says.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Sequence
from pathlib import Path

from ..api.v6 import PHONE_FIELDS
from ..app.summary import Summary

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
    "--handover": True,
}
#: Options of ``retry`` it does not repeat, and why (a test checks every option is one or
#: the other, so that a new option is not forgotten).
NOT_CARRIED = {
    "--help": "not a choice of the run",
    "--only-transient": "retry's own choice",
    "--accept-changed-evidence": "a choice made for the earlier run's files, once",
    "--report": "the earlier report's path: the retry writes a new one (--reports-dir)",
    "--reports-dir": "set to the earlier report's folder",
    "--yes": "the retry asks again before it sends",
    "--no-progress": "how the terminal looks",
}


def retry_command(summary: Summary, args: argparse.Namespace) -> str:
    """The ``batch-anonymizer retry`` command line for ``summary``'s report, quoted."""
    parts = ["batch-anonymizer", "retry", str(summary.xlsx)]
    for option, value in _given(getattr(args, "argv", None) or ()):
        if option in ("--sandbox-faults", "--sandbox-records") and not args.sandbox:
            continue  # refused without --sandbox anyway
        if option == "--v6-phone-field" and summary.v6_field_refused:
            continue  # the corrected name is added below
        parts += [option] if value is None else [option, value]
    if summary.v6_field_refused and summary.phone_field in PHONE_FIELDS:
        other = [f for f in PHONE_FIELDS if f != summary.phone_field]
        parts += ["--v6-phone-field", other[0]]
    if summary.xlsx.parent != Path("reports"):
        parts += ["--reports-dir", str(summary.xlsx.parent)]
    return " ".join(shlex.quote(p) for p in parts)


def _given(argv: Sequence[str]) -> list[tuple[str, str | None]]:
    """The carried options in ``argv``, in order, each with its value (None for a flag)."""
    found: list[tuple[str, str | None]] = []
    i = 0
    while i < len(argv):
        item = argv[i]
        name, eq, inline = item.partition("=")
        if item == "--":
            break
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
