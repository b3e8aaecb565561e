"""The command line's options: the parser, and how options become library settings.

``build_parser`` defines every command and option (the README documents each
one, and a test checks it); ``run_options`` and ``input_options`` turn parsed
arguments into the library's ``RunOptions`` and ``InputOptions``. Secrets are
read from the environment or a file here, never from an option's value.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..api.auth import ApiKeyAuth, Auth, OAuth2Auth
from ..api.endpoint import FORMATS, REGIONS, Endpoint
from ..api.settings import DEFAULTS, Settings
from ..app.options import HandoverTarget, InputOptions, RunOptions
from ..audit.handover import SECRET_ENV, load_secret
from ..core.errors import ExitCode, MissingKeyError, UsageError
from ..core.version import __version__
from ..input.validate import PhoneForm

API_KEY_ENV = "CUSTOMERGAUGE_API_KEY"
CLIENT_SECRET_ENV = "CUSTOMERGAUGE_CLIENT_SECRET"  # noqa: S105 - a variable name, not a secret

EXIT_CODES = f"""exit codes:
  {ExitCode.OK:<4} every key success (duplicates allowed)
  {ExitCode.PROBLEMS:<4} some keys failed or invalid
  {ExitCode.USAGE:<4} usage or input error, nothing sent
  {ExitCode.HALTED:<4} run halted before the end (credentials refused, too many failures,
       a Retry-After longer than --max-wait, lookups refused, a journal not written)
  {ExitCode.NOT_WRITTEN:<4} requests were sent, then the report could not be written:
       rebuild it with `batch-anonymizer report JOURNAL`
  {ExitCode.for_signal(2):<4} interrupted (Ctrl-C)
  {ExitCode.for_signal(15):<4} terminated (SIGTERM)"""


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
    for option, what in (
        ("--email-column", "a column of emails (repeatable; when given, all of them)"),
        ("--phone-column", "a column of telephones (repeatable; when given, all of them)"),
        ("--ignore-column", "leave a column out of the automatic choice (repeatable)"),
    ):
        g.add_argument(option, action="append", default=[], metavar="NAME", help=what)
    g.add_argument(
        "--default-region", metavar="CC", help="country of national numbers, e.g. GB or US"
    )
    g.add_argument(
        "--phone-form",
        choices=[f.value for f in PhoneForm],
        default=PhoneForm.VENDOR.value,
        help="send telephones in CustomerGauge's stored form (vendor: 447700900123, "
        "the default) or as written in the sheet",
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
    g.add_argument("--format", choices=FORMATS, default="json", help="answer format")
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
    g.add_argument(
        "--sandbox-records",
        type=Path,
        metavar="FILE",
        help="seed the built-in sandbox from a records CSV instead of the input's keys",
    )


def _add_sending_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("sending")
    g.add_argument(
        "--concurrency",
        type=_concurrency,
        default=None,
        metavar="N|auto",
        help="parallel requests (default: auto, from the rate)",
    )
    d = DEFAULTS
    g.add_argument(
        "--rate",
        type=_positive_float,
        default=None,
        help="requests per second, never exceeded in any 1-second window "
        f"(default {d.rate:g}, {SANDBOX_RATE:g} with --sandbox; 0 = no limit)",
    )
    g.add_argument(
        "--max-retries",
        type=int,
        default=d.max_retries,
        help=f"retries per key (default {d.max_retries})",
    )
    g.add_argument(
        "--timeout",
        type=_positive_float,
        default=d.timeout,
        help=f"seconds per request (default {d.timeout:g})",
    )
    g.add_argument(
        "--max-consecutive-failures",
        type=int,
        default=d.max_consecutive_failures,
        metavar="N",
        help=f"halt after N failed keys in a row (default {d.max_consecutive_failures}; 0 = never)",
    )
    g.add_argument(
        "--max-failure-rate",
        type=_percent,
        default=d.max_failure_rate,
        metavar="P",
        help=f"halt when this share of finished keys failed, after {d.min_finished_for_rate} "
        f"(default {d.max_failure_rate * 100:.0f}%%)",
    )
    g.add_argument(
        "--max-wait",
        type=_positive_float,
        default=d.max_wait,
        metavar="SECONDS",
        help=f"halt if the API asks to wait longer than this (default {d.max_wait:g})",
    )
    g.add_argument(
        "--no-verify",
        action="store_true",
        help="do not look keys up before and after (a success is then the vendor's word alone)",
    )
    g.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")


def _add_output_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("output")
    g.add_argument("--report", type=Path, metavar="PATH", help="report .xlsx path (csv beside it)")
    g.add_argument(
        "--reports-dir", type=Path, default=Path("reports"), help="default folder for reports"
    )
    g.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _add_handover_option(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("handover")
    g.add_argument(
        "--handover",
        type=Path,
        metavar="PATH",
        help="also write the pseudonymised copy (.xlsx + .csv) here at the end",
    )
    g.add_argument(
        "--handover-secret-file",
        type=Path,
        metavar="PATH",
        help=f"the handover secret (default: the {SECRET_ENV} environment variable)",
    )


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
    _add_handover_option(run)

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
    _add_handover_option(retry)

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
    sandbox.add_argument(
        "--records",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="load the records of a records CSV (repeatable; see docs/sandbox.md)",
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


#: The default rate of a run against the built-in sandbox: the simulator has no limit to
#: respect, and the quickstart should take seconds, not minutes.
SANDBOX_RATE = 50.0


def rate_of(args: argparse.Namespace) -> float | None:
    """``--rate`` as given, else the default for where the run sends; None: no limit."""
    rate = args.rate
    if rate is None:
        rate = SANDBOX_RATE if getattr(args, "sandbox", False) else DEFAULTS.rate
    return rate or None


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(
        rate=rate_of(args),
        concurrency=args.concurrency,
        max_retries=args.max_retries,
        timeout=args.timeout or DEFAULTS.timeout,
        max_consecutive_failures=args.max_consecutive_failures,
        max_failure_rate=args.max_failure_rate,
        max_wait=args.max_wait,
        verify=not getattr(args, "no_verify", False),
    )


def input_options(args: argparse.Namespace) -> InputOptions:
    sheet: str | int | None = args.sheet
    return InputOptions(
        sheet=sheet,
        all_sheets=args.all_sheets,
        header_row=args.header_row,
        encoding=args.encoding,
        delimiter=args.delimiter,
        email_columns=tuple(args.email_column),
        phone_columns=tuple(args.phone_column),
        ignore_columns=tuple(args.ignore_column),
        default_region=args.default_region,
        where=tuple(args.where),
        phone_form=PhoneForm(args.phone_form),
    )


def _shown_settings(args: argparse.Namespace, s: Settings) -> tuple[tuple[str, str], ...]:
    shown = [
        ("rate", "unlimited" if s.rate is None else f"{s.rate:g}/s"),
        ("concurrency", str(s.workers)),
        ("max_retries", str(s.max_retries)),
        ("timeout", f"{s.timeout:g} s"),
        ("max_consecutive_failures", str(s.max_consecutive_failures)),
        ("max_failure_rate", f"{s.max_failure_rate:.0%}"),
        ("max_wait", f"{s.max_wait:g} s"),
        ("verify", "yes: each key looked up before and after" if s.verify else "no (--no-verify)"),
        ("format", getattr(args, "format", "json")),
    ]
    names = ("default_region", "phone_form", "sheet", "email_column", "phone_column")
    for name in (*names, "ignore_column"):
        value = getattr(args, name, None)
        if value:  # the column options are lists of names
            shown.append((name, ", ".join(value) if isinstance(value, list) else str(value)))
    for col, val in getattr(args, "where", []):
        shown.append(("where", f"{col}={val}"))
    return tuple(shown)


def run_options(args: argparse.Namespace, mode: str) -> RunOptions:
    endpoint, auth = (None, None) if mode == "validate" else endpoint_and_auth(args)
    settings = _settings(args) if mode != "validate" else Settings()
    return RunOptions(
        endpoint=endpoint,
        auth=auth,
        settings=settings,
        mode=mode,
        report=args.report,
        reports_dir=args.reports_dir,
        sandbox_faults=getattr(args, "sandbox_faults", None),
        sandbox_records=_sandbox_records(args),
        fmt=getattr(args, "format", "json"),
        settings_shown=_shown_settings(args, settings),
        handover=_handover(args),
    )


def _sandbox_records(args: argparse.Namespace) -> Path | None:
    """``--sandbox-records``, refused without ``--sandbox`` (it would seed nothing)."""
    path: Path | None = getattr(args, "sandbox_records", None)
    if path is not None and not getattr(args, "sandbox", False):
        raise UsageError(
            "--sandbox-records seeds the built-in sandbox: add --sandbox "
            "(a standalone sandbox takes `batch-anonymizer sandbox --records FILE`)"
        )
    return path


def _handover(args: argparse.Namespace) -> HandoverTarget | None:
    """Where ``--handover`` writes its copy, with the secret read now (before sending)."""
    path = getattr(args, "handover", None)
    if path is None:
        return None
    return HandoverTarget(path, load_secret(args.handover_secret_file))
