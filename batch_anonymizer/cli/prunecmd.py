"""``ledger prune --older-than YEARS``, and the lines ``ledger stats`` and ``history`` print
about what was pruned (thin: ``state.prune`` does the work)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..app import Ledger, open_ledger, prune, pruned
from ..core.errors import ExitCode
from ..core.text import printable


def cmd_prune(path: Path, args: argparse.Namespace) -> int:
    ledger = open_ledger(path, write=True)  # for writing: its kind and integrity checked first
    try:
        done = prune(ledger, args.older_than)
    finally:
        ledger.close()
    total = sum(p.entries for p in done)
    print(
        f"Pruned {total} entr{'y' if total == 1 else 'ies'} of settled requests that finished "
        f"before {done[0].before if done else f'{args.older_than} year(s) ago'} from "
        f"{printable(str(path))}; the ledger records the count per month:"
        if total
        else f"Nothing to prune: no settled request in {printable(str(path))} finished more "
        f"than {args.older_than} year(s) ago"
    )
    for p in done:
        print(f"  {p.month}  {p.outcome:<10} {p.entries:>7}")
    return ExitCode.OK


def pruned_lines(ledger: Ledger) -> list[str]:
    """What ``ledger stats`` adds: the entries pruned, per month and outcome."""
    found = pruned(ledger)
    if not found:
        return []
    lines = ["  pruned (ledger prune; settled requests past the retention):"]
    lines += [
        f"  {p.month:<8}{p.outcome:>11}{p.entries:>9}  pruned {p.pruned_at} "
        f"(finished before {p.before})"
        for p in found
    ]
    return lines


def pruned_note(ledger: Ledger) -> str:
    """What ``history`` adds when it finds nothing and the ledger was pruned ("" if never)."""
    found = pruned(ledger)
    if not found:
        return ""
    newest = max(found, key=lambda p: p.pruned_at)
    total = sum(p.entries for p in found)
    return (
        f"note: {total} entries of settled requests were pruned from this ledger (the last "
        f"time on {newest.pruned_at}, those finished before {newest.before}); an erasure "
        "from then is no longer recorded here (`ledger stats` counts them per month)"
    )
