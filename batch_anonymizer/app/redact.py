"""``redact``: a finished report's files turned into their pseudonymised form, in place.

Every key in the workbook, its csv twins and the journal becomes its masked
hint and keyed hash (``audit.redactkeys``: the handover copy's form, the
ledger's secret), the input's other cells that held a key are blanked, and a
new manifest records the SHA-256 of each file as the run wrote it and as
redacted, so ``verify`` still ties the redacted files to the run. The files
are replaced all at once or not at all (``audit.redactcommit``).

Refused, saying why: a report that does not verify (unless
``accept_changed_evidence``) and a run with pending keys (their keys are
needed to finish them; unless ``force``). A report already redacted is left
as it is.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from ..audit.manifest import (
    CERTIFICATES_MANIFEST,
    MANIFEST_SUFFIX,
    certificates_dir,
    manifest_path,
    read_manifest,
    redacted_manifest,
    verify,
)
from ..audit.redactcommit import commit, finish_redaction, step, write_temp
from ..audit.redactfiles import leftover_keys, redact_csv, redact_xlsx
from ..audit.redactkeys import KeyMatcher, RunKey
from ..audit.report import requests_csv_path
from ..audit.reportread import read_report
from ..core.errors import EvidenceChangedError, ReportError, UsageError
from ..core.files import file_sha256
from ..core.records import KeyType, Status
from ..core.timefmt import iso_now, parse_iso, utc_now
from ..core.version import __version__
from ..state.redactjournal import journal_keys, redact_journal, redact_value
from ..state.runlock import journal_of, run_lock
from ..state.secret import SANDBOX_SECRET, SECRET_ENV, find_secret, fingerprint

#: The run-fact setting ``run --retain-keys DAYS`` records.
RETAIN_SETTING = "retain_keys"


@dataclass(frozen=True, slots=True)
class Redacted:
    """What ``redact_report`` did: the report, its run, how many keys and cells it redacted."""

    xlsx: Path
    run_id: str
    keys: int = 0
    cells: int = 0
    already: str = ""  # when the report was redacted before: then
    # certificates written before, whose request id is a key (left as they are)
    keyed_certificates: int = 0
    # reply drafts (.eml) removed from the certificates folder: each held the person's
    # address in full (To:)
    reply_drafts: int = 0
    recovered: str = ""  # an interrupted redaction found first: "completed" / "rolled back"


def _files(xlsx: Path) -> dict[str, Path]:
    """The report's files as the manifest names them (those that exist), the manifest last."""
    files = {"xlsx": xlsx, "csv": xlsx.with_suffix(".csv")}
    for key, path in (
        ("requests_csv", requests_csv_path(xlsx)),
        ("journal", xlsx.with_suffix(".journal")),
    ):
        if path.exists():
            files[key] = path
    return files


def report_of(path: Path) -> Path:
    """The .xlsx of the report that ``path`` (its .xlsx, a csv twin, journal or manifest) is of."""
    stem = manifest_path(path).name[: -len(MANIFEST_SUFFIX)]
    if path.name.endswith(".requests.csv"):
        stem = path.name[: -len(".requests.csv")]
    return path.with_name(stem + ".xlsx")


def _settings(body: dict[str, Any]) -> dict[str, str]:
    pairs = (body.get("facts") or {}).get("settings") or []
    return {str(k): str(v) for k, v in pairs}


def _secret(file: Path | None, settings: dict[str, str]) -> bytes:
    """The ledger's secret for this run: the sandbox's for a sandbox run, else the one given
    or created; refused when the run's ledger was made with another."""
    recorded = settings.get("ledger_secret_fingerprint", "")
    given = file is not None or bool(os.environ.get(SECRET_ENV))
    if recorded and recorded == fingerprint(SANDBOX_SECRET) and not given:
        return SANDBOX_SECRET
    found = find_secret(file, create=True)
    assert found is not None
    if recorded and fingerprint(found.value) != recorded:
        raise UsageError(
            f"the run's ledger was made with another secret (fingerprint {recorded}) than "
            f"{found.source}; give that one with --hmac-secret-file PATH, so the keyed hashes "
            "of the redacted report match the ledger's. Nothing was changed"
        )
    return found.value


def _keys(files: dict[str, Path]) -> list[RunKey]:
    """Every key of the run: the journal's lines, and each report line's key as sent and
    the input cell it was taken from."""
    keys = journal_keys(files["journal"]) if "journal" in files else []
    rep = read_report(files["csv"])
    for row in rep.rows:
        written = (
            row.get(rep.input_headers[rep.input_columns.index(c)], "")
            if (c := row.get("source_column", "")) in rep.input_columns
            else ""
        )
        if row["key"].strip() or written.strip():
            kt = KeyType(row["key_type"]) if row["key_type"] else None
            keys.append(RunKey(kt, row["key"] or written, (written,)))
    return keys


