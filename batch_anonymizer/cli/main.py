"""Command line: parse options, call the library, turn errors into messages and exit codes.

No business logic lives here; the options are defined in ``parser`` and turned into
the library's settings in ``options``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import shlex
import sys
import traceback
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from ..app import (
    Prepared,
    RunControl,
    RunOptions,
    Summary,
    choose_api,
    execute_async,
    finish_redaction,
    gate_headline,
    journal_of,
    load_secret,
    lookup,
    plan_lines,
    prepare_retry,
    prepare_run,
    problem_summary,
    receipts_of,
    run_lock,
    stop_list_owed,
    verify,
    write_handover,
)
from ..app.certify import certify
from ..app.rebuild import rebuild
from ..core.codes import Reason
from ..core.errors import AnonymizerError, ExitCode, UsageError
from ..core.records import Mode
from ..core.text import printable
from .arguments import input_options, reply_settings, run_options, with_region
from .exits import exit_code_of
from .finish import print_summary
from .ledgercmds import cmd_history, cmd_ledger, cmd_screen
from .parser import build_parser
from .progress import Bar
from .redactcmd import cmd_redact
from .sandboxcmd import cmd_sandbox
from .signals import run_with_signals


def _say_api(prep: Prepared, opts: RunOptions) -> None:
    """Refuse an API choice that cannot work (exit 2), and say when a continued run's API
    was kept or changed; before anything is written or sent."""
    note = choose_api(prep, opts).note()
    if note:
        print(f"Note: {printable(note)}.", file=sys.stderr)


def _confirm(prep: Prepared, opts: RunOptions, assume_yes: bool, *, check: bool = False) -> None:
    """Before a real run: say what will happen and ask (or refuse without a terminal)."""
    for line in plan_lines(prep):
        print(line, file=sys.stderr)
    counts = prep.planned_counts()
    host = opts.endpoint.host if opts.endpoint else "built-in sandbox"
    plan = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    if check:
        # The vendor documents the GET as the way to check records before anonymizing;
        # a check alone still reads personal data from production, so it asks too.
        what = f"look up (GET) {len(prep.jobs)} key(s) at {host}"
        print(f"About to {what} ({plan}).", file=sys.stderr)
        print(
            "The lookup changes nothing (vendor article 'GET Anonymise Contact').", file=sys.stderr
        )
    else:
        what = f"send {len(prep.jobs)} request(s) to {host}"
        owed = stop_list_owed(prep.jobs)
        erase = len(prep.jobs) - owed
        print(f"About to anonymize {erase} key(s) at {host} ({plan}).", file=sys.stderr)
        if owed:
            print(
                f"{owed} email(s) an earlier run erased and verified go on the vendor's stop "
                "list only (no anonymize call)"
                + ("." if opts.settings.stop_list else ": not without --stop-list."),
                file=sys.stderr,
            )
        if opts.settings.verify:
            print(
                "Each key is looked up before and after (read-only); keys CustomerGauge "
                "does not hold are not sent.",
                file=sys.stderr,
            )
        print("Anonymization is irreversible.", file=sys.stderr)
        if opts.rehearsal:
            print(
                f"Test run: {host} is not CustomerGauge's production API, so the run is kept "
                "out of the real erasure ledger (a sandbox ledger beside the report; "
                "--ledger PATH names another).",
                file=sys.stderr,
            )
    if assume_yes or opts.endpoint is None or not prep.jobs:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            "refusing to send without confirmation: no terminal to ask at; "
            "add --yes to confirm (nothing was sent)"
        )
    answer = input(f"Type 'yes' to {what}: ")
    if answer.strip().lower() != "yes":
        raise UsageError("not confirmed; nothing was sent")


def _warn_accepted(prep: Prepared) -> None:
    if prep.accepted_changed_evidence:
        print(
            "warning: going on from changed evidence (--accept-changed-evidence): "
            f"{prep.accepted_changed_evidence}; the new report's run facts record it",
            file=sys.stderr,
        )


def _execute(prep: Prepared, opts: RunOptions, args: argparse.Namespace) -> Summary:
    """Execute with the progress bar and with Ctrl-C / SIGTERM wired to the run."""
    bar = Bar(enabled=not getattr(args, "no_progress", True))

    async def main(control: RunControl) -> Summary:
        return await execute_async(prep, opts, control=control, progress=bar, steps=bar)

    return run_with_signals(main)


def _command(args: argparse.Namespace) -> str:
    """This command as typed, for a second process the run's lock refuses."""
    return shlex.join(["batch-anonymizer", *getattr(args, "argv", [])])


