"""Command line: parse options, call the library, turn errors into messages and exit codes.

No business logic lives here.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .app import InputOptions, Prepared, RunOptions, Summary, execute, prepare_retry, prepare_run
from .errors import AnonymizerError, MissingKeyError, UsageError
from .runner import Settings
from .sender import REGIONS, ApiKeyAuth, Auth, Endpoint, OAuth2Auth

API_KEY_ENV = "CUSTOMERGAUGE_API_KEY"
CLIENT_SECRET_ENV = "CUSTOMERGAUGE_CLIENT_SECRET"  # noqa: S105 - a variable name, not a secret

EXIT_CODES = """exit codes:
  0    every key success (duplicates allowed)
  1    some keys failed or invalid
  2    usage or input error, nothing sent
  3    run halted before the end (credentials refused, too many failures, long Retry-After)
  130  interrupted (Ctrl-C); 143 terminated (SIGTERM)"""


def _percent(text: str) -> float:
    value = float(text.rstrip("%"))
    if text.endswith("%") or value > 1:
        value /= 100
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("give a percentage between 0% and 100%")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _where(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError("use COLUMN=VALUE, for example 'Request type=Erasure'")
    column, value = text.split("=", 1)
    return column.strip(), value.strip()


def _concurrency(text: str) -> int | None:
    if text == "auto":
        return None
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more, or auto")
    return value


def _add_input_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("input")
    g.add_argument("--sheet", help="sheet name or 0-based index (default: the first sheet)")
    g.add_argument("--all-sheets", action="store_true", help="process every sheet")
    g.add_argument("--header-row", type=int, metavar="N", help="the header is on row N")
    g.add_argument("--encoding", help="text file encoding (default: detected)")
    g.add_argument("--delimiter", help="text file delimiter (default: sniffed)")
    g.add_argument("--email-column", metavar="NAME", help="column holding emails")
    g.add_argument("--phone-column", metavar="NAME", help="column holding telephone numbers")
    g.add_argument(
        "--default-region", metavar="CC", help="region for numbers without +, e.g. GB or US"
    )
    g.add_argument(
        "--where",
        type=_where,
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help="process only matching rows (repeatable); others are reported as skipped",
    )


def _add_endpoint_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("endpoint and credentials")
    where = g.add_mutually_exclusive_group()
    where.add_argument("--sandbox", action="store_true", help="use the built-in simulator")
    where.add_argument("--region", choices=REGIONS, help="CustomerGauge region (eu, us, au)")
    where.add_argument("--base-url", metavar="URL", help="another host, e.g. a standalone sandbox")
    g.add_argument("--format", choices=("json", "xml"), default="json", help="answer format")
    g.add_argument(
        "--api-key-file",
        type=Path,
        metavar="PATH",
        help=f"file holding the API key (default: the {API_KEY_ENV} environment variable)",
    )
    g.add_argument("--oauth-client-id", metavar="ID", help="use OAuth2 client credentials")
    g.add_argument(
        "--oauth-secret-file",
        type=Path,
        metavar="PATH",
        help=f"file holding the OAuth2 client secret (default: {CLIENT_SECRET_ENV})",
    )
    g.add_argument("--oauth-token-url", metavar="URL", help="override the token endpoint")
    g.add_argument("--sandbox-faults", metavar="SPEC", help="make the sandbox misbehave (JSON)")


def _add_sending_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("sending")
    g.add_argument(
        "--concurrency",
        type=_concurrency,
        default=None,
        metavar="N|auto",
        help="parallel requests (default: auto, from the rate)",
    )
    g.add_argument(
        "--rate",
        type=_positive_float,
        default=5.0,
        help="requests per second, never exceeded in any 1-second window (default 5; 0 = no limit)",
    )
    g.add_argument("--max-retries", type=int, default=5, help="retries per key (default 5)")
    g.add_argument("--timeout", type=_positive_float, default=30.0, help="seconds per request")
    g.add_argument(
        "--max-consecutive-failures",
        type=int,
        default=10,
        metavar="N",
        help="halt after N failed keys in a row (default 10; 0 = never)",
    )
    g.add_argument(
        "--max-failure-rate",
        type=_percent,
        default=0.5,
        metavar="P",
        help="halt when this share of finished keys failed, after 20 (default 50%%)",
    )
    g.add_argument(
        "--max-wait",
        type=_positive_float,
        default=300.0,
        metavar="SECONDS",
        help="halt if the API asks to wait longer than this (default 300)",
    )
    g.add_argument("--precheck", action="store_true", help="count records per key before sending")
    g.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")


def _add_output_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("output")
    g.add_argument("--report", type=Path, metavar="PATH", help="report .xlsx path (csv beside it)")
    g.add_argument(
        "--reports-dir", type=Path, default=Path("reports"), help="default folder for reports"
    )
    g.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="batch-anonymizer",
        description="Anonymize GDPR erasure requests in CustomerGauge, with an audit report.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log each key's outcome on stderr"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="anonymize every key of a request sheet")
    run.add_argument("input", type=Path, help="CSV or Excel file of requests")
    run.add_argument("--resume", type=Path, metavar="REPORT", help="carry over an earlier run")
    run.add_argument(
        "--allow-changed-input",
        action="store_true",
        help="with --resume: match keys by value when the input changed",
    )
    run.add_argument("--dry-run", action="store_true", help="do everything but send")
    _add_input_options(run)
    _add_endpoint_options(run)
    _add_sending_options(run)
    _add_output_options(run)

    retry = sub.add_parser("retry", help="send again the failed and pending keys of a report")
    retry.add_argument(
        "earlier", type=Path, metavar="REPORT", help="the earlier .xlsx, .csv or .journal"
    )
    retry.add_argument(
        "--only-transient",
        action="store_true",
        help="only failures that were transient (network, timeout, 429, 5xx)",
    )
    _add_endpoint_options(retry)
    _add_sending_options(retry)
    _add_output_options(retry)

    check = sub.add_parser("check", help="count the records each key would change (read-only)")
    check.add_argument("input", type=Path)
    _add_input_options(check)
    _add_endpoint_options(check)
    _add_sending_options(check)
    _add_output_options(check)

    validate = sub.add_parser("validate", help="check an input file; nothing is sent")
    validate.add_argument("input", type=Path)
    _add_input_options(validate)
    _add_output_options(validate)

    sandbox = sub.add_parser("sandbox", help="run the API simulator on 127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    sandbox.add_argument("--faults", metavar="SPEC", help="misbehaviour spec (JSON or @file)")
    sandbox.add_argument(
        "--seed",
        type=Path,
        action="append",
        default=[],
        metavar="INPUT",
        help="load the contacts of a request file (repeatable)",
    )
    sandbox.add_argument("--log", type=Path, help="append the request log (JSON lines) here")

    verify = sub.add_parser("verify", help="check a report against its manifest")
    verify.add_argument("report", type=Path)

    rebuild = sub.add_parser("report", help="rebuild the .xlsx/.csv from a journal")
    rebuild.add_argument("source", type=Path, help="a .journal (or a report)")
    rebuild.add_argument("--report", type=Path, metavar="PATH", help="where to write the .xlsx")

    handover = sub.add_parser("handover", help="write a pseudonymised copy for compliance")
    handover.add_argument("report", type=Path, help="the report (or, with --lookup, the handover)")
    handover.add_argument("--out", type=Path, help="where to write the copy (.xlsx)")
    handover.add_argument("--keep-column", action="append", default=[], metavar="NAME")
    handover.add_argument("--handover-secret-file", type=Path, metavar="PATH")
    handover.add_argument("--lookup", metavar="KEY", help="is this email/phone in the handover?")
    return parser


def _read_secret_file(path: Path, what: str) -> str:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UsageError(f"cannot read the {what} file {path}: {exc.strerror}") from None
    if not value:
        raise MissingKeyError(f"the {what} file {path} is empty")
    return value


def endpoint_and_auth(args: argparse.Namespace) -> tuple[Endpoint | None, Auth | None]:
    """Where to send and with what credentials; exits 2 when a real endpoint has no key."""
    if args.sandbox:
        return None, None
    if args.region:
        endpoint = Endpoint.for_region(args.region, args.format)
    elif args.base_url:
        endpoint = Endpoint.for_base_url(args.base_url, args.format)
    else:
        raise UsageError(
            "choose where to send: --sandbox (simulator), --region eu|us|au, or --base-url URL"
        )
    if args.oauth_client_id:
        if args.oauth_secret_file:
            secret = _read_secret_file(args.oauth_secret_file, "OAuth2 client secret")
        else:
            secret = os.environ.get(CLIENT_SECRET_ENV, "").strip()
        if not secret:
            raise MissingKeyError(
                f"no OAuth2 client secret: set {CLIENT_SECRET_ENV} or use --oauth-secret-file; "
                "nothing was sent"
            )
        token_url = args.oauth_token_url or endpoint.token_url
        return endpoint, OAuth2Auth(args.oauth_client_id, secret, token_url)
    if args.api_key_file:
        key = _read_secret_file(args.api_key_file, "API key")
    else:
        key = os.environ.get(API_KEY_ENV, "").strip()
    if not key:
        raise MissingKeyError(
            f"no API key: set {API_KEY_ENV} or use --api-key-file PATH "
            "(there is no option for the key itself: command lines are visible to other users); "
            "nothing was sent"
        )
    return endpoint, ApiKeyAuth(key)


def _settings(args: argparse.Namespace) -> Settings:
    rate = args.rate or None
    workers = args.concurrency
    if workers is None:  # auto: enough workers to keep the rate at up to ~0.5 s latency
        workers = 32 if rate is None else max(4, min(64, math.ceil(rate / 2) + 2))
    return Settings(
        concurrency=workers,
        rate=rate,
        max_retries=args.max_retries,
        timeout=args.timeout or 30.0,
        max_consecutive_failures=args.max_consecutive_failures,
        max_failure_rate=args.max_failure_rate,
        max_wait=args.max_wait,
        precheck=args.precheck,
    )


def _input_options(args: argparse.Namespace) -> InputOptions:
    sheet: str | int | None = args.sheet
    return InputOptions(
        sheet=sheet,
        all_sheets=args.all_sheets,
        header_row=args.header_row,
        encoding=args.encoding,
        delimiter=args.delimiter,
        email_column=args.email_column,
        phone_column=args.phone_column,
        default_region=args.default_region,
        where=tuple(args.where),
    )


def _shown_settings(args: argparse.Namespace, s: Settings) -> tuple[tuple[str, str], ...]:
    shown = [
        ("rate", "unlimited" if s.rate is None else f"{s.rate:g}/s"),
        ("concurrency", str(s.concurrency)),
        ("max_retries", str(s.max_retries)),
        ("timeout", f"{s.timeout:g} s"),
        ("max_consecutive_failures", str(s.max_consecutive_failures)),
        ("max_failure_rate", f"{s.max_failure_rate:.0%}"),
        ("max_wait", f"{s.max_wait:g} s"),
        ("format", getattr(args, "format", "json")),
    ]
    for name in ("default_region", "sheet", "email_column", "phone_column"):
        value = getattr(args, name, None)
        if value:
            shown.append((name, str(value)))
    for col, val in getattr(args, "where", []):
        shown.append(("where", f"{col}={val}"))
    return tuple(shown)


def _run_options(args: argparse.Namespace, mode: str) -> RunOptions:
    endpoint, auth = (None, None) if mode == "validate" else endpoint_and_auth(args)
    settings = _settings(args) if mode != "validate" else Settings()
    return RunOptions(
        endpoint=endpoint,
        auth=auth,
        settings=settings,
        mode=mode,
        report=args.report,
        reports_dir=args.reports_dir,
        progress=not args.no_progress,
        sandbox_faults=getattr(args, "sandbox_faults", None),
        fmt=getattr(args, "format", "json"),
        settings_shown=_shown_settings(args, settings),
    )


def _confirm(prep: Prepared, opts: RunOptions, assume_yes: bool, *, check: bool = False) -> None:
    """Before a real run: say what will happen and ask (or refuse without a terminal)."""
    counts = prep.planned_counts()
    host = opts.endpoint.host if opts.endpoint else "built-in sandbox"
    plan = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    if check:
        # The vendor's page lists a GET example among the anonymize examples; only our
        # notes call the GET read-only. Ask, as for a run, until the vendor confirms it.
        what = f"pre-check (GET) {len(prep.jobs)} key(s) at {host}"
        print(f"About to {what} ({plan}).", file=sys.stderr)
        print(
            "The pre-check is documented as read-only; confirm that with the vendor "
            "before relying on it in production.",
            file=sys.stderr,
        )
    else:
        what = f"send {len(prep.jobs)} request(s) to {host}"
        print(f"About to anonymize {len(prep.jobs)} key(s) at {host} ({plan}).", file=sys.stderr)
        print("Anonymization is irreversible.", file=sys.stderr)
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


def _retry_command(summary: Summary, args: argparse.Namespace) -> str:
    parts = ["batch-anonymizer", "retry", str(summary.xlsx)]
    if getattr(args, "sandbox", False):
        parts.append("--sandbox")
    elif getattr(args, "region", None):
        parts += ["--region", args.region]
    elif getattr(args, "base_url", None):
        parts += ["--base-url", args.base_url]
    if getattr(args, "format", "json") != "json":
        parts += ["--format", args.format]
    if getattr(args, "api_key_file", None):
        parts += ["--api-key-file", str(args.api_key_file)]
    if getattr(args, "oauth_client_id", None):
        parts += ["--oauth-client-id", args.oauth_client_id]
    if getattr(args, "rate", 5.0) != 5.0:
        parts += ["--rate", f"{args.rate:g}"]
    return " ".join(_quote(p) for p in parts)


def _quote(part: str) -> str:
    import shlex

    return shlex.quote(part)


def _print_summary(summary: Summary, args: argparse.Namespace) -> None:
    print(f"Report:  {summary.xlsx}")
    print(f"         {summary.csv}")
    if summary.journal is not None:
        print(f"Journal: {summary.journal}")
    print(summary.sentence())
    if summary.needs_retry and summary.mode in ("run", "retry"):
        print("To send the failed and pending keys again:")
        print(f"  {_retry_command(summary, args)}")


def cmd_run(args: argparse.Namespace) -> int:
    mode = "dry-run" if args.dry_run else "run"
    opts = _run_options(args, mode)
    prep = prepare_run(
        args.input,
        _input_options(args),
        resume=args.resume,
        allow_changed_input=args.allow_changed_input,
    )
    if mode == "run":
        _confirm(prep, opts, args.yes)
    summary = execute(prep, opts)
    _print_summary(summary, args)
    return summary.exit_code


def cmd_retry(args: argparse.Namespace) -> int:
    opts = _run_options(args, "retry")
    prep = prepare_retry(args.earlier, only_transient=args.only_transient)
    _confirm(prep, opts, args.yes)
    summary = execute(prep, opts)
    _print_summary(summary, args)
    return summary.exit_code


def cmd_check(args: argparse.Namespace) -> int:
    opts = _run_options(args, "check")
    prep = prepare_run(args.input, _input_options(args))
    _confirm(prep, opts, args.yes, check=True)
    summary = execute(prep, opts)
    _print_summary(summary, args)
    return summary.exit_code


def cmd_validate(args: argparse.Namespace) -> int:
    from .keys import problem_summary

    prep = prepare_run(args.input, _input_options(args))
    assert prep.plan is not None
    problems = problem_summary(prep.plan)
    rows = len(prep.plan.table.rows)
    print(f"{args.input.name}: {rows} rows, {len(prep.jobs)} keys ready to send")
    if problems:
        print("Problems: " + ", ".join(phrase for _, _, phrase in problems))
    summary = execute(prep, _run_options(args, "validate"))
    _print_summary(summary, args)
    return summary.exit_code


def cmd_sandbox(args: argparse.Namespace) -> int:
    from .keys import make_plan
    from .loader import load_table
    from .records import KeyType
    from .sandbox import Faults, Sandbox, serve

    faults = Faults.from_spec(args.faults) if args.faults else None
    box = Sandbox(faults=faults, log_path=args.log)
    for path in args.seed:
        plan = make_plan(load_table(path))
        box.seed(
            [ln.key for ln in plan.lines if ln.key_type is KeyType.EMAIL],
            [ln.key for ln in plan.lines if ln.key_type is KeyType.TELEPHONE],
        )

    def ready(url: str) -> None:
        print(f"Sandbox listening on {url}", flush=True)
        print(f"Demo API key: {box.api_key}  (export {API_KEY_ENV}=<that key>)", flush=True)
        print(f"Try: batch-anonymizer run INPUT --base-url {url} --yes", flush=True)

    serve(box, args.port, ready=ready)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from .integrity import verify

    result = verify(args.report)
    print(result.summary)
    return 0 if result.ok else 1


def cmd_report(args: argparse.Namespace) -> int:
    from .rebuild import rebuild

    xlsx, csv = rebuild(args.source, args.report)
    print(f"Report:  {xlsx}\n         {csv}")
    return 0


def cmd_handover(args: argparse.Namespace) -> int:
    from .handover import load_secret, lookup, write_handover

    secret = load_secret(args.handover_secret_file)
    if args.lookup:
        found = lookup(args.report, args.lookup, secret)
        if not found:
            print(f"not found: no line of {args.report.name} is for that key")
            return 1
        for row in found:
            print(
                f"found: row {row.get('source_row')}: {row.get('status')} {row.get('finished_at')}"
            )
        return 0
    out = args.out or args.report.with_name(args.report.stem + "-handover.xlsx")
    path = write_handover(args.report, out, secret, args.keep_column)
    print(f"Handover copy: {path}")
    return 0


COMMANDS = {
    "run": cmd_run,
    "retry": cmd_retry,
    "check": cmd_check,
    "validate": cmd_validate,
    "sandbox": cmd_sandbox,
    "verify": cmd_verify,
    "report": cmd_report,
    "handover": cmd_handover,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``batch-anonymizer`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verbose:
        logging.basicConfig(
            level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", force=True
        )
    try:
        return COMMANDS[args.command](args)
    except AnonymizerError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
