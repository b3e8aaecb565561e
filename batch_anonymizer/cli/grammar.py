"""The grammar of the erasure ledger's options and commands (``parser`` builds the rest).

``--ledger``, ``--no-ledger``, ``--stop-list`` and the secret option for the
commands that run, and the ``screen``, ``history`` and ``ledger`` commands.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..app import LEDGER_ENV, SECRET_ENV
from .values import years


def add_secret_option(g: argparse._ActionsContainer) -> None:
    g.add_argument(
        "--hmac-secret-file",
        "--handover-secret-file",
        dest="hmac_secret_file",
        type=Path,
        metavar="PATH",
        help="the secret of the keyed hashes (ledger and handover copy; default: the "
        f"{SECRET_ENV} environment variable, else the one created in the config folder)",
    )


def add_ledger_options(
    p: argparse.ArgumentParser, *, no_ledger: bool = False, stop_list: bool = False
) -> None:
    g = p.add_argument_group("erasure ledger")
    g.add_argument(
        "--ledger",
        type=Path,
        metavar="PATH",
        help=f"the ledger file (default: {LEDGER_ENV}, else ledger.sqlite3 in the user's data "
        "folder; with --sandbox, sandbox-ledger.sqlite3 beside the report)",
    )
    if no_ledger:
        g.add_argument("--no-ledger", action="store_true", help="do not use the ledger")
    if stop_list:
        g.add_argument(
            "--stop-list",
            action="store_true",
            help="add each email verified erased to CustomerGauge's unsubscribe list "
            "(leaves the address with the vendor; off by default)",
        )


def add_ledger_commands(
    sub: argparse._SubParsersAction[Any],
    add_input_options: Callable[[argparse.ArgumentParser], None],
    parser_class: type[argparse.ArgumentParser],
) -> None:
    """``screen``, ``history`` and ``ledger export|stats``."""
    screen = sub.add_parser(
        "screen", help="write a copy of a contact list without the people the ledger erased"
    )
    screen.add_argument("input", type=Path, help="the list about to be uploaded (any input format)")
    screen.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when any row would be removed, 0 otherwise",
    )
    add_input_options(screen)
    add_ledger_options(screen)
    add_secret_option(screen)

    history = sub.add_parser("history", help="the ledger's entries for one email or telephone")
    history.add_argument("key", help="the email or telephone (- reads it from standard input)")
    history.add_argument(
        "--default-region", metavar="CC", help="country of a national number, e.g. GB or US"
    )
    add_ledger_options(history)
    add_secret_option(history)

    ledger = sub.add_parser("ledger", help="export the hashed ledger, or count its entries")
    actions = ledger.add_subparsers(
        dest="ledger_command", required=True, metavar="ACTION", parser_class=parser_class
    )
    export = actions.add_parser("export", help="the hashed ledger as csv (names nobody)")
    export.add_argument("--out", type=Path, metavar="PATH", help="the csv (default: stdout)")
    export.add_argument(
        "--force", action="store_true", help="replace an existing --out file (never the ledger)"
    )
    add_ledger_options(export)
    stats = actions.add_parser("stats", help="entries per outcome and month")
    add_ledger_options(stats)
    prune = actions.add_parser(
        "prune", help="remove the entries of settled requests older than the retention"
    )
    prune.add_argument(
        "--older-than",
        type=years,
        required=True,
        metavar="YEARS",
        help="remove the entries of settled requests that finished YEARS years ago or more "
        "(the ledger keeps a count per month)",
    )
    add_ledger_options(prune)
