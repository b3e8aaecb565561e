"""How parsed options become the library's settings, and where secrets are read.

``run_options`` and ``input_options`` turn parsed arguments (``parser``) into the
library's ``RunOptions`` and ``InputOptions``. Secrets are read from the
environment or a file here, never from an option's value, and checked to be one
credential before anything is written or sent.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from ..app import (
    DEFAULTS,
    NOTHING_SENT,
    V6,
    V6_NEEDS_OAUTH,
    ApiKeyAuth,
    Auth,
    Endpoint,
    HandoverTarget,
    InputOptions,
    LedgerTarget,
    OAuth2Auth,
    PhoneForm,
    ReplySettings,
    RunOptions,
    Settings,
    load_reply_settings,
    load_secret,
    secret_warning,
    shown_settings,
)
from ..core.errors import MissingKeyError, UsageError
from ..core.records import Mode
from ..core.text import printable
from .parser import API_KEY_ENV, CLIENT_SECRET_ENV, SANDBOX_RATE

#: A credential file longer than this is not a credential file (a wrong path, a log).
MAX_SECRET_FILE = 64 * 1024


def _credential(value: str, where: str, what: str) -> str:
    """``value`` stripped, when it is one credential; the message never shows the value.

    A key is sent in an HTTP header, so it is printable ASCII without spaces: a
    second line, a space inside, a control character or a non-ASCII letter means
    the file or variable holds something else (two keys, a note, a BOM).
    """
    value = value.strip()
    if not value:
        raise MissingKeyError(f"{where} is empty: it must hold the {what}; nothing was sent")
    if "\n" in value or "\r" in value:
        problem = "more than one line"
    elif any(ch.isspace() for ch in value):
        problem = "a space inside the value"
    elif not all("!" <= ch <= "~" for ch in value):
        problem = "a character no key has (a control character or a non-ASCII letter)"
    else:
        return value
    raise UsageError(
        f"{where} holds {problem}: it must hold the {what} alone, on one line; nothing was sent"
    )


def _read_secret_file(path: Path, what: str) -> str:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_SECRET_FILE + 1)
    except OSError as exc:
        raise UsageError(f"cannot read the {what} file {path}: {exc.strerror}") from None
    where = f"the {what} file {printable(str(path))}"
    if len(data) > MAX_SECRET_FILE:
        raise UsageError(
            f"{where} is larger than {MAX_SECRET_FILE // 1024} KB: it cannot "
            f"be the {what}; check the path (nothing was sent)"
        )
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return _credential(text, where, what)


def _from_env(name: str, what: str) -> str:
    value = os.environ.get(name, "")
    return _credential(value, f"the {name} variable", what) if value.strip() else ""


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
    if getattr(args, "api", None) == V6 and not args.oauth_client_id:
        raise UsageError(V6_NEEDS_OAUTH + NOTHING_SENT)  # before any secret is read
    if args.oauth_client_id:
        if args.oauth_secret_file:
            secret = _read_secret_file(args.oauth_secret_file, "OAuth2 client secret")
        else:
            secret = _from_env(CLIENT_SECRET_ENV, "OAuth2 client secret")
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
        key = _from_env(API_KEY_ENV, "API key")
    if not key:
        raise MissingKeyError(
            f"no API key: set {API_KEY_ENV} or use --api-key-file PATH "
            "(there is no option for the key itself: command lines are visible to other users); "
            "nothing was sent"
        )
    return endpoint, ApiKeyAuth(key)


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
        timeout=args.timeout,
        max_consecutive_failures=args.max_consecutive_failures,
        max_failure_rate=args.max_failure_rate,
        max_wait=args.max_wait,
        verify=not getattr(args, "no_verify", False),
        stop_list=_stop_list(args),
    )


def _stop_list(args: argparse.Namespace) -> bool:
    """``--stop-list``, refused with ``--no-verify``: it adds verified erasures only."""
    wanted = bool(getattr(args, "stop_list", False))
    if wanted and getattr(args, "no_verify", False):
        raise UsageError(
            "--stop-list adds only verified erasures to the vendor's stop list, and "
            "--no-verify verifies none: leave one of them out (nothing was sent)"
        )
    return wanted


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
        request_column=args.request_column,
        received_column=args.received_column,
        extension_column=args.extension_column,
        day_order=args.day_order,
        holidays=args.holidays or "",
        type_column=args.type_column,
        identity_column=args.identity_column,
        hold_column=args.hold_column,
        erasure_types=tuple(args.erasure_type),
    )


def _shown_settings(args: argparse.Namespace, s: Settings) -> tuple[tuple[str, str], ...]:
    return shown_settings(
        s,
        fmt=getattr(args, "format", "json"),
        inputs=input_options(args) if hasattr(args, "phone_form") else None,  # reads an input
        retain_keys=getattr(args, "retain_keys", None),
    )


def run_options(args: argparse.Namespace, mode: Mode) -> RunOptions:
    endpoint, auth = (None, None) if mode is Mode.VALIDATE else endpoint_and_auth(args)
    settings = _settings(args) if mode is not Mode.VALIDATE else Settings()
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
        ledger=_ledger(args, mode, endpoint),
        api=getattr(args, "api", None),
        v6_phone_field=getattr(args, "v6_phone_field", None),
        certificates=getattr(args, "certificates", False),
        receipts=getattr(args, "receipts", False),
        replies=reply_settings(args),
        paper=getattr(args, "paper", "a4"),
        approved_by=getattr(args, "approved_by", None) or "",
    )


def reply_settings(args: argparse.Namespace) -> ReplySettings:
    """The reply-draft options (templates folder and signature file checked now, before
    anything is sent)."""
    return load_reply_settings(
        templates=getattr(args, "reply_templates", None),
        signature_file=getattr(args, "signature_file", None),
        authority=getattr(args, "authority", None),
        name_columns=getattr(args, "name_column", None) or (),
        language_column=getattr(args, "language_column", None),
        fonts=tuple(getattr(args, "font", None) or ()),
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
    return HandoverTarget(path, load_secret(args.hmac_secret_file))


def warn_exposed(secret_file: Path | None) -> None:
    """Say on stderr when the ledger secret's file can be read by others."""
    said = secret_warning(secret_file)
    if said:
        print(f"warning: {printable(said)}", file=sys.stderr)


def _ledger(args: argparse.Namespace, mode: Mode, endpoint: Endpoint | None) -> LedgerTarget | None:
    """The ledger of a run (``run``, ``retry``: recorded; dry run, ``check``: read only)."""
    if mode is Mode.VALIDATE or getattr(args, "no_ledger", False):
        return None
    path: Path | None = getattr(args, "ledger", None)
    if getattr(args, "sandbox", False):
        return LedgerTarget(path)  # the sandbox ledger and its public secret
    if path is None and endpoint is not None and not endpoint.is_production:
        return LedgerTarget()  # a test run: a sandbox ledger beside the report
    # a secret that cannot be used is one line now, not after a million rows were read
    warn_exposed(args.hmac_secret_file)
    # path None: the default ledger (app.keeping.ledger_path resolves it)
    return LedgerTarget(path, secret_file=args.hmac_secret_file)


def with_region(args: argparse.Namespace) -> str:
    """This command (``validate``, ``screen``), as typed, with ``--default-region CC``."""
    words = list(getattr(args, "argv", None) or [args.command, str(args.input)])
    return shlex.join(["batch-anonymizer", *words, "--default-region", "CC"])
