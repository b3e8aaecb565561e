"""Certificates: one PDF per request, beside a report, from a run or from the report later.

``write_certificates`` is called at the end of ``run --certificates`` with the
requests the run derived; ``certify`` (the ``certificates REPORT`` command)
checks the report against its manifest first, then derives the same
requests from the report's lines with the rules and the date the run
recorded, so a certificate says exactly what the Requests sheet says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..audit.certificate_folder import certificate_names, certified, write_folder
from ..audit.drafts import Drafter, ReplySettings
from ..audit.manifest import certificates_dir, manifest_path, verify
from ..audit.redactcommit import finish_redaction
from ..audit.summary_words import facts_from_dict
from ..core.errors import EvidenceChangedError, UsageError
from ..core.files import file_sha256
from ..core.records import ReportLine, RunFacts
from ..core.requests import Request
from ..core.timefmt import iso_now, utc_now
from ..requests import derive_requests, rules_from_facts
from ..state.previous import load_previous


class Steps(Protocol):
    """What a caller shows while the certificates are made (the CLI draws a bar; the
    library itself says nothing): 10,000 of them take a few minutes."""

    def start(self, total: int, unit: str = ...) -> None:
        """``total`` things of ``unit`` are about to be made."""

    def step(self) -> None:
        """One more is made."""

    def close(self) -> None:
        """All are made, or making them stopped."""


@dataclass(frozen=True, slots=True)
class Certified:
    """Where the certificates went, and how many there are."""

    folder: Path
    count: int
    # missing reply templates (those drafts are in English); characters no font holds
    warnings: tuple[str, ...] = ()


def write_certificates(
    xlsx: Path,
    manifest: Path,
    requests: Sequence[Request],
    facts: RunFacts,
    steps: Steps | None = None,
    *,
    columns: Sequence[str] = (),
    replies: ReplySettings | None = None,
) -> Certified:
    """A certificate and a reply draft (``.eml``, ``.txt``) for every request of the report
    ``xlsx`` (those left out by --where excepted), in ``NAME-certificates/`` with its
    manifest; ``steps`` is told of each. ``columns`` are the input's columns (the person's
    name and language are read from them), ``replies`` how the drafts are made."""
    # fpdf2 and the fontTools it loads take ~0.25 s to import: only a run that writes
    # certificates pays for them (every other command, and every test process, does not)
    from ..audit.certificate_pdf import Evidence, certificate_pdf
    from ..audit.pdffonts import missing_note

    # a request id holding a key is masked in the PDF, its file name and the manifest
    wanted = certified(requests)
    evidence = Evidence(xlsx.name, manifest.name, file_sha256(manifest), iso_now())
    names = certificate_names([r.request for r in wanted])
    replies = replies or ReplySettings()
    drafter = Drafter(replies, columns)
    pdfs, drafts, notes = [], [], []
    if steps is not None:
        steps.start(len(wanted), "certificate")
    try:
        for r, n in zip(wanted, names, strict=True):
            draft = drafter.draft(r)
            unshown: dict[str, str] = {}
            pdfs.append(
                (
                    r.request,
                    n,
                    certificate_pdf(r, facts, evidence, draft.body, unshown, replies.fonts),
                )
            )
            if unshown:  # never silent: which certificate, which characters, what to do
                notes.append(missing_note(n, unshown))
            stem = n.removesuffix(".pdf")
            drafts.append((r.request, f"{stem}.eml", draft.eml()))
            drafts.append((r.request, f"{stem}.txt", draft.txt()))
            if steps is not None:
                steps.step()
    finally:
        if steps is not None:
            steps.close()
    folder = write_folder(certificates_dir(xlsx), pdfs, manifest, facts.run_id, drafts)
    return Certified(folder, len(pdfs), (*drafter.warnings, *notes))


def certify(
    report: Path, steps: Steps | None = None, replies: ReplySettings | None = None
) -> Certified:
    """The certificates and reply drafts of an earlier report (its .xlsx, or the .csv,
    .journal or manifest beside it). Refuses a report that differs from its manifest, or
    has none."""
    xlsx = workbook_of(report, "certificates")
    folder = certificates_dir(xlsx)
    if folder.exists():
        raise UsageError(
            f"{folder} already exists; certificates are never written over (check them "
            f"with `batch-anonymizer verify {xlsx}`)"
        )
    requests, facts, manifest, columns = derived_requests(xlsx, "certificate", "certificates")
    return write_certificates(
        xlsx, manifest, requests, facts, steps, columns=columns, replies=replies
    )


def derived_requests(
    xlsx: Path, one: str, many: str
) -> tuple[tuple[Request, ...], RunFacts, Path, tuple[str, ...]]:
    """The requests of an earlier report, derived from its lines with the rules and the day
    the run recorded (as its Requests sheet was), its run facts, its manifest's path and
    its input columns.

    Raises ``EvidenceChangedError`` when the report differs from its manifest (``one`` /
    ``many`` name what is made from it: no ``one`` is written), ``ReportError`` without one.
    """
    finish_redaction(xlsx)  # an interrupted redaction: the files are one set, not a mix
    result = verify(xlsx)  # raises ReportError without a manifest
    if not result.ok:
        raise EvidenceChangedError(
            f"{xlsx.name} differs from its manifest ({result.summary}); no {one} was "
            f"written: {many} must quote the evidence as the run wrote it",
            problems=tuple(result.problems),
        )
    previous = load_previous(xlsx)
    lines = [ReportLine(e.line, e.outcome) for e in previous.entries]
    rules, as_of = rules_from_facts(previous.facts, previous.input_columns)
    requests = derive_requests(lines, previous.input_columns, rules, as_of or utc_now().date())
    return requests, facts_from_dict(previous.facts), manifest_path(xlsx), previous.input_columns


def workbook_of(report: Path, what: str) -> Path:
    """The .xlsx of a report named by any file beside it; ``UsageError`` when there is none
    (``what`` names what is made from it: certificates, receipts)."""
    name = report.name
    for ending in (
        ".manifest.json",
        ".requests.csv",
        ".transcend-completed.csv",
        ".transcend-remaining.csv",
        ".receipts.jsonl",
        ".csv",
        ".journal",
        ".xlsx",
    ):
        if name.endswith(ending):
            xlsx = report.with_name(name[: -len(ending)] + ".xlsx")
            break
    else:
        xlsx = report
    if not xlsx.exists():
        raise UsageError(
            f"no report {xlsx.name}: {what} are made from the .xlsx of a run (its "
            "Summary holds the run facts); rebuild it with `batch-anonymizer report JOURNAL`"
        )
    return xlsx
