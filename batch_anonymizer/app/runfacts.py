"""A run's identity: the paths of its audit files, its id, and the facts its report records."""

from __future__ import annotations

import getpass
import secrets
import socket
from datetime import date, datetime
from pathlib import Path

from ..api.endpoint import Endpoint
from ..audit.manifest import certificates_dir
from ..audit.report import requests_csv_path
from ..core.decision import APPROVED_BY, DRAFTS
from ..core.errors import UsageError
from ..core.records import TEST_RUN_SETTING, Mode, RunFacts
from ..core.timefmt import iso, stamp
from ..core.version import __version__
from ..input.columns import column_settings
from .options import RunOptions
from .prepare import Prepared
from .resumecheck import carried_input_settings
from .versions import ApiChoice


def report_paths(input_path: Path, opts: RunOptions, now: datetime) -> tuple[Path, Path, Path]:
    """xlsx, csv and journal paths; refuses to overwrite an earlier audit record."""
    if opts.report is not None:
        xlsx = (
            opts.report
            if opts.report.suffix.lower() == ".xlsx"
            else opts.report.with_suffix(".xlsx")
        )
    else:
        when = stamp(now)
        xlsx = opts.reports_dir / f"{input_path.stem}-{when}.xlsx"
        n = 1
        while xlsx.exists() or xlsx.with_suffix(".journal").exists():
            n += 1
            xlsx = opts.reports_dir / f"{input_path.stem}-{when}-{n}.xlsx"
    csv, journal = xlsx.with_suffix(".csv"), xlsx.with_suffix(".journal")
    for p in (xlsx, csv, journal, requests_csv_path(xlsx), certificates_dir(xlsx)):
        if p.exists():
            raise UsageError(
                f"{p} already exists; an audit record is never overwritten: choose another --report"
            )
    return xlsx, csv, journal


def new_run_id(now: datetime) -> str:
    """A unique run id: the start time and six random hex digits."""
    return f"{stamp(now)}-{secrets.token_hex(3)}"


def run_facts(
    prep: Prepared,
    opts: RunOptions,
    api: ApiChoice,
    *,
    run_id: str,
    now: datetime,
    today: date,
    endpoint: Endpoint | None,
    builtin: bool,
    journal_path: Path,
    ledger: tuple[tuple[str, str], ...],
) -> RunFacts:
    """The facts of a run as it starts, built once (its end is stamped when it ends).

    Its settings, in this order: the options as shown, the key columns, the API,
    whether it is a test run, a retry's earlier input options, the request rules
    (counted against ``today``), and ``ledger`` (what the ledger side says of itself).
    """
    host = endpoint.host if endpoint is not None and not opts.dry else "none (nothing sent)"
    return RunFacts(
        run_id=run_id,
        mode=opts.mode,
        tool_version=__version__,
        started_at=iso(now),
        ended_at="",
        input_name=prep.input_path.name,
        input_size=prep.input_size,
        input_sha256=prep.input_sha256,
        endpoint_host=host
        + (" (built-in sandbox)" if builtin else " (test server)" if opts.rehearsal else ""),
        region=endpoint.region if endpoint is not None else "",
        api_version=api.version,
        operator=_operator(),
        host_name=socket.gethostname(),
        previous_run_id=prep.previous.run_id if prep.previous else "",
        journal_name=journal_path.name,
        accepted_changed_evidence=prep.accepted_changed_evidence,
        settings=opts.settings_shown
        + _columns(prep)
        + api.settings()
        + _test_run(opts, builtin)
        + (carried_input_settings(prep.previous) if opts.mode is Mode.RETRY else ())
        + prep.rules.settings(today)
        + ledger
        + _papers(opts),
    )


def _columns(prep: Prepared) -> tuple[tuple[str, str], ...]:
    """The key columns chosen and the columns not used (none for a retry: the earlier run
    chose them)."""
    return () if prep.plan is None else column_settings(prep.plan)


def _papers(opts: RunOptions) -> tuple[tuple[str, str], ...]:
    """The settings the register and the certificates read back: the approver
    (``--approved-by``), and that a reply draft is written per request."""
    out = []
    if opts.approved_by.strip():
        out.append((APPROVED_BY, " ".join(opts.approved_by.split())))
    if opts.certificates:
        out.append((DRAFTS, "yes: a certificate and reply drafts (.eml, .txt) per request"))
    return tuple(out)


def _test_run(opts: RunOptions, builtin: bool) -> tuple[tuple[str, str], ...]:
    """The run-facts setting that marks a test run (none for a real one)."""
    if builtin:
        return ((TEST_RUN_SETTING, "yes: the built-in sandbox, not CustomerGauge"),)
    if opts.rehearsal:
        return (
            (
                TEST_RUN_SETTING,
                "yes: a test server, not CustomerGauge's production API; its ledger is "
                "kept beside the report",
            ),
        )
    return ()


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