def _source_lock(source: Path | None, args: argparse.Namespace) -> AbstractContextManager[None]:
    """The lock of the earlier run a retry or resume goes on from (none for a fresh run)."""
    if source is None:
        return contextlib.nullcontext()
    return run_lock(journal_of(source), _command(args))


def cmd_run(args: argparse.Namespace) -> int:
    with _source_lock(args.resume, args):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    mode = Mode.DRY_RUN if args.dry_run else Mode.RUN
    opts = run_options(args, mode)
    prep = prepare_run(
        args.input,
        input_options(args),
        resume=args.resume,
        allow_changed_input=args.allow_changed_input,
        accept_changed_evidence=args.accept_changed_evidence,
    )
    _warn_accepted(prep)
    _say_api(prep, opts)
    if mode is Mode.RUN:
        _confirm(prep, opts, args.yes)
    summary = _execute(prep, opts, args)
    print_summary(summary, args)
    return summary.exit_code


def cmd_retry(args: argparse.Namespace) -> int:
    with _source_lock(args.earlier, args):
        return _retry(args)


def _retry(args: argparse.Namespace) -> int:
    opts = run_options(args, Mode.RETRY)
    prep = prepare_retry(
        args.earlier,
        only_transient=args.only_transient,
        accept_changed_evidence=args.accept_changed_evidence,
    )
    _warn_accepted(prep)
    _say_api(prep, opts)
    _confirm(prep, opts, args.yes)
    summary = _execute(prep, opts, args)
    print_summary(summary, args)
    return summary.exit_code


def cmd_check(args: argparse.Namespace) -> int:
    opts = run_options(args, Mode.CHECK)
    prep = prepare_run(args.input, input_options(args))
    _say_api(prep, opts)
    _confirm(prep, opts, args.yes, check=True)
    summary = _execute(prep, opts, args)
    print_summary(summary, args)
    return summary.exit_code


def cmd_validate(args: argparse.Namespace) -> int:
    prep = prepare_run(args.input, input_options(args))
    assert prep.plan is not None
    problems = problem_summary(prep.plan)
    print(f"{args.input.name}: {printable(gate_headline(prep.plan))}")
    print(f"{len(prep.jobs)} keys ready to send")
    for line in plan_lines(prep):
        print(line)
    if problems:
        print("Problems: " + ", ".join(phrase for _, _, phrase in problems))
    national = sum(1 for ln in prep.plan.lines if ln.code is Reason.PHONE_NEEDS_REGION)
    if national:
        print(
            f"{national} telephone(s) in national form need their country (CC, for example "
            f"GB): {printable(with_region(args))}, then run with --default-region CC too"
        )
    summary = _execute(prep, run_options(args, Mode.VALIDATE), args)
    print_summary(summary, args)
    return summary.exit_code


def cmd_verify(args: argparse.Namespace) -> int:
    # an interrupted redaction is completed (or its leftovers removed) first: then the
    # files are the run's own set or the redacted set, never a mix
    recovered = finish_redaction(args.report)
    if recovered:
        print(f"an interrupted redaction of {args.report.name} was {recovered}")
    result = verify(args.report)
    print(result.summary)
    return ExitCode.OK if result.ok else ExitCode.PROBLEMS


