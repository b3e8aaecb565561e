"""Integrity of a run's records: a manifest beside the report, and ``verify``.

``<stem>.manifest.json`` (mode 0600) records the SHA-256 of the input (from the
run facts), of the .xlsx, the .csv, the Requests sheet's ``.requests.csv`` (when
the report has one) and the journal, the run facts, and a hash chain over the
journal's lines::

    h0 = sha256(b"batch-anonymizer journal v1")
    hi = sha256(h(i-1) + line i)          raw 32-byte digests; line i with its newline

The final chain value and the line count are stored, with the first 8 hex
digits of every hi, so ``verify`` can name the first line that changed. The
manifest also holds the SHA-256 of its own canonical body, so an edit to the
manifest itself is found too. After a run ends nothing appends to its files:
any difference is a change.

The certificates folder ``<stem>-certificates/`` has a manifest of its own
(``certificates.manifest.json``: each PDF's SHA-256, and the SHA-256 of the
report's manifest, which every certificate quotes); ``verify`` checks it too
when the folder exists.

This detects accidental and casual changes. Someone who can rewrite all four
files can rewrite the manifest as well; keep the manifest's SHA-256 elsewhere
(the ticket, an email) for that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from ..core.errors import ReportError
from ..core.files import atomic_write, file_sha256
from ..core.records import RunFacts

#: The Requests sheet's csv twin ends in this, beside the report's own csv.
REQUESTS_CSV = ".requests.csv"
#: The hand-back to Transcend (``app.handback``): settled pairs, and the rest.
COMPLETED_CSV = ".transcend-completed.csv"
REMAINING_CSV = ".transcend-remaining.csv"
#: Files beside the report recorded when they are there: (manifest key, suffix, label).
_OPTIONAL = (
    ("requests_csv", REQUESTS_CSV, "requests csv"),
    ("transcend_completed", COMPLETED_CSV, "transcend completed csv"),
    ("transcend_remaining", REMAINING_CSV, "transcend remaining csv"),
)

FORMAT = "batch-anonymizer manifest v1"
CERTIFICATES_FORMAT = "batch-anonymizer certificates manifest v1"
CERTIFICATES_MANIFEST = "certificates.manifest.json"
CERTIFICATES_SUFFIX = "-certificates"
CHAIN_SEED = b"batch-anonymizer journal v1"
MANIFEST_SUFFIX = ".manifest.json"
_TAG = 8  # hex digits of each line's chain value kept in the manifest


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of ``verify``: ``ok``, each problem found, and a one-line summary."""

    ok: bool
    problems: list[str] = field(default_factory=list)
    summary: str = ""


def _chain(path: Path) -> Iterator[bytes]:
    """The chain value after each complete line of ``path``, the file read a block at a
    time: a journal's plan record is one line of hundreds of megabytes at a million rows."""
    h = hashlib.sha256(CHAIN_SEED).digest()
    step = hashlib.sha256(h)  # the chain value before the line, then the line so far
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            start = 0
            while (end := block.find(b"\n", start)) >= 0:
                step.update(block[start : end + 1])
                h = step.digest()
                yield h
                step = hashlib.sha256(h)
                start = end + 1
            step.update(block[start:])  # a torn last line is not part of the chain


_BLOCK = 1 << 20


def _journal_entry(path: Path) -> dict[str, Any]:
    # one buffer of ASCII, not a string per line (two million of them at a million rows)
    tags, h, lines = bytearray(), hashlib.sha256(CHAIN_SEED).digest(), 0
    for h in _chain(path):
        tags += h.hex()[:_TAG].encode()
        lines += 1
    return {
        "name": path.name,
        "size": path.stat().st_size,
        "sha256": file_sha256(path),
        "lines": lines,
        "chain": h.hex(),
        "line_tags": tags.decode("ascii"),
    }


def _file_entry(path: Path) -> dict[str, Any]:
    return {"name": path.name, "size": path.stat().st_size, "sha256": file_sha256(path)}


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False).encode() + b"\n"


