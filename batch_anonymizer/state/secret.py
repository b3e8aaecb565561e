"""Where the erasure ledger lives, and the secret its keyed hashes are made with.

The ledger's default file is in the user's data folder, the secret created
for it in the user's config folder (``platformdirs`` knows both for each
platform). ``BATCH_ANONYMIZER_LEDGER`` names another ledger file (one shared
between colleagues); ``BATCH_ANONYMIZER_CONFIG_DIR`` another config folder.

The secret is the handover secret (``--hmac-secret-file`` or
``BATCH_ANONYMIZER_HMAC_KEY``, read by ``load_secret``).
Without one, a random secret is created once in the config folder, mode 0600,
and used from then on. Creating it is atomic (written whole to a temporary
file, then linked into place), so two runs starting together end up with the
same secret.

A ledger of the built-in sandbox's runs is kept apart from the real one and
made with ``SANDBOX_SECRET``, which is public on purpose: a sandbox ledger holds
only fictional people, and anyone may read it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ..core.errors import UsageError
from ..core.files import private_dir

APP_NAME = "batch-anonymizer"
LEDGER_ENV = "BATCH_ANONYMIZER_LEDGER"
CONFIG_ENV = "BATCH_ANONYMIZER_CONFIG_DIR"
LEDGER_NAME = "ledger.sqlite3"
SANDBOX_LEDGER_NAME = "sandbox-ledger.sqlite3"
SECRET_NAME = "hmac-secret"  # noqa: S105 -- the file's name, not a secret
#: The secret of every sandbox ledger. Public: a sandbox ledger holds fictional people only.
SANDBOX_SECRET = b"batch-anonymizer sandbox ledger: not a secret"
#: The variable that may hold the secret (of the ledger and of the handover copy).
SECRET_ENV = "BATCH_ANONYMIZER_HMAC_KEY"  # noqa: S105 -- the variable's name, not a secret
MIN_SECRET = 16  # bytes; phone numbers are few enough to guess through a short secret
MAX_SECRET_FILE = 64 * 1024  # bytes read at most: a secret is one line, /dev/zero is not one


def default_ledger() -> Path:
    """The ledger file: ``BATCH_ANONYMIZER_LEDGER``, else ``ledger.sqlite3`` in the data folder."""
    named = os.environ.get(LEDGER_ENV, "").strip()
    if named:
        return Path(named).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / LEDGER_NAME


def config_dir() -> Path:
    """The folder of the created secret: ``BATCH_ANONYMIZER_CONFIG_DIR``, else the user's."""
    named = os.environ.get(CONFIG_ENV, "").strip()
    if named:
        return Path(named).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def default_secret_file() -> Path:
    """Where the secret is created when none is given."""
    return config_dir() / SECRET_NAME


@dataclass(frozen=True, slots=True)
class Secret:
    """The ledger's secret, where it came from, and whether it was created just now."""

    value: bytes
    source: str  # a file path or the variable's name, for messages (never the value)
    created: bool = False

    def __repr__(self) -> str:  # never shown: it makes every pseudonym guessable
        return f"Secret(source={self.source!r}, created={self.created})"


def load_secret(file: Path | None) -> bytes:
    """The HMAC secret from ``file`` (trailing newline ignored), else from the environment."""
    if file is not None:
        try:
            with file.open("rb") as f:
                secret = f.read(MAX_SECRET_FILE + 1)
        except OSError as e:
            raise UsageError(
                f"cannot read the handover secret file {file} ({e.strerror}); "
                "give a readable file holding the secret"
            ) from e
        if len(secret) > MAX_SECRET_FILE:
            raise UsageError(
                f"the secret file {file} holds more than {MAX_SECRET_FILE // 1024} KiB: it is "
                "not a secret file; give a file holding one line (for example made with "
                "`openssl rand -hex 32 > FILE`)"
            )
        secret = secret.rstrip(b"\r\n")
        where = str(file)
    else:
        secret = os.environ.get(SECRET_ENV, "").encode()
        where = SECRET_ENV
        if not secret:
            raise UsageError(
                f"no handover secret: give --handover-secret-file PATH or set {SECRET_ENV}; "
                "keep the same secret to look keys up in the copy later"
            )
    if len(secret) < MIN_SECRET:
        raise UsageError(
            f"the handover secret in {where} is shorter than {MIN_SECRET} bytes; use a long "
            "random one (for example `openssl rand -hex 32`)"
        )
    return secret


def find_secret(file: Path | None, *, create: bool) -> Secret | None:
    """The secret given (``file``, else ``BATCH_ANONYMIZER_HMAC_KEY``), else the created one.

    With ``create``, a missing created secret is made now (``Secret.created``);
    without, None is returned when there is none. Raises ``UsageError`` for an
    unreadable or too short secret.
    """
    if file is not None or os.environ.get(SECRET_ENV, ""):
        where = str(file) if file is not None else SECRET_ENV
        return Secret(load_secret(file), where)
    path = default_secret_file()
    if path.exists():
        return Secret(load_secret(path), str(path))
    if not create:
        return None
    created = _create(path)
    return Secret(load_secret(path), str(path), created)


def exposed(secret: Secret) -> str:
    """A warning when the secret's file can be read by others ("" when it cannot, or when
    the secret came from the environment).

    Anyone who reads the secret can tell whom every ledger entry names (a keyed hash
    of an email is checked in a moment), so its file should be the owner's alone.
    Warned about, not refused: the file may sit on a share whose modes mean nothing.
    """
    if secret.source == SECRET_ENV:
        return ""
    path = Path(secret.source)
    try:
        st = path.stat()
    except OSError:
        return ""
    mode = stat.S_IMODE(st.st_mode)
    if not stat.S_ISREG(st.st_mode) or not mode & 0o077:
        return ""
    return (
        f"the ledger secret file {path} can be read by others (mode {mode:04o}): whoever "
        f"reads it can tell whom the ledger names; make it yours alone with `chmod 600 {path}`"
    )


def missing_secret(ledger: Path, fingerprint: str, where: str) -> str:
    """Why a ledger that holds entries is not given a new secret, and how to restore it."""
    kept = where or str(default_secret_file())
    return (
        f"the secret of the ledger {ledger} (fingerprint {fingerprint}) was kept in {kept}, "
        "which is missing: restore that file from your backup (one line, 64 hex "
        f"characters; mode 0600), or give the secret with --hmac-secret-file PATH or "
        f"{SECRET_ENV}. A new secret would match none of the ledger's entries, so none "
        "was made"
    )


def _create(path: Path) -> bool:
    """Write a new random secret at ``path`` unless one appeared first; True if this one did."""
    try:
        private_dir(path.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(secrets.token_hex(32) + "\n")
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, path)  # fails if another run created it first: then use that one
            except FileExistsError:
                return False
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    except OSError as exc:
        raise UsageError(
            f"cannot create the ledger secret {path} ({exc.strerror or exc}); give one with "
            f"--hmac-secret-file PATH or {SECRET_ENV}, or set {CONFIG_ENV} to a writable folder"
        ) from None


def fingerprint(secret: bytes) -> str:
    """A short fingerprint that tells two secrets apart and reveals neither."""
    return hashlib.sha256(b"batch-anonymizer secret fingerprint\x00" + secret).hexdigest()[:16]
