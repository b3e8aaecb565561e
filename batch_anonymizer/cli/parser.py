"""The command line's grammar: every command and option.

``build_parser`` defines every command and option (docs/commands.md documents each
one, and a test checks it). Numbers are checked (``values``) against the ranges
that make sense, so ``--rate nan`` or ``--timeout 1e9`` is a usage error (exit 2)
before anything is read or sent. Options cannot be abbreviated: ``--api-key``
must never quietly mean ``--api-key-file``.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path
from typing import NoReturn

from ..app import (
    API_VERSIONS,
    DEFAULT_PHONE_FIELD,
    DEFAULTS,
    FORMATS,
    PHONE_FIELDS,
    REGIONS,
    DayOrder,
    PhoneForm,
)
from ..core.errors import ExitCode
from ..core.text import printable
from ..core.version import __version__
from . import values
from .grammar import add_ledger_commands, add_ledger_options, add_secret_option
from .paperoptions import (
    add_approval_option,
    add_certificates_option,
    add_evidence_option,
    add_handover_option,
    add_output_options,
    add_paper_commands,
)
from .redactcmd import add_redact_command

API_KEY_ENV = "CUSTOMERGAUGE_API_KEY"
CLIENT_SECRET_ENV = "CUSTOMERGAUGE_CLIENT_SECRET"  # noqa: S105 - a variable name, not a secret

#: The default rate of a run against the built-in sandbox: the simulator has no limit to
#: respect, and the quickstart should take seconds, not minutes.
SANDBOX_RATE = 50.0

EXIT_CODES = f"""exit codes:
  {ExitCode.OK:<4} every key success or not_found (duplicates allowed)
  {ExitCode.PROBLEMS:<4} some keys failed, invalid or pending
  {ExitCode.USAGE:<4} usage or input error, or the earlier run's files changed: nothing sent
  {ExitCode.HALTED:<4} run halted before the end (credentials refused, too many failures,
       the v6 telephone field refused, a Retry-After longer than --max-wait, lookups
       refused, the journal or the erasure ledger not written)
  {ExitCode.NOT_WRITTEN:<4} requests were sent, then the report could not be written:
       rebuild it with `batch-anonymizer report JOURNAL`
  {ExitCode.for_signal(2):<4} interrupted (Ctrl-C)
  {ExitCode.for_signal(15):<4} terminated (SIGTERM)
  {ExitCode.for_signal(13):<4} the output's reader went away (`... | head`)"""


