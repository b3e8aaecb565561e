"""Receipts: one JSON object per request of a report, for DSR platforms and scripts.

``NAME.receipts.jsonl`` beside the report ``NAME.xlsx`` (mode 0600, written
atomically, never written over) holds one receipt per line: the request id,
the system (CustomerGauge), the outcome with its Data Rights Protocol status
and reason (``core.protocol``), the dates, each key masked with its status and
code, and the SHA-256 of the report's manifest, which ties the receipt to the
evidence (``verify`` checks the manifest). The receipts are derived from the
report, like the certificates: they are not themselves in the manifest.

Each receipt is valid against ``receipt.schema.json`` (JSON Schema 2020-12),
shipped in the package (``schema_text``). ``write_receipts`` is called by
``run --receipts``; ``receipts_of`` (the ``receipts REPORT`` command) checks
the report against its manifest first, then derives the same requests from
its lines with the rules and the date the run recorded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import IO, Any

from ..core.errors import UsageError
from ..core.files import atomic_write, file_sha256
from ..core.identity import mask
from ..core.protocol import protocol_codes
from ..core.records import RunFacts
from ..core.requests import Request
from .certify import derived_requests, workbook_of

FORMAT = "batch-anonymizer receipt v1"
SYSTEM = "CustomerGauge"
RECEIPTS_SUFFIX = ".receipts.jsonl"
SCHEMA_FILE = "receipt.schema.json"


def schema_text() -> str:
    """The receipts' JSON Schema, as shipped in the package."""
    return resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def receipts_path(xlsx: Path) -> Path:
    """``NAME.receipts.jsonl`` beside the report ``NAME.xlsx``."""
    return xlsx.with_name(xlsx.stem + RECEIPTS_SUFFIX)


def receipt(r: Request, facts: RunFacts, manifest: Path, manifest_sha256: str) -> dict[str, Any]:
    """One request's receipt (see the module docstring); keys masked."""
    status, reason = protocol_codes(r)
    return {
        "format": FORMAT,
        "request_id": r.request,
        "system": SYSTEM,
        "endpoint_host": facts.endpoint_host,
        "run_id": facts.run_id,
        "outcome": r.outcome.value,
        "protocol_status": status,
        "protocol_reason": reason,
        "date_received": r.received.isoformat() if r.received else None,
        "due_date": r.due.isoformat() if r.due else None,
        "completed_at": r.completed_at or None,
        "on_time": r.on_time.value if r.on_time else None,
        "issued_at": facts.ended_at or facts.started_at,
        "keys": [
            {
                "key_type": e.line.key_type.value,
                "key": mask(e.line.key),
                "status": e.outcome.status.value,
                "code": e.outcome.code.value if e.outcome.code else "",
            }
            for e in r.entries
            if e.line.key_type is not None
        ],
        "manifest": {"name": manifest.name, "sha256": manifest_sha256},
    }


def write_receipts(
    xlsx: Path, manifest: Path, requests: Sequence[Request], facts: RunFacts
) -> tuple[Path, int]:
    """Write ``NAME.receipts.jsonl`` (one receipt per request); return its path and count.

    Raises ``UsageError`` when it exists already (receipts are never written over),
    ``ReportError`` when it cannot be written.
    """
    path = receipts_path(xlsx)
    if path.exists():
        raise UsageError(
            f"{path} already exists; receipts are never written over (move it away to "
            "write them again)"
        )
    digest = file_sha256(manifest)
    lines = [
        json.dumps(receipt(r, facts, manifest, digest), ensure_ascii=False, sort_keys=True)
        for r in requests
    ]

    def write(f: IO[bytes]) -> None:
        f.write("".join(line + "\n" for line in lines).encode("utf-8", "surrogatepass"))

    atomic_write((path, write), then="then run `batch-anonymizer receipts REPORT`")
    return path, len(lines)


def receipts_of(report: Path) -> tuple[Path, int]:
    """The receipts of an earlier report (its .xlsx, or a file beside it). Refuses a report
    that differs from its manifest, or has none."""
    xlsx = workbook_of(report, "receipts")
    if receipts_path(xlsx).exists():
        raise UsageError(f"{receipts_path(xlsx)} already exists; receipts are never written over")
    requests, facts, manifest, _ = derived_requests(xlsx, "receipt", "receipts")
    return write_receipts(xlsx, manifest, requests, facts)
