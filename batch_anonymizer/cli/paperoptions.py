"""The command line's options for what a run writes: the report's place, the papers
(certificates, receipts, reply drafts, the printed paper), the approver, the handover
copy and the evidence check. ``parser`` adds them to the commands that write them; the
commands that work on a finished report (``verify``, ``certificates``, ``receipts``,
``report``, ``handover``) are made here whole."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .grammar import add_secret_option


def add_output_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("output")
    g.add_argument("--report", type=Path, metavar="PATH", help="report .xlsx path (csv beside it)")
    g.add_argument(
        "--reports-dir", type=Path, default=Path("reports"), help="default folder for reports"
    )
    g.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_paper_option(g)


def add_approval_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--approved-by",
        metavar="NAME",
        help="who approved the decisions: the register (approved_by) and the certificates "
        "name them",
    )


def add_paper_option(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    p.add_argument(
        "--paper",
        choices=["a4", "letter"],
        default="a4",
        help="the paper the workbook's sheets are set up to print on (default: a4)",
    )


def add_certificates_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--certificates",
        action="store_true",
        help="also write one PDF certificate per request beside the report (NAME-certificates/)",
    )
    p.add_argument(
        "--receipts",
        action="store_true",
        help="also write one JSON receipt per request beside the report (NAME.receipts.jsonl)",
    )
    add_reply_options(p)


def add_reply_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("reply drafts (beside the certificates)")
    g.add_argument(
        "--reply-templates",
        type=Path,
        metavar="DIR",
        help="your own reply templates, <outcome>.<language>.txt (see docs/replies.md)",
    )
    g.add_argument(
        "--signature-file", type=Path, metavar="FILE", help="the signature the drafts end with"
    )
    g.add_argument(
        "--font",
        type=Path,
        action="append",
        metavar="PATH",
        help="a font file the certificates try first for characters the built-in fonts "
        "lack (repeatable)",
    )
    g.add_argument(
        "--authority",
        metavar="NAME",
        help='the authority the person may complain to (default "the data protection authority")',
    )
    g.add_argument(
        "--name-column",
        action="append",
        metavar="NAME",
        help="the person's name (repeat for first and last name; default Name, Full name, "
        "First name + Last name)",
    )
    g.add_argument(
        "--language-column",
        metavar="NAME",
        help="the language of each request's reply (default Language, Locale; else English)",
    )


def add_handover_option(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("handover")
    g.add_argument(
        "--handover",
        type=Path,
        metavar="PATH",
        help="also write the pseudonymised copy (.xlsx + .csv) here at the end",
    )
    add_secret_option(g)


def add_evidence_option(p: argparse.ArgumentParser, when: str) -> None:
    p.add_argument(
        "--accept-changed-evidence",
        action="store_true",
        help=f"{when}go on even when the earlier run's files differ from their manifest "
        "(or a report has none); the new report's run facts record what differed",
    )


def add_paper_commands(sub: argparse._SubParsersAction[Any]) -> None:
    """The commands that check a finished report or write papers from it."""
    verify = sub.add_parser("verify", help="check a report against its manifest")
    verify.add_argument("report", type=Path)

    certificates = sub.add_parser(
        "certificates",
        help="write one PDF certificate and one reply draft (.eml, .txt) per request of a report",
    )
    certificates.add_argument("report", type=Path, help="the report (.xlsx) of a run")
    add_reply_options(certificates)

    receipts = sub.add_parser(
        "receipts", help="write one JSON receipt per request of a report (NAME.receipts.jsonl)"
    )
    receipts.add_argument("report", type=Path, help="the report (.xlsx) of a run")

    rebuild = sub.add_parser("report", help="rebuild the .xlsx/.csv from a journal")
    rebuild.add_argument("source", type=Path, help="a .journal (or a report)")
    rebuild.add_argument("--report", type=Path, metavar="PATH", help="where to write the .xlsx")
    add_paper_option(rebuild)

    handover = sub.add_parser("handover", help="write a pseudonymised copy for compliance")
    handover.add_argument("report", type=Path, help="the report (or, with --lookup, the handover)")
    handover.add_argument("--out", type=Path, help="where to write the copy (.xlsx)")
    handover.add_argument("--keep-column", action="append", default=[], metavar="NAME")
    add_secret_option(handover)
    handover.add_argument(
        "--lookup", metavar="KEY", help="is this email/phone in the handover? (- reads stdin)"
    )
    add_paper_option(handover)