def refuse_pending(xlsx: Path) -> int:
    """How many keys of the report are ``pending``."""
    return sum(r["status"] == Status.PENDING for r in read_report(xlsx.with_suffix(".csv")).rows)


def redact_report(
    report: Path,
    secret_file: Path | None = None,
    *,
    accept_changed_evidence: bool = False,
    force: bool = False,
) -> Redacted:
    """Redact the report ``report`` (any of its files) in place; see the module's text.

    Raises ``EvidenceChangedError`` for a report that does not verify,
    ``UsageError`` for one with pending keys or another secret than its ledger's,
    ``RunLockedError`` while another process (a run going on, a retry) holds the run.
    """
    xlsx = report_of(report)
    # One process per run: a live run, or a retry of it, still needs these keys.
    with run_lock(journal_of(xlsx), f"batch-anonymizer redact {xlsx.name}"):
        return _redact(xlsx, secret_file, accept_changed_evidence, force)


def _redact(
    xlsx: Path, secret_file: Path | None, accept_changed_evidence: bool, force: bool
) -> Redacted:
    recovered = finish_redaction(xlsx)
    body = read_manifest(xlsx)
    run_id = str(body.get("run_id", ""))
    done = body.get("redaction")
    if isinstance(done, dict):
        removed = _remove_drafts(xlsx, done.get("removed_drafts"))  # a crash may have left some
        return Redacted(xlsx, run_id, already=str(done.get("redacted_at", "")),
                        recovered=recovered, reply_drafts=removed)  # fmt: skip
    result = verify(xlsx)
    if not result.ok and not accept_changed_evidence:
        raise EvidenceChangedError(
            f"redact refused: {xlsx.name} is not as the run wrote it ({result.summary}); "
            "nothing was changed. Redact it anyway with --accept-changed-evidence (the new "
            "manifest records what differed)",
            problems=tuple(result.problems),
        )
    pending = refuse_pending(xlsx)
    if pending and not force:
        raise UsageError(
            f"redact refused: {pending} key(s) of {xlsx.name} are pending, and finishing them "
            f"needs their keys: `batch-anonymizer retry {xlsx}` first, or give --force to "
            "redact anyway (they can then only be sent again from the input). Nothing was "
            "changed"
        )
    files = _files(xlsx)
    secret = _secret(secret_file, _settings(body))
    keys = KeyMatcher(_keys(files), secret)
    mark = {
        "redacted_at": iso_now(),
        "tool_version": __version__,
        "secret_fingerprint": fingerprint(secret),
    }
    redaction = {
        **mark,
        "forced_pending": pending,
        "accepted_changed_evidence": "; ".join(result.problems),
        "original_manifest": {
            "name": manifest_path(xlsx).name,
            "sha256": file_sha256(manifest_path(xlsx)),
        },
        # removed once the redaction is committed: `verify` then accepts them missing
        "removed_drafts": _listed_drafts(xlsx),
    }
    try:
        cells = _write_redacted(xlsx, files, keys, body, redaction)
        commit(xlsx, [*files.values(), manifest_path(xlsx)])
    except OSError as e:
        finish_redaction(xlsx)  # before the commit: the new files go, the old stay
        raise ReportError(
            f"cannot write the redacted files beside {xlsx.name} ({e.strerror or e}); "
            "free some disk space, then run redact again"
        ) from e
    removed = _remove_drafts(xlsx, redaction["removed_drafts"])
    return Redacted(xlsx, run_id, len(keys), cells, recovered=recovered,
                    keyed_certificates=_keyed_certificates(xlsx, keys),
                    reply_drafts=removed)  # fmt: skip


