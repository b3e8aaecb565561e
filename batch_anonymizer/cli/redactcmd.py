"""The ``redact`` command: one report, or every due report of a folder (``--older-than``).

Thin, like ``main``: options in, ``app.redact`` called, one line per report out.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..app import Due, redact_report, reports_in
from ..core.errors import AnonymizerError, ExitCode, UsageError
from ..core.text import printable
from .grammar import add_secret_option
from .values import days


def add_redact_command(sub: argparse._SubParsersAction[Any]) -> None:
    """``redact REPORT`` and ``redact --older-than DAYS DIR``."""
    p = sub.add_parser(
        "redact", help="replace the keys in a finished report's files by keyed hashes"
    )
    p.add_argument("report", type=Path, help="a report (.xlsx, .csv, .journal), or a folder")
    p.add_argument(
        "--older-than",
        type=days,
        metavar="DAYS",
        help="with a folder: redact every finished report that ended DAYS days ago or more "
        "(default: each run's own --retain-keys)",
    )
    p.add_argument("--check", action="store_true", help="with a folder: list, change nothing")
    p.add_argument(
        "--force",
        action="store_true",
        help="redact even a run with pending keys (they can then only be sent from the input)",
    )
    p.add_argument(
        "--accept-changed-evidence",
        action="store_true",
        help="redact even a report that differs from its manifest (the new one records it)",
    )
    add_secret_option(p)


def cmd_redact(args: argparse.Namespace) -> int:
    if args.report.is_dir():
        return _folder(args)
    if args.older_than is not None or args.check:
        raise UsageError("--older-than and --check take a folder of reports, not one report")
    done = redact_report(
        args.report,
        args.hmac_secret_file,
        accept_changed_evidence=args.accept_changed_evidence,
        force=args.force,
    )
    name = printable(done.xlsx.name)
    if done.recovered:
        print(f"{name}: an interrupted redaction was found and {done.recovered}")
    if done.already:
        print(f"already redacted: {name} (run {done.run_id}, on {done.already})")
    else:
        print(
            f"redacted: {name} (run {done.run_id}): {done.keys} key(s), {done.cells} cell(s) "
            f"or record(s); check it with `batch-anonymizer verify {printable(str(done.xlsx))}`"
        )
    if done.keyed_certificates:
        print(
            f"note: {done.keyed_certificates} certificate(s) beside it, written before, name a "
            "request whose id is a key (in the text and the file name): they were left as they "
            "are; to have them redacted too, move the certificates folder out and run "
            "`batch-anonymizer certificates REPORT` again"
        )
    if done.reply_drafts:
        print(
            f"removed {done.reply_drafts} reply draft(s) (.eml) from the certificates folder: "
            "each held the person's address in full (To:); their .txt text, which names no "
            "address, stays"
        )
    return ExitCode.OK


def _folder(args: argparse.Namespace) -> int:
    found = reports_in(args.report, args.older_than)
    if not found:
        print(f"no report (no .manifest.json) in {printable(str(args.report))}")
        return ExitCode.OK
    code = ExitCode.OK
    for due in found:
        if due.action != "redact":
            print(f"{due.action}: {_named(due)} ({printable(due.why)})")
            code = ExitCode.PROBLEMS if due.action == "unreadable" else code
        elif args.check:
            print(f"would redact: {_named(due)} ({due.why})")
        else:
            try:
                done = redact_report(
                    due.xlsx,
                    args.hmac_secret_file,
                    accept_changed_evidence=args.accept_changed_evidence,
                    force=args.force,
                )
            except AnonymizerError as e:
                print(f"refused: {_named(due)}: {printable(e.message)}")
                code = ExitCode.PROBLEMS
                continue
            print(f"redacted: {_named(due)} ({due.why}; {done.keys} key(s))")
    return code


def _named(due: Due) -> str:
    return f"{printable(due.xlsx.name)} (run {due.run_id or '?'}, finished {due.finished or '?'})"