def manifest_path(report_path: Path) -> Path:
    """``<stem>.manifest.json`` beside a report's .xlsx, .csv, .journal or manifest."""
    name = report_path.name
    stem = name[: -len(MANIFEST_SUFFIX)] if name.endswith(MANIFEST_SUFFIX) else report_path.stem
    return report_path.with_name(stem + MANIFEST_SUFFIX)


def certificates_dir(report_path: Path) -> Path:
    """``<stem>-certificates`` beside a report's .xlsx, .csv, .journal or manifest."""
    stem = manifest_path(report_path).name[: -len(MANIFEST_SUFFIX)]
    return report_path.with_name(stem + CERTIFICATES_SUFFIX)


def write_manifest(
    xlsx_path: Path, csv_path: Path, journal_path: Path | None, facts: RunFacts
) -> Path:
    """Write ``<report stem>.manifest.json`` (atomically, 0600); return its path.

    The Requests sheet's csv twin and the Transcend hand-back are recorded when there.
    """
    beside = [(key, xlsx_path.with_name(xlsx_path.stem + suffix)) for key, suffix, _ in _OPTIONAL]
    try:
        journal = _journal_entry(journal_path) if journal_path and journal_path.exists() else None
        body: dict[str, Any] = {
            "format": FORMAT,
            "run_id": facts.run_id,
            "input": {
                "name": facts.input_name,
                "size": facts.input_size,
                "sha256": facts.input_sha256,
            },
            "xlsx": _file_entry(xlsx_path),
            "csv": _file_entry(csv_path),
            "journal": journal,
            **{key: _file_entry(path) for key, path in beside if path.exists()},
            "facts": asdict(facts),
        }
    except OSError as e:
        raise ReportError(
            f"cannot read {e.filename} to write the manifest ({e.strerror}); "
            "check the report folder, then run the command again"
        ) from e
    body["manifest_sha256"] = hashlib.sha256(_canonical(body)).hexdigest()
    path = manifest_path(xlsx_path)

    def write(f: IO[bytes]) -> None:
        f.write(_canonical(body))

    atomic_write((path, write))
    return path


def verify(report_path: Path) -> VerifyResult:
    """Check the report, csv and journal beside ``report_path`` against their manifest.

    ``report_path`` may be the .xlsx, .csv, .journal or the manifest. Raises
    ``ReportError`` when there is no manifest to check against.
    """
    mpath = manifest_path(report_path)
    stem = mpath.name[: -len(MANIFEST_SUFFIX)]
    if not mpath.exists():
        raise ReportError(
            f"no manifest {mpath.name} beside {report_path.name}: this report cannot be "
            "verified; give the .xlsx, .csv or .journal of a finished run"
        )
    raw = mpath.read_bytes()
    try:
        body = json.loads(raw)
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise ValueError("not a manifest of this tool")
    except (ValueError, UnicodeDecodeError):
        return _result(["manifest is damaged or edited (not a manifest this tool wrote)"], "", [])
    run_id = str(body.get("run_id", ""))
    problems: list[str] = []
    claimed = body.pop("manifest_sha256", "")
    if (
        hashlib.sha256(_canonical(body)).hexdigest() != claimed
        or _canonical({**body, "manifest_sha256": claimed}) != raw
    ):
        problems.append("manifest was edited (its own SHA-256 does not match)")
    for key, label in (("xlsx", "report xlsx"), ("csv", "rows csv")):
        entry = body.get(key) or {}
        path = mpath.with_name(stem + "." + key)
        problems += _check_file(path, label, entry)
    for key, suffix, label in _OPTIONAL:
        path = mpath.with_name(stem + suffix)
        if key in body:
            problems += _check_file(path, label, body[key] or {})
        elif path.exists():
            problems.append(f"{label} {path.name} appeared after the manifest was written")
    entry = body.get("journal")
    jpath = mpath.with_name(stem + ".journal")
    if entry is None:
        if jpath.exists():
            problems.append(f"journal {jpath.name} appeared after the manifest was written")
    else:
        problems += _check_journal(jpath, entry)
    folder = mpath.with_name(stem + CERTIFICATES_SUFFIX)
    certificates = None
    redaction = body.get("redaction") if isinstance(body.get("redaction"), dict) else None
    if folder.exists():
        # certificates written before a redaction quote the manifest of the run's own files
        quoted = str((redaction or {}).get("original_manifest", {}).get("sha256", ""))
        gone = frozenset(str(n) for n in (redaction or {}).get("removed_drafts", []) or [])
        found, certificates = check_certificates(folder, mpath, also=quoted, gone=gone)
        problems += found
    files = ["report", "csv"] + [label for key, _, label in _OPTIONAL if key in body]
    if entry is not None:
        files.append("journal")
    if certificates is not None:
        files.append(f"{certificates:,} certificate{'' if certificates == 1 else 's'}")
    result = _result(problems, run_id, files)
    if redaction is not None and result.ok:
        original = str(redaction.get("original_manifest", {}).get("sha256", ""))
        note = (
            f"; keys redacted {redaction.get('redacted_at', '')} from the run's files "
            f"(their manifest: sha256 {original[:12]}…)"
        )
        return VerifyResult(True, [], result.summary + note)
    return result