class Parser(argparse.ArgumentParser):
    """An argument parser that never abbreviates and prints arguments safely."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {printable(message)}\n")


def _add_input_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("input")
    g.add_argument(
        "--sheet",
        help="sheet name or 0-based index, hidden or not (default: the first visible sheet)",
    )
    g.add_argument(
        "--all-sheets",
        action="store_true",
        help="process every visible sheet (screen: every sheet)",
    )
    g.add_argument(
        "--header-row", type=values.header_row, metavar="N", help="the header is on row N"
    )
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
        type=values.where,
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help="process only matching rows (repeatable); others are reported as skipped",
    )
    _add_gate_options(p)
    _add_request_options(p)


def _add_gate_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("which requests may be erased")
    for option, what in (
        ("--type-column", "the column of request types (default: found by its header)"),
        ("--identity-column", "the column saying identity was verified (default: by header)"),
        ("--hold-column", "a filled cell of this column holds the row (default: by header)"),
    ):
        g.add_argument(option, metavar="NAME", help=what)
    g.add_argument(
        "--erasure-type",
        action="append",
        default=[],
        metavar="VALUE",
        help="a request-type value that asks for erasure (repeatable)",
    )


def _add_request_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("requests and deadlines")
    for option, what in (
        ("--request-column", "the column of request ids (default: found by its header)"),
        ("--received-column", "the column of the date received (default: found by its header)"),
        ("--extension-column", "the column saying a deadline was extended (default: by header)"),
    ):
        g.add_argument(option, metavar="NAME", help=what)
    order = g.add_mutually_exclusive_group()
    order.add_argument(
        "--day-first",
        dest="day_order",
        action="store_const",
        const=DayOrder.DAY_FIRST,
        help="typed dates such as 05/03/2024 are day first (5 March)",
    )
    order.add_argument(
        "--month-first",
        dest="day_order",
        action="store_const",
        const=DayOrder.MONTH_FIRST,
        help="typed dates such as 05/03/2024 are month first (May 3)",
    )
    g.add_argument(
        "--holidays",
        type=values.country,
        metavar="CC",
        help="public holidays of this country (GB, or GB-ENG, GB-SCT...) move a due date "
        "to the next working day (default: weekends only)",
    )


def _add_endpoint_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("endpoint and credentials")
    where = g.add_mutually_exclusive_group()
    where.add_argument("--sandbox", action="store_true", help="use the built-in simulator")
    where.add_argument("--region", choices=REGIONS, help="CustomerGauge region (eu, us, au)")
    where.add_argument("--base-url", metavar="URL", help="another host, e.g. a standalone sandbox")
    g.add_argument(
        "--api",
        choices=API_VERSIONS,
        default=None,
        help="the anonymize API: v4.1 (the default) or v6 (OAuth2 only); resume and retry "
        "keep the earlier run's unless given",
    )
    g.add_argument(
        "--v6-phone-field",
        choices=PHONE_FIELDS,
        default=None,
        help=f"with --api v6: the name of the telephone field (default {DEFAULT_PHONE_FIELD}, "
        "or the earlier run's); the vendor's page names both",
    )
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
        type=values.concurrency,
        default=None,
        metavar="N|auto",
        help="parallel requests (default: auto, from the rate)",
    )
    d = DEFAULTS
    g.add_argument(
        "--rate",
        type=values.rate,
        default=None,
        help="requests per second, never exceeded in any 1-second window "
        f"(default {d.rate:g}, {SANDBOX_RATE:g} with --sandbox; 0 = no limit)",
    )
    g.add_argument(
        "--max-retries",
        type=values.max_retries,
        default=d.max_retries,
        help=f"retries per key (default {d.max_retries})",
    )
    g.add_argument(
        "--timeout",
        type=values.timeout,
        default=d.timeout,
        help=f"seconds per request (default {d.timeout:g})",
    )
    g.add_argument(
        "--max-consecutive-failures",
        type=values.max_failures,
        default=d.max_consecutive_failures,
        metavar="N",
        help=f"halt after N failed keys in a row (default {d.max_consecutive_failures}; 0 = never)",
    )
    g.add_argument(
        "--max-failure-rate",
        type=values.percent,
        default=d.max_failure_rate,
        metavar="P",
        help=f"halt when this share of finished keys failed, after {d.min_finished_for_rate} "
        f"(default {d.max_failure_rate * 100:.0f}%%)",
    )
    g.add_argument(
        "--max-wait",
        type=values.max_wait,
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


# Built once per process: parsing leaves a parser as it was, and a process that calls
# main() many times (the library's users, the tests) need not build ~200 options each time.
@functools.cache
def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
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
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
    )

    run = sub.add_parser("run", help="anonymize every key of a request sheet")
    run.add_argument("input", type=Path, help="CSV or Excel file of requests")
    run.add_argument("--resume", type=Path, metavar="REPORT", help="carry over an earlier run")
    run.add_argument(
        "--allow-changed-input",
        action="store_true",
        help="with --resume: match keys by value when the input changed",
    )
    add_evidence_option(run, "with --resume: ")
    run.add_argument("--dry-run", action="store_true", help="do everything but send")
    _add_input_options(run)
    _add_endpoint_options(run)
    _add_sending_options(run)
    add_output_options(run)
    add_certificates_option(run)
    add_approval_option(run)
    add_handover_option(run)
    run.add_argument(
        "--retain-keys",
        type=values.days,
        metavar="DAYS",
        help="record in the run facts that the report's keys may be redacted DAYS days after "
        "the run (`redact DIR` then does it; default: kept)",
    )
    add_ledger_options(run, no_ledger=True, stop_list=True)

    retry = sub.add_parser("retry", help="send again the failed and pending keys of a report")
    retry.add_argument(
        "earlier", type=Path, metavar="REPORT", help="the earlier .xlsx, .csv or .journal"
    )
    retry.add_argument(
        "--only-transient",
        action="store_true",
        help="only failures that were transient (network, timeout, 429, 5xx: "
        "retries_exhausted) and successes whose lookup afterwards failed (unverified)",
    )
    add_evidence_option(retry, "")
    _add_endpoint_options(retry)
    _add_sending_options(retry)
    add_output_options(retry)
    add_certificates_option(retry)
    add_approval_option(retry)
    add_handover_option(retry)
    add_ledger_options(retry, no_ledger=True, stop_list=True)

    check = sub.add_parser("check", help="count the records each key would change (read-only)")
    check.add_argument("input", type=Path)
    _add_input_options(check)
    _add_endpoint_options(check)
    _add_sending_options(check)
    add_output_options(check)
    add_ledger_options(check, no_ledger=True)
    add_secret_option(check)

    validate = sub.add_parser("validate", help="check an input file; nothing is sent")
    validate.add_argument("input", type=Path)
    _add_input_options(validate)
    add_output_options(validate)

    sandbox = sub.add_parser("sandbox", help="run the API simulator on 127.0.0.1")
    sandbox.add_argument("--port", type=values.port, default=8765)
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
    sandbox.add_argument(
        "--v6-phone-field",
        choices=PHONE_FIELDS,
        default=None,
        help="the telephone field name the v6 route takes (default phone); the other is refused",
    )

    add_paper_commands(sub)
    add_redact_command(sub)
    add_ledger_commands(sub, _add_input_options, Parser)
    return parser
