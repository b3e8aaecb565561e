"""The library's option records: how to read the input, where and how to send, where to write."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..api.auth import Auth
from ..api.endpoint import Endpoint
from ..api.settings import Settings
from ..audit.drafts import ReplySettings
from ..core.records import Mode
from ..input.dates import DayOrder
from ..input.validate import PhoneForm


@dataclass(frozen=True, slots=True)
class InputOptions:
    """How to read the input and find its keys.

    ``email_columns`` / ``phone_columns``, when given, are the complete list of
    that type's key columns; otherwise key columns are found by their headers
    (and cells), less ``ignore_columns``. ``request_column``,
    ``received_column`` and ``extension_column`` name the columns of the
    request id, the date received and the extension (default: found by header);
    ``day_order`` says how typed dates such as 05/03/2024 read; ``holidays`` is
    the country (``GB``, ``GB-ENG``) whose public holidays move a due date.
    ``type_column``, ``identity_column`` and ``hold_column`` name the columns
    that decide whether a row may be erased (default: found by header);
    ``erasure_types`` are request-type values to read as erasure requests.
    """

    sheet: str | int | None = None
    all_sheets: bool = False
    hidden_sheets: bool = False  # all_sheets reads hidden sheets too (screen writes them back)
    skip_keyless: bool = False  # all_sheets leaves out (and names) a sheet without key columns
    header_row: int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    email_columns: tuple[str, ...] = ()
    phone_columns: tuple[str, ...] = ()
    ignore_columns: tuple[str, ...] = ()
    default_region: str | None = None
    where: tuple[tuple[str, str], ...] = ()
    phone_form: PhoneForm = PhoneForm.VENDOR  # how telephones are sent
    request_column: str | None = None
    received_column: str | None = None
    extension_column: str | None = None
    day_order: DayOrder | None = None
    holidays: str = ""
    type_column: str | None = None
    identity_column: str | None = None
    hold_column: str | None = None
    erasure_types: tuple[str, ...] = ()
    # False: no column decides which rows may be erased (``screen`` compares every row of
    # a list to upload, whatever its columns say)
    gates: bool = True


#: The input options a run's facts record (``setting.<name>``), with their command-line
#: option: a resume must repeat them, or the earlier run's lines would not match its own.
INPUT_SETTINGS = {
    "default_region": "--default-region",
    "phone_form": "--phone-form",
    "sheet": "--sheet",
    "email_column": "--email-column",
    "phone_column": "--phone-column",
    "ignore_column": "--ignore-column",
    "where": "--where",
    "type_column": "--type-column",
    "identity_column": "--identity-column",
    "hold_column": "--hold-column",
    "erasure_type": "--erasure-type",
}


def input_settings(opts: InputOptions) -> tuple[tuple[str, str], ...]:
    """``opts`` as run-fact settings: ``phone_form`` always, the others when given."""
    values = {
        "default_region": opts.default_region or "",
        "phone_form": opts.phone_form.value,
        "sheet": "" if opts.sheet is None else str(opts.sheet),
        "email_column": ", ".join(opts.email_columns),
        "phone_column": ", ".join(opts.phone_columns),
        "ignore_column": ", ".join(opts.ignore_columns),
        "where": "; ".join(f"{col}={val}" for col, val in opts.where),
        "type_column": opts.type_column or "",
        "identity_column": opts.identity_column or "",
        "hold_column": opts.hold_column or "",
        "erasure_type": "; ".join(opts.erasure_types),
    }
    return tuple((name, v) for name, v in values.items() if v)


def shown_settings(
    s: Settings,
    *,
    fmt: str = "json",
    inputs: InputOptions | None = None,
    retain_keys: int | None = None,
) -> tuple[tuple[str, str], ...]:
    """The settings a run's facts record (``RunOptions.settings_shown``), as people read them:
    the sending settings, the answer format, the input options (``inputs``, for a command
    that reads an input), the stop list when on, and ``retain_keys`` when given."""
    shown = [
        ("rate", "unlimited" if s.rate is None else f"{s.rate:g}/s"),
        ("concurrency", str(s.workers)),
        ("max_retries", str(s.max_retries)),
        ("timeout", f"{s.timeout:g} s"),
        ("max_consecutive_failures", str(s.max_consecutive_failures)),
        ("max_failure_rate", f"{s.max_failure_rate:.0%}"),
        ("max_wait", f"{s.max_wait:g} s"),
        ("verify", "yes: each key looked up before and after" if s.verify else "no (--no-verify)"),
        ("format", fmt),
    ]
    if inputs is not None:
        shown += input_settings(inputs)
    if s.stop_list:
        shown.append(("stop_list", "yes: verified erased emails added to the vendor's list"))
    if retain_keys is not None:  # read back by `redact DIR` (app.redact.reports_in): days first
        shown.append(
            ("retain_keys", f"{retain_keys} days: the keys may be redacted that long after the run")
        )
    return tuple(shown)


@dataclass(frozen=True, slots=True)
class HandoverTarget:
    """Where to write the pseudonymised copy at the end of a run, and the secret to use."""

    path: Path
    secret: bytes = field(repr=False)  # never shown: it makes the pseudonyms guessable


@dataclass(frozen=True, slots=True)
class LedgerTarget:
    """The erasure ledger a run records into (``state.ledger``), and the secret for its hashes.

    ``path`` None: the default ledger (``state.secret.default_ledger``), or for a
    run against the built-in sandbox, ``sandbox-ledger.sqlite3`` beside the
    report. A built-in sandbox run always uses the public ``SANDBOX_SECRET``
    and a sandbox ledger. Any other run uses ``secret``, else the secret in
    ``secret_file``, else ``BATCH_ANONYMIZER_HMAC_KEY``, else the one created
    in the config folder (created by the first run that records, never by a
    dry run or ``check``). ``busy_timeout``: seconds to wait for a ledger
    another run is writing.
    """

    path: Path | None = None
    secret: bytes | None = field(default=None, repr=False)  # never shown
    secret_file: Path | None = None
    busy_timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Where to send and how; where to write.

    ``endpoint`` None means the built-in sandbox (started for the run, seeded
    with the run's keys, or from the records file ``sandbox_records``).
    ``mode`` is a ``Mode`` (or its text: ``run``, ``dry-run``, ``retry``, ``check``,
    ``validate``).
    ``api`` is the anonymize API, ``"v4.1"`` or ``"v6"`` (OAuth2 only); None:
    the API of the run a resume or retry continues, else v4.1.
    ``v6_phone_field`` names v6's telephone field, ``"phone"`` or
    ``"telephone"``; None: the earlier run's, else ``"phone"``.
    ``today`` is the day the requests' deadlines are counted against (default:
    the UTC date when the run starts); ``certificates``: also write one PDF per
    request beside the report.
    """

    endpoint: Endpoint | None
    auth: Auth | None
    settings: Settings = field(default_factory=Settings)
    mode: Mode = Mode.RUN
    report: Path | None = None  # xlsx path; default reports/<input>-<UTC>.xlsx
    reports_dir: Path = Path("reports")
    sandbox_faults: str | None = None
    sandbox_records: Path | None = None  # seeds the built-in sandbox instead of the keys
    fmt: str = "json"  # answer format, also for the built-in sandbox
    settings_shown: tuple[tuple[str, str], ...] = ()  # as recorded in the run facts
    handover: HandoverTarget | None = None
    ledger: LedgerTarget | None = None  # None: no ledger (the command line keeps one)
    api: str | None = None
    v6_phone_field: str | None = None
    today: dt.date | None = None
    certificates: bool = False
    receipts: bool = False  # also write one JSON receipt per request (``app.receipts``)
    # how the reply drafts beside the certificates are made (templates, signature, columns)
    replies: ReplySettings = field(default_factory=ReplySettings)

    paper: str = "a4"  # the paper the workbook's sheets print on: "a4" or "letter"
    # who approved the decisions (--approved-by): the register and certificates name them
    approved_by: str = ""

    def __post_init__(self) -> None:
        # a caller may give the mode as its text ("dry-run"): the same mode, as the enum
        object.__setattr__(self, "mode", Mode(self.mode))

    @property
    def sends(self) -> bool:
        """Whether this mode sends anonymize requests."""
        return self.mode.sends

    @property
    def rehearsal(self) -> bool:
        """A test run: to a host that is not CustomerGauge's production API (a standalone
        sandbox, a test server, loopback included), with no ``--ledger`` named for it.

        Its ledger is a sandbox ledger beside the report, never the real one, and its
        outputs say it was a test run. The built-in sandbox (``endpoint`` None) is not a
        rehearsal in this sense: it is the sandbox itself.
        """
        if self.endpoint is None or self.endpoint.is_production:
            return False
        return self.ledger is None or self.ledger.path is None

    @property
    def dry(self) -> bool:
        """Whether nothing at all is sent (dry run, validation)."""
        return self.mode.dry
