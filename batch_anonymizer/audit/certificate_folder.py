"""The certificates folder beside a report: one PDF per request, and its own manifest.

``NAME-certificates/`` (mode 0700) holds ``<request>.pdf`` for every request, and its
reply drafts ``<request>.eml`` and ``<request>.txt``
(mode 0600; the request id made into a safe file name, unique even when two
ids make the same one, ignoring case as macOS and Windows do) and
``certificates.manifest.json``, which ``verify`` checks. A request id that
holds an email or a telephone (some trackers use the person's address as the
ticket id) is masked wherever a certificate shows it: ``shown_request``. The folder is made
under a temporary name and renamed when complete, so a crash never leaves a
half folder under the real name; an existing folder is never written over.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ..core.errors import ReportError, UsageError
from ..core.identity import mask_keys_in
from ..core.requests import Request, RequestOutcome
from .manifest import write_certificates_manifest

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME = 80
# Names Windows will not open as files, whatever their extension.
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)}
)


def shown_request(r: Request) -> Request:
    """``r`` as a certificate shows it: its request id, the ids of the requests that sent
    its keys and those its keys were sent for, each with any key in it masked
    (``alice.h@example.com`` -> ``a***@example.com``): a certificate names nobody by a
    request id, least of all another person."""
    return replace(
        r,
        request=mask_keys_in(r.request),
        duplicate_of=tuple(mask_keys_in(d) for d in r.duplicate_of),
        entries=tuple(replace(e, via=mask_keys_in(e.via)) if e.via else e for e in r.entries),
    )


def certificate_names(requests: Sequence[str]) -> list[str]:
    """A safe, unique file name (``REQ-1001.pdf``) for each request id, in order; a key in
    an id is masked first (``a***@example.com`` makes ``a_example.com.pdf``)."""
    used: set[str] = set()
    names = []
    for request in requests:
        base = _UNSAFE.sub("_", mask_keys_in(request)).strip("._-")[:_MAX_NAME] or "request"
        if base.split(".")[0].upper() in _RESERVED:
            base = "_" + base
        name, n = base, 1
        while name.casefold() in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name.casefold())
        names.append(name + ".pdf")
    return names


def certified(requests: Sequence[Request]) -> list[Request]:
    """The requests that get a certificate and reply drafts (all but those left out by
    --where), each as a certificate shows it (``shown_request``)."""
    return [shown_request(r) for r in requests if r.outcome is not RequestOutcome.SKIPPED]


def draft_names(requests: Sequence[Request]) -> list[str]:
    """Per request, the file name of its ``.eml`` reply draft in the certificates folder
    (``REQ-1.eml``; "" for a request left out by --where, which has none): the names
    ``app.certify`` writes."""
    names = iter(certificate_names([r.request for r in certified(requests)]))
    return [
        "" if r.outcome is RequestOutcome.SKIPPED else next(names).removesuffix(".pdf") + ".eml"
        for r in requests
    ]


def write_folder(
    folder: Path,
    certificates: Sequence[tuple[str, str, bytes]],
    report_manifest: Path,
    run_id: str,
    drafts: Sequence[tuple[str, str, bytes]] = (),
) -> Path:
    """Write (request, file name, PDF) into ``folder`` with its manifest, and the reply
    drafts (request, file name, bytes) beside them, listed too; return the folder.

    Raises ``UsageError`` when the folder exists, ``ReportError`` when it cannot be written.
    """
    if folder.exists() or folder.is_symlink():
        raise UsageError(
            f"{folder} already exists; certificates are never written over: move it away "
            "(or keep it: `batch-anonymizer verify` checks it)"
        )
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    except OSError as e:
        raise ReportError(f"cannot write the certificates beside the report ({e.strerror})") from e
    try:
        files = [(request, _write(tmp / name, pdf)) for request, name, pdf in certificates]
        replies = [(request, _write(tmp / name, data)) for request, name, data in drafts]
        write_certificates_manifest(tmp, report_manifest, run_id, files, replies)
        os.rename(tmp, folder)
    except OSError as e:
        raise ReportError(
            f"cannot write the certificates into {folder} ({e.strerror or e}); free some space "
            "or fix the folder, then run `batch-anonymizer certificates REPORT`"
        ) from e
    finally:
        if tmp.exists():
            with contextlib.suppress(OSError):
                shutil.rmtree(tmp)
    return folder


def _write(path: Path, data: bytes) -> Path:
    """``data`` into a new private file at ``path``, synced; return ``path``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return path
