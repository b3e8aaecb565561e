"""The commands of the erasure ledger: ``screen``, ``history``, ``ledger export|stats``.

Thin, like ``main``: options in, a library call, one line per fact out, an
exit code. Keys are printed masked only.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict

from ..app import (
    Ledger,
    check_export_out,
    check_writable,
    export_csv,
    export_file,
    history,
    open_ledger,
    read_ledger,
    write_screened,
)
from ..app.screen import screen
from ..core.errors import ExitCode, UsageError
from ..core.records import Status
from ..core.text import printable
from .arguments import input_options, warn_exposed, with_region
from .prunecmd import cmd_prune, pruned_lines, pruned_note


def cmd_screen(args: argparse.Namespace) -> int:
    if not args.check:
        check_writable(args.input, args.sheet)  # before anything is read
    opts = input_options(args)
    warn_exposed(args.hmac_secret_file)
    ledger = read_ledger(args.ledger, args.hmac_secret_file)
    try:
        result = screen(args.input, ledger, opts, command=with_region(args))
    finally:
        ledger.close()
    rows = result.rows
    table = result.plan.table
    total = len(table.rows)
    if table.sheets:
        print("Sheets screened: " + ", ".join(f'"{printable(s)}"' for s in table.sheets))
    if table.skipped_sheets:
        print(
            "Sheets not screened: "
            + ", ".join(f'"{printable(s)}" ({why})' for s, why in table.skipped_sheets)
        )
    print(
        f"{printable(args.input.name)}: {total} row(s); {len(rows)} hold a key that the ledger "
        f"{printable(str(result.ledger))} holds as erased"
    )
    if args.check:
        for r in result.removed:
            print(
                f"  row {r.source_row}: {r.key_type} {printable(r.key_hint)} erased "
                f"{r.erased_at} (run {r.run_id}, {r.outcome})"
            )
        return ExitCode.PROBLEMS if rows else ExitCode.OK
    out, removed = write_screened(result, opts)
    print(f"Screened copy: {printable(str(out))} ({total - len(rows)} row(s) kept)")
    print(f"Removed rows:  {printable(str(removed))} ({len(rows)} row(s) left out)")
    return ExitCode.OK


def cmd_history(args: argparse.Namespace) -> int:
    key = sys.stdin.readline().strip() if args.key == "-" else args.key.strip()
    if not key:
        raise UsageError("give the email or telephone to look up (or - to read it from stdin)")
    warn_exposed(args.hmac_secret_file)
    ledger = read_ledger(args.ledger, args.hmac_secret_file)
    try:
        entries = history(ledger, key, default_region=args.default_region)
        note = "" if entries else pruned_note(ledger)
    finally:
        ledger.close()
    if not entries:
        print(f"not found: the ledger {printable(str(ledger.path))} holds no entry for that key")
        if note:
            print(note)
        return ExitCode.PROBLEMS
    print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}, newest first:")
    for e in entries:
        before = "" if e.records_before is None else e.records_before
        after = "" if e.records_after is None else e.records_after
        extra = f" {e.code}" if e.code else ""
        if e.request_withheld:
            extra += ", request id withheld: it held a key"
        elif e.request_id:
            extra += f", request {printable(e.request_id)}"
        extra += f", stop list {e.stop_list}" if e.stop_list else ""
        print(
            f"  {e.finished_at}  {e.outcome}{extra}  {printable(e.key_hint)}  run {e.run_id}  "
            f"records {before}->{after}  input {e.input_sha256[:12]}"
        )
    return ExitCode.OK


def cmd_ledger(args: argparse.Namespace) -> int:
    ledger = open_ledger(args.ledger)
    try:
        if args.ledger_command == "export":
            return _export(ledger, args)
        if args.ledger_command == "prune":
            return cmd_prune(ledger.path, args)
        return _stats(ledger)
    finally:
        ledger.close()


def _export(ledger: Ledger, args: argparse.Namespace) -> int:
    if args.out is None:
        export_csv(ledger, sys.stdout)
        return ExitCode.OK
    check_export_out(args.out, ledger.path, args.force)  # before anything is read
    count = export_file(ledger, args.out)
    print(f"Exported {count} entries to {printable(str(args.out))}", file=sys.stderr)
    return ExitCode.OK


def _stats(ledger: Ledger) -> int:
    kind = "sandbox (fictional people)" if ledger.sandbox else "real erasures"
    print(f"Ledger: {printable(str(ledger.path))}")
    print(
        f"  {kind}; schema {ledger.schema_version()}; created {ledger.meta('created_at')}; "
        f"secret fingerprint {ledger.meta('secret_fingerprint') or '(none yet)'}"
    )
    table: dict[str, dict[str, int]] = defaultdict(dict)
    outcomes: list[str] = [s.value for s in Status if s.settled]  # success, not_found, failed
    for month, outcome, n in ledger.stats():
        table[month][outcome] = n
        if outcome not in outcomes:
            outcomes.append(outcome)
    print("  " + "month".ljust(8) + "".join(o.rjust(11) for o in outcomes) + "total".rjust(9))
    totals: dict[str, int] = defaultdict(int)
    for month, counts in table.items():
        for o, n in counts.items():
            totals[o] += n
        cells = "".join(str(counts.get(o, 0)).rjust(11) for o in outcomes)
        print(f"  {month:<8}{cells}{sum(counts.values()):>9}")
    cells = "".join(str(totals.get(o, 0)).rjust(11) for o in outcomes)
    print(f"  {'all':<8}{cells}{sum(totals.values()):>9}")
    for line in pruned_lines(ledger):
        print(line)
    return ExitCode.OK