def read_manifest(path: Path) -> dict[str, Any]:
    """The body of the manifest beside ``path``; raises ``ReportError`` when there is none
    or it is not one this tool wrote."""
    mpath = manifest_path(path)
    try:
        body = json.loads(mpath.read_bytes())
    except OSError as e:
        raise ReportError(
            f"cannot read the manifest {mpath.name} ({e.strerror}); give a report of a "
            "finished run (its .xlsx, .csv or .journal, with the manifest beside it)"
        ) from e
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise ReportError(f"{mpath.name} is damaged or not a manifest of this tool")
    return body


def redacted_manifest(
    old: dict[str, Any],
    new_files: dict[str, Path],
    facts: dict[str, Any],
    redaction: dict[str, Any],
) -> bytes:
    """The manifest of a redacted report: the redacted files (``new_files``, written under
    temporary names; keyed as in the manifest ``old``) and facts, and in ``redaction`` what
    the run's own files were (size, SHA-256, journal chain)."""
    body = {k: v for k, v in old.items() if k != "manifest_sha256"}
    original = {}
    for key, path in new_files.items():
        was = dict(old[key])
        was.pop("line_tags", None)  # the chain value and line count identify it
        original[key] = was
        entry = _journal_entry(path) if key == "journal" else _file_entry(path)
        body[key] = {**entry, "name": was["name"]}
    body["facts"] = facts
    body["redaction"] = {**redaction, "original": original}
    body["manifest_sha256"] = hashlib.sha256(_canonical(body)).hexdigest()
    return _canonical(body)


def _check_file(path: Path, label: str, entry: dict[str, Any]) -> list[str]:
    if not path.exists():
        return [f"{label} {path.name} is missing"]
    digest = file_sha256(path)
    if digest != entry.get("sha256"):
        return [
            f"{label} differs from the manifest (sha256 {digest[:12]}…, manifest has "
            f"{str(entry.get('sha256', ''))[:12]}…)"
        ]
    return []


def _check_journal(path: Path, entry: dict[str, Any]) -> list[str]:
    if not path.exists():
        return [f"journal {path.name} is missing"]
    if file_sha256(path) == entry.get("sha256"):
        return []
    tags = str(entry.get("line_tags", ""))
    expected = int(entry.get("lines", 0))
    n = 0
    for n, h in enumerate(_chain(path), 1):
        if n > expected:
            return [f"journal has lines after line {expected:,} that the manifest does not know"]
        if h.hex()[:_TAG] != tags[(n - 1) * _TAG : n * _TAG]:
            return [f"journal chain broken at line {n:,}"]
    if n < expected:
        return [f"journal ends at line {n:,}; the manifest recorded {expected:,} lines"]
    return ["journal differs from the manifest after its last complete line"]


