"""What a run prints when it ends: where its files went, how it went, the retry command."""

from __future__ import annotations

import argparse
import shlex
import sys

from ..app import Summary, requests_csv_path
from ..core.text import printable
from .retrycmd import retry_command


def print_summary(summary: Summary, args: argparse.Namespace) -> None:
    """What a run prints at its end: its files, then how it went, then what to do next."""
    print(f"Report:  {summary.xlsx}")
    print(f"         {summary.csv}")
    twin = requests_csv_path(summary.xlsx)
    if twin.exists():
        print(f"         {twin}")
    if summary.journal is not None:
        print(f"Journal: {summary.journal}")
    if summary.handover is not None:
        print(f"Handover copy: {summary.handover}")
    if summary.ledger is not None and summary.mode.sends:
        print(f"Ledger:  {summary.ledger} ({summary.recorded} entries recorded)")
    if summary.secret_created is not None:
        print(
            f"         its secret was created in {summary.secret_created} (mode 0600): keep "
            "it and back it up; the ledger can be read only with it"
        )
    if summary.certificates is not None:
        print(f"Certificates: {summary.certificates} (with a reply draft per request)")
    for note in summary.certificates_notes:
        print(f"needs attention: {printable(note)}", file=sys.stderr)
    if summary.certificates_problem:
        print(
            f"warning: no certificates: {printable(summary.certificates_problem)}", file=sys.stderr
        )
    if summary.test_run:
        print(
            f"TEST RUN: sent to {printable(summary.test_run)}, not to CustomerGauge's "
            "production API; not recorded in the real ledger"
        )
    if summary.handback is not None:
        hb = summary.handback
        print(
            f"Transcend hand-back: {hb.completed} ({hb.settled} settled: give it to "
            f"`transcend request cron mark-identifiers-completed --file`)\n"
            f"                     {hb.remaining} ({hb.left} left for the manual queue)"
        )
    if summary.receipts is not None:
        print(f"Receipts: {summary.receipts}")
    if summary.receipts_problem:
        print(f"warning: no receipts: {printable(summary.receipts_problem)}", file=sys.stderr)
    if summary.requests_said:
        print(summary.requests_said)
    print(summary.sentence())
    if summary.needs_retry and summary.mode.sends:
        command = retry_command(summary, args)
        stops = (
            " (and add the verified emails to the stop list)" if summary.stop_list_failed else ""
        )
        unasked = "--yes" in shlex.split(command)
        said = " (with --yes, as this run had it: it sends without asking)" if unasked else ""
        print(f"To send the failed and pending keys again{stops}{said}:")
        print(f"  {command}")