def _write_redacted(
    xlsx: Path,
    files: dict[str, Path],
    keys: KeyMatcher,
    body: dict[str, Any],
    redaction: dict[str, Any],
) -> int:
    """Write the redacted form of each file, then the new manifest, beside the originals
    (``redactcommit.write_temp``); return how many cells or records changed."""
    cells = 0
    temps: dict[str, Path] = {}
    for name, path in files.items():
        if name == "xlsx":
            write, n = redact_xlsx(path, keys)
        elif name == "journal":
            mark = {k: redaction[k] for k in ("redacted_at", "tool_version", "secret_fingerprint")}
            write, n = redact_journal(path, keys, mark)
        else:
            write, n = redact_csv(path, keys)
        cells += n
        temps[name] = write_temp(path, write)
        if leftover_keys(temps[name], keys):
            finish_redaction(xlsx)
            raise ReportError(f"a key was left in the redacted {path.name}; nothing was changed")
    facts = redact_value(body.get("facts") or {}, keys)
    # the input's name and the run facts are text from outside too (a file named after a key)
    named = {**body, "input": redact_value(body.get("input") or {}, keys)}
    data = redacted_manifest(named, temps, facts, redaction)

    def put(f: IO[bytes]) -> None:
        f.write(data)

    write_temp(manifest_path(xlsx), put)
    step()
    return cells


def _keyed_certificates(xlsx: Path, keys: KeyMatcher) -> int:
    """How many certificates beside the report name a request whose id is a key."""
    listed = certificates_dir(xlsx) / CERTIFICATES_MANIFEST
    if not listed.exists():
        return 0
    try:
        body = json.loads(listed.read_bytes())
        ids = [str(c.get("request", "")) for c in body.get("certificates", [])]
    except (ValueError, TypeError, AttributeError):
        return 0
    return sum(keys.cell(i, input_cell=False) != i for i in ids)


def _listed_drafts(xlsx: Path) -> list[str]:
    """The ``.eml`` reply drafts the certificates folder beside the report lists: each holds
    the person's address in full (its ``To:``), so a redaction removes them."""
    listed = certificates_dir(xlsx) / CERTIFICATES_MANIFEST
    if not listed.exists():
        return []
    try:
        drafts = json.loads(listed.read_bytes()).get("drafts", [])
        names = [str(d.get("name", "")) for d in drafts]
    except (ValueError, TypeError, AttributeError):
        return []
    return [n for n in names if n.endswith(".eml") and "/" not in n and n != ".eml"]


def _remove_drafts(xlsx: Path, names: object) -> int:
    """Remove the ``.eml`` drafts ``names`` (the redaction's record) that are still there."""
    folder = certificates_dir(xlsx)
    removed = 0
    for name in names if isinstance(names, list) else []:
        path = folder / str(name)
        if path.suffix == ".eml" and path.parent == folder and path.is_file():
            path.unlink()
            removed += 1
    return removed


# -- a folder of reports ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Due:
    """A report of a folder, and what ``redact --older-than`` does with it."""

    xlsx: Path
    run_id: str
    finished: str  # UTC ISO time the run ended (or started, when it did not record an end)
    action: str  # "redact", "kept", "already redacted", "unreadable"
    why: str = ""


def reports_in(folder: Path, older_than: int | None, now: datetime | None = None) -> list[Due]:
    """Every report in ``folder`` (by its manifest), oldest first, and whether it is due:
    finished ``older_than`` days ago or more, and past the retention its run recorded
    (``run --retain-keys``), when it recorded one (without ``older_than``, that alone).
    Reads only; changes nothing."""
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder; give the folder of the reports")
    now = (now or utc_now()).replace(tzinfo=None)  # parse_iso's times are naive UTC
    found = []
    for mpath in sorted(folder.glob("*" + MANIFEST_SUFFIX)):
        xlsx = report_of(mpath)
        try:
            body = read_manifest(mpath)
        except ReportError as e:
            found.append(Due(xlsx, "", "", "unreadable", e.message))
            continue
        facts = body.get("facts") or {}
        finished = str(facts.get("ended_at") or facts.get("started_at") or "")
        run_id = str(body.get("run_id", ""))
        if isinstance(body.get("redaction"), dict):
            at = str(body["redaction"].get("redacted_at", ""))
            found.append(Due(xlsx, run_id, finished, "already redacted", f"on {at}"))
            continue
        retain = _settings(body).get(RETAIN_SETTING, "").split(" ")[0]
        # the run's own retention is when its keys *may* be redacted: never earlier
        limits = [
            d for d in (older_than, int(retain) if retain.isdigit() else None) if d is not None
        ]
        when = parse_iso(finished) if finished else None
        age = (now - when).days if when is not None else None
        if not limits:
            found.append(Due(xlsx, run_id, finished, "kept", "its run recorded no --retain-keys"))
        elif when is None or age is None or now - when < timedelta(days=max(limits)):
            why = f"{age if age is not None else '?'} day(s) old, kept {max(limits)}"
            found.append(Due(xlsx, run_id, finished, "kept", why))
        else:
            found.append(Due(xlsx, run_id, finished, "redact", f"{age} day(s) old"))
    return sorted(found, key=lambda d: d.finished)