def _result(problems: list[str], run_id: str, files: list[str]) -> VerifyResult:
    if problems:
        return VerifyResult(False, problems, "CHANGED: " + "; ".join(problems))
    named = ", ".join(files[:-1]) + " and " + files[-1]
    return VerifyResult(True, [], f"verified: {named} unchanged since run {run_id}")


# -- the certificates folder ----------------------------------------------------------


def write_certificates_manifest(
    folder: Path,
    report_manifest: Path,
    run_id: str,
    files: list[tuple[str, Path]],
    drafts: list[tuple[str, Path]] | None = None,
) -> Path:
    """Write ``certificates.manifest.json`` in ``folder`` (0600): the SHA-256 of the report's
    manifest and of each (request, certificate file), and of each reply draft; return its
    path."""
    body: dict[str, Any] = {
        "format": CERTIFICATES_FORMAT,
        "run_id": run_id,
        "report_manifest": _file_entry(report_manifest),
        "certificates": [{"request": request, **_file_entry(p)} for request, p in files],
    }
    if drafts:
        body["drafts"] = [{"request": request, **_file_entry(p)} for request, p in drafts]
    body["manifest_sha256"] = hashlib.sha256(_canonical(body)).hexdigest()
    path = folder / CERTIFICATES_MANIFEST
    data = _canonical(body)

    def write(f: IO[bytes]) -> None:
        f.write(data)

    atomic_write((path, write))
    return path


def check_certificates(
    folder: Path, report_manifest: Path, *, also: str = "", gone: frozenset[str] = frozenset()
) -> tuple[list[str], int | None]:
    """What differs in a certificates folder from its manifest, and how many certificates
    it lists (None when its manifest cannot be read). ``also``: the SHA-256 of an earlier
    manifest of the same report the certificates may quote (before a redaction); ``gone``:
    reply drafts a redaction removed (they held addresses), accepted missing."""
    mpath = folder / CERTIFICATES_MANIFEST
    if not mpath.exists():
        return [f"certificates folder {folder.name} has no {CERTIFICATES_MANIFEST}"], None
    raw = mpath.read_bytes()
    try:
        body = json.loads(raw)
        if not isinstance(body, dict) or body.get("format") != CERTIFICATES_FORMAT:
            raise ValueError("not a certificates manifest of this tool")
        listed = [dict(c) for c in body.get("certificates", [])]
        drafts = [dict(c) for c in body.get("drafts", [])]
    except (ValueError, UnicodeDecodeError, TypeError):
        return ["certificates manifest is damaged or edited"], None
    problems = []
    claimed = body.pop("manifest_sha256", "")
    if (
        hashlib.sha256(_canonical(body)).hexdigest() != claimed
        or _canonical({**body, "manifest_sha256": claimed}) != raw
    ):
        problems.append("certificates manifest was edited (its own SHA-256 does not match)")
    own = body.get("report_manifest") or {}
    quoted = own.get("sha256")
    if report_manifest.exists() and quoted not in (file_sha256(report_manifest), also or None):
        problems.append(
            f"the certificates quote another manifest than {report_manifest.name} "
            "(its SHA-256 differs)"
        )
    names = set()
    for c in listed:
        name = str(c.get("name", ""))
        names.add(name)
        problems += _check_file(folder / name, "certificate", c)
    for c in drafts:
        name = str(c.get("name", ""))
        names.add(name)
        if name in gone and not (folder / name).exists():
            continue
        problems += _check_file(folder / name, "reply draft", c)
    for p in sorted(folder.iterdir()):
        if p.name not in names and p.name != CERTIFICATES_MANIFEST:
            problems.append(f"certificates folder holds {p.name}, which its manifest does not list")
    return problems, len(listed)