def cmd_certificates(args: argparse.Namespace) -> int:
    replies = reply_settings(args)
    done = certify(args.report, Bar(enabled=not getattr(args, "no_progress", False)), replies)
    print(
        f"Certificates: {done.folder} ({done.count} PDF, one per request, each with its reply "
        "draft as .eml and .txt)"
    )
    for note in done.warnings:
        print(f"needs attention: {printable(note)}", file=sys.stderr)
    return ExitCode.OK


def cmd_receipts(args: argparse.Namespace) -> int:
    path, count = receipts_of(args.report)
    print(f"Receipts: {path} ({count} JSON receipt(s), one per request)")
    return ExitCode.OK


def cmd_report(args: argparse.Namespace) -> int:
    with run_lock(journal_of(args.source), _command(args)):  # not while its run goes on
        rebuilt = rebuild(args.source, args.report, paper=args.paper)
    if rebuilt.removed:
        left = ", ".join(str(p) for p in rebuilt.removed)
        print(f"Removed what a killed run left half-written (it may hold keys): {left}")
    print(f"Report:  {rebuilt.xlsx}\n         {rebuilt.csv}")
    if rebuilt.journal is not None:
        print(f"Journal: {rebuilt.journal} (a copy, so that the report's manifest finds it)")
    return ExitCode.OK


def cmd_handover(args: argparse.Namespace) -> int:
    secret = load_secret(args.hmac_secret_file)
    if args.lookup:
        # "-": the key from standard input (as `history -`), kept out of the process list
        key = sys.stdin.readline().strip() if args.lookup == "-" else args.lookup.strip()
        if not key:
            raise UsageError("give the email or telephone to look up (or - to read it from stdin)")
        found = lookup(args.report, key, secret)
        if not found:
            print(f"not found: no line of {args.report.name} is for that key")
            return ExitCode.PROBLEMS
        for row in found:
            print(
                f"found: row {row.get('source_row')}: {row.get('status')} {row.get('finished_at')}"
            )
        return ExitCode.OK
    out = args.out or args.report.with_name(args.report.stem + "-handover.xlsx")
    path = write_handover(args.report, out, secret, args.keep_column, paper=args.paper)
    print(f"Handover copy: {path}")
    return ExitCode.OK


COMMANDS = {
    "run": cmd_run,
    "retry": cmd_retry,
    "check": cmd_check,
    "validate": cmd_validate,
    "sandbox": cmd_sandbox,
    "verify": cmd_verify,
    "certificates": cmd_certificates,
    "receipts": cmd_receipts,
    "report": cmd_report,
    "handover": cmd_handover,
    "screen": cmd_screen,
    "history": cmd_history,
    "ledger": cmd_ledger,
    "redact": cmd_redact,
}


#: SIGPIPE's number on POSIX (the signal module has no SIGPIPE on Windows).
SIGPIPE = 13


def _silence_stdout() -> None:
    """Point stdout at the null device, so that the interpreter's last flush is quiet."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # not a real file (an embedding, a test's capture): nothing left to flush


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``batch-anonymizer`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # the retry command repeats it
    if args.verbose:
        logging.basicConfig(
            level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", force=True
        )
    try:
        code = COMMANDS[args.command](args)
        sys.stdout.flush()  # here, so that a closed pipe is caught below, not at exit
        return code
    except BrokenPipeError:
        # `... | head -1`: the reader has gone. Nothing more can be said on stdout; exit as
        # a process killed by SIGPIPE would (141), without a traceback at shutdown.
        _silence_stdout()
        return ExitCode.for_signal(SIGPIPE)  # 141
    except AnonymizerError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"error: {printable(exc.message)}", file=sys.stderr)
        return exit_code_of(exc)
    except KeyboardInterrupt:
        # Outside a run's event loop (loading, the confirmation, the last lines printed):
        # during a run, Ctrl-C stops it cleanly instead (signals.run_with_signals).
        print(
            "interrupted: nothing more is sent. A run that had started keeps every request "
            "it sent in its .journal (reports folder); `batch-anonymizer report JOURNAL` "
            "writes its report if it is missing",
            file=sys.stderr,
        )
        return ExitCode.for_signal(2)
