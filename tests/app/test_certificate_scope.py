"""A certificate says exactly what was done and where: its scope on page 1 (system, method,
verification, what it does not reach, performer, approver), the request's decision facts,
and a deadline sentence that follows the holiday calendar given (the UK ICO only for GB)."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import openpyxl
from decision_data import FACTS, HEADER, OUTCOMES, ROWS
from pypdf import PdfReader
from request_data import TODAY, planned

from batch_anonymizer.app.certify import write_certificates
from batch_anonymizer.audit.manifest import write_manifest
from batch_anonymizer.audit.report import write_report
from batch_anonymizer.core.records import RunFacts
from batch_anonymizer.requests import derive_requests


def certified(tmp_path: Path, facts: RunFacts) -> tuple[Path, Path]:
    """The report and the certificates folder of ``ROWS`` under ``facts``."""
    lines, rules = planned(ROWS, OUTCOMES, header=HEADER)
    requests = derive_requests(lines, HEADER, rules, TODAY)
    xlsx = tmp_path / "run.xlsx"
    write_report(xlsx, tmp_path / "run.csv", HEADER, lines, facts, requests=requests)
    manifest = write_manifest(xlsx, tmp_path / "run.csv", None, facts)
    return xlsx, write_certificates(xlsx, manifest, requests, facts).folder


def pages(pdf: Path) -> list[str]:
    """Each page's text, its white space made single spaces (lines break anywhere)."""
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def calendar(facts: RunFacts, code: str) -> RunFacts:
    return replace(facts, settings=(*facts.settings, ("holidays", code)))


def test_page_one_states_the_scope_and_the_decision_under_irelands_calendar(
    tmp_path: Path,
) -> None:
    xlsx, folder = certified(tmp_path, calendar(FACTS, "IE"))
    first = pages(folder / "R-1.pdf")[0]
    for said in (
        "ANONYMIZED IN CUSTOMERGAUGE, VERIFIED",
        "System CustomerGauge, anonymize API v4.1, region eu, host api.eu.customergauge.com",
        "Method CustomerGauge's own anonymize call, one per key",
        "email (replaced by a random generated address)",
        "Verification each key looked up before the anonymize call and again after it (the "
        "vendor's lookup)",
        "records found before: 2; records left after: 0",
        "Does not reach custom segment fields not agreed with CustomerGauge beforehand",
        "CustomerGauge's backups, until they expire; and every other system",
        "Performed by Joanna Nowak (the input's handler column); run by alice on dpo-laptop",
        "Approved by Piotr Zieli",  # the font holds Windows-1252: ń is written <U+0144>
        "2027-02-22 (three calendar months: one, extended by two further (Art. 12(3) GDPR), "
        "moved to the next working day past weekends and Ireland's public holidays)",
        "Decision erased",
        "Decision note extended: complex",
    ):
        assert said in first, said
    assert "ERASED " not in first.replace("ERASED IN", "")  # never a bare ERASED banner
    for name in sorted(p.name for p in folder.glob("*.pdf")):
        every = " ".join(pages(folder / name))
        assert "ICO" not in every, name  # Ireland's certificates never cite the UK regulator
        assert "one calendar month (Art. 12(3) GDPR)" in every or name == "R-1.pdf", name
    held = " ".join(pages(folder / "R-4.pdf"))
    assert "Verification none: nothing of this request was sent to CustomerGauge" in held
    assert "Decision held Decision note identity not verified (Pending)" in held
    assert "Performed by Li Wei (the input's handler column)" in held
    no_handler = " ".join(pages(folder / "R-2.pdf"))
    assert "Performed by alice on dpo-laptop (the operator who ran it" in no_handler
    assert "Decision no data held" in no_handler
    summary = openpyxl.load_workbook(xlsx, read_only=True)["Summary"]
    notes = " ".join(str(c) for row in summary.iter_rows(values_only=True) for c in row if c)
    assert "ICO" not in notes and "Ireland's public holidays" in notes


def test_a_uk_calendar_names_the_ico_and_no_approver_says_so(tmp_path: Path) -> None:
    settings = tuple(s for s in FACTS.settings if s[0] != "approved_by")
    _, folder = certified(tmp_path, calendar(replace(FACTS, settings=settings), "GB-SCT"))
    said = " ".join(pages(folder / "R-2.pdf"))
    assert (
        "2026-12-21 (one calendar month (Art. 12(3) GDPR), moved to the next working day past "
        "weekends and the United Kingdom's public holidays (Scotland); the month counted as "
        "the UK ICO counts it)"
    ) in said
    assert "Approved by not recorded (--approved-by NAME)" in said


def test_a_run_without_lookups_says_not_verified(tmp_path: Path) -> None:
    facts = replace(FACTS, settings=(*FACTS.settings, ("verify", "no (--no-verify)")))
    _, folder = certified(tmp_path, facts)
    said = pages(folder / "R-8.pdf")[0]
    assert "ANONYMIZED IN CUSTOMERGAUGE, NOT VERIFIED" in said
    assert "Verification not verified (--no-verify): no lookup before or after" in said
    assert (
        "Decision incomplete Decision note anonymized on the vendor's answer, not verified "
        "by lookup (--no-verify)"
    ) in said
    assert "weekends only (no public holiday calendar was given: --holidays CC)" in said
