"""batch_anonymizer: anonymize GDPR erasure requests in CustomerGauge, with an audit trail.

The library behind the ``batch-anonymizer`` command. A run is prepared, then
executed::

    import batch_anonymizer as ba

    prep = ba.prepare_run(Path("requests.xlsx"))
    summary = ba.execute(prep, ba.RunOptions(endpoint=None, auth=None))  # the built-in sandbox
    print(summary.sentence(), summary.xlsx)

``execute`` runs its own event loop (scripts, worker threads); inside a running
loop use ``await execute_async(...)``. Pass a ``RunControl`` to stop a run
from elsewhere. Every fatal problem raises an ``AnonymizerError``; everything
that happens to a key is an ``Outcome`` with a ``Status`` and a ``Reason``.
See docs/api.md.
"""

from __future__ import annotations

from .api.auth import ApiKeyAuth, Auth, OAuth2Auth
from .api.control import RunControl
from .api.endpoint import REGIONS, Endpoint
from .api.pool import Progress
from .api.settings import DEFAULTS, Settings
from .app.builtin import seeded_sandbox
from .app.certify import Certified, certify
from .app.execute import execute, execute_async
from .app.options import HandoverTarget, InputOptions, LedgerTarget, RunOptions
from .app.prepare import Prepared, prepare_retry, prepare_run
from .app.rebuild import Rebuilt, rebuild
from .app.runsummary import Summary
from .app.screen import Screened, history, read_ledger, screen
from .app.screenfiles import write_screened
from .audit.drafts import ReplySettings, load_reply_settings
from .audit.handover import lookup, write_handover
from .audit.manifest import VerifyResult, verify
from .audit.reportread import ReadReport, read_report, read_requests
from .core.codes import MEANINGS, Reason
from .core.errors import (
    AnonymizerError,
    EvidenceChangedError,
    ExitCode,
    HaltError,
    InputError,
    JournalError,
    LedgerError,
    MissingKeyError,
    ReplyTemplateError,
    ReportError,
    ReportNotWrittenError,
    ResumeMismatchError,
    RunLockedError,
    UsageError,
)
from .core.job import Job
from .core.records import (
    ColumnRule,
    InputTable,
    KeyColumn,
    KeyType,
    Line,
    Mode,
    Outcome,
    Plan,
    RejectedColumn,
    ReportLine,
    RunFacts,
    Status,
)
from .core.requests import DeadlineCode, OnTime, Request, RequestOutcome
from .core.version import __version__
from .input.dates import DayOrder
from .sandbox import Faults, Sandbox, SandboxThread
from .state.ledger import Ledger, LedgerEntry

__all__ = [
    "DEFAULTS",
    "MEANINGS",
    "REGIONS",
    "AnonymizerError",
    "ApiKeyAuth",
    "Auth",
    "Certified",
    "ColumnRule",
    "DayOrder",
    "DeadlineCode",
    "Endpoint",
    "EvidenceChangedError",
    "ExitCode",
    "Faults",
    "HaltError",
    "HandoverTarget",
    "InputError",
    "InputOptions",
    "InputTable",
    "Job",
    "JournalError",
    "KeyColumn",
    "KeyType",
    "Ledger",
    "LedgerEntry",
    "LedgerError",
    "LedgerTarget",
    "Line",
    "MissingKeyError",
    "Mode",
    "OAuth2Auth",
    "OnTime",
    "Outcome",
    "Plan",
    "Prepared",
    "Progress",
    "ReadReport",
    "Reason",
    "Rebuilt",
    "RejectedColumn",
    "ReplySettings",
    "ReplyTemplateError",
    "ReportError",
    "ReportLine",
    "ReportNotWrittenError",
    "Request",
    "RequestOutcome",
    "ResumeMismatchError",
    "RunControl",
    "RunFacts",
    "RunLockedError",
    "RunOptions",
    "Sandbox",
    "SandboxThread",
    "Screened",
    "Settings",
    "Status",
    "Summary",
    "UsageError",
    "VerifyResult",
    "__version__",
    "certify",
    "execute",
    "execute_async",
    "history",
    "load_reply_settings",
    "lookup",
    "prepare_retry",
    "prepare_run",
    "read_ledger",
    "read_report",
    "read_requests",
    "rebuild",
    "screen",
    "seeded_sandbox",
    "verify",
    "write_handover",
    "write_screened",
]
