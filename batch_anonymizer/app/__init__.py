"""The stages run in order (prepare, execute, rebuild, ...): the face the command line uses.

``cli`` imports from here and from ``core`` only (an import-linter contract holds
it): the calls below, and the names of the lower stages a command needs to
parse its options or say what happened, re-exported as they are. Everything
else under ``app`` is internal. The supported library face is the top-level
``batch_anonymizer`` package, not this one.

The functions named like their module (``certify``, ``execute``, ``rebuild``,
``screen``) are not re-exported here: the name would hide the module
(``import batch_anonymizer.app.execute`` would give the function); import them
from their module.
"""

from __future__ import annotations

# the lower stages' names a command needs: re-exported unchanged, no logic added here
from ..api.auth import ApiKeyAuth, Auth, OAuth2Auth
from ..api.control import RunControl
from ..api.endpoint import FORMATS, REGIONS, Endpoint
from ..api.pool import stop_list_owed
from ..api.settings import DEFAULTS, Settings
from ..api.v6 import API_VERSIONS, DEFAULT_PHONE_FIELD, PHONE_FIELDS, V6
from ..audit.drafts import ReplySettings, load_reply_settings
from ..audit.handover import lookup, write_handover
from ..audit.manifest import VerifyResult, verify
from ..audit.redactcommit import finish_redaction
from ..audit.report import requests_csv_path
from ..input.dates import DayOrder
from ..input.deadlines import check_country
from ..input.validate import PhoneForm
from ..state.ledger import SETTLING, Ledger
from ..state.prune import Pruned, prune, pruned
from ..state.runlock import journal_of, run_lock
from ..state.secret import LEDGER_ENV, SECRET_ENV, default_ledger, load_secret

# the stages themselves
from .certify import Certified
from .execute import execute_async
from .ledgerfiles import check_export_out, export_csv, export_file, open_ledger, secret_warning
from .options import (
    HandoverTarget,
    InputOptions,
    LedgerTarget,
    RunOptions,
    shown_settings,
)
from .planlines import gate_headline, plan_lines, problem_summary
from .prepare import Prepared, prepare_retry, prepare_run
from .rebuild import Rebuilt
from .receipts import receipts_of
from .redact import Due, Redacted, redact_report, reports_in
from .runsummary import Summary
from .screen import Screened, history, read_ledger
from .screenfiles import check_writable, write_screened
from .versions import NOTHING_SENT, V6_NEEDS_OAUTH, choose_api

__all__ = [
    "API_VERSIONS",
    "DEFAULTS",
    "DEFAULT_PHONE_FIELD",
    "FORMATS",
    "LEDGER_ENV",
    "NOTHING_SENT",
    "PHONE_FIELDS",
    "REGIONS",
    "SECRET_ENV",
    "SETTLING",
    "V6",
    "V6_NEEDS_OAUTH",
    "ApiKeyAuth",
    "Auth",
    "Certified",
    "DayOrder",
    "Due",
    "Endpoint",
    "HandoverTarget",
    "InputOptions",
    "Ledger",
    "LedgerTarget",
    "OAuth2Auth",
    "PhoneForm",
    "Prepared",
    "Pruned",
    "Rebuilt",
    "Redacted",
    "ReplySettings",
    "RunControl",
    "RunOptions",
    "Screened",
    "Settings",
    "Summary",
    "VerifyResult",
    "check_country",
    "check_export_out",
    "check_writable",
    "choose_api",
    "default_ledger",
    "execute_async",
    "export_csv",
    "export_file",
    "finish_redaction",
    "gate_headline",
    "history",
    "journal_of",
    "load_reply_settings",
    "load_secret",
    "lookup",
    "open_ledger",
    "plan_lines",
    "prepare_retry",
    "prepare_run",
    "problem_summary",
    "prune",
    "pruned",
    "read_ledger",
    "receipts_of",
    "redact_report",
    "reports_in",
    "requests_csv_path",
    "run_lock",
    "secret_warning",
    "shown_settings",
    "stop_list_owed",
    "verify",
    "write_handover",
    "write_screened",
]
