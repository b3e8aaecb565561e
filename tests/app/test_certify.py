"""Certificates: one PDF per request, its own keys masked and no one else's, in a private
folder with a manifest that verify checks."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from request_data import HEADER, NOT_FOUND, STILL, TODAY, planned

from batch_anonymizer.app.certify import certify, write_certificates
from batch_anonymizer.audit.certificate_folder import certificate_names
from batch_anonymizer.audit.manifest import verify, write_manifest
from batch_anonymizer.audit.report import write_report
from batch_anonymizer.core.errors import EvidenceChangedError, UsageError
from batch_anonymizer.core.files import file_sha256
from batch_anonymizer.core.records import Mode, RunFacts
from batch_anonymizer.requests import derive_requests

FACTS = RunFacts(
    run_id="20261201T100000Z-abc123",
    mode=Mode.RUN,
    tool_version="0.2.0",
    started_at="2026-12-01T10:00:00Z",
    ended_at="2026-12-01T10:02:00Z",
    input_name="in.csv",
    input_size=1,
    input_sha256="ab" * 32,
    endpoint_host="api.eu.customergauge.com",
    region="eu",
    api_version="v4.1",
    settings=(  # as a run records its rules (requests.RequestRules.settings)
        ("request_column", "Request ID"),
        ("received_column", "Date received"),
        ("extension_column", "Extended"),
        ("deadlines_as_of", "2026-12-01"),
    ),
)
ROWS = [
    ["REQ-1", "2026-11-20", "", "ann.lee@example.com", "+44 7700 900123"],
    ["REQ-2", "2026-10-01", "", "bob.ito@example.org", ""],
    ["REQ 3/a", "2026-11-21", "", "", "+1 202 555 0143"],
    ["REQ:3/a", "2026-11-22", "", "not-an-email", ""],  # the same file name once made safe
]
KEYS = {  # request -> (its full keys, their masked form)
    "REQ-1": (["ann.lee@example.com", "447700900123"], ["a***@example.com", "4477*****123"]),
    "REQ-2": (["bob.ito@example.org"], ["b***@example.org"]),
    "REQ 3/a": (["12025550143"], ["1202****143"]),
    "REQ:3/a": (["not-an-email"], []),  # masked "***": nothing of it shows
}


def report(tmp_path: Path) -> tuple[Path, Path, list]:
    lines, rules = planned(ROWS, {"bob.ito@example.org": STILL, "12025550143": NOT_FOUND})
    requests = derive_requests(lines, HEADER, rules, TODAY)
    xlsx = tmp_path / "run.xlsx"
    write_report(xlsx, tmp_path / "run.csv", HEADER, lines, FACTS, requests=requests)
    manifest = write_manifest(xlsx, tmp_path / "run.csv", None, FACTS)
    return xlsx, manifest, list(requests)


def text(pdf: Path) -> str:
    return text_of(pdf.read_bytes())


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(page.extract_text() for page in reader.pages)


def test_one_certificate_per_request_with_its_own_keys_only(tmp_path: Path) -> None:
    xlsx, manifest, requests = report(tmp_path)
    done = write_certificates(xlsx, manifest, requests, FACTS)
    assert done.folder == tmp_path / "run-certificates" and done.count == 4
    assert "TEST RUN" not in text(done.folder / "REQ-1.pdf")  # a real endpoint
    names = sorted(p.name for p in done.folder.iterdir())
    stems = ["REQ-1", "REQ-2", "REQ_3_a-2", "REQ_3_a"]
    assert names == sorted(
        [f"{s}.{ext}" for s in stems for ext in ("eml", "pdf", "txt")]
        + ["certificates.manifest.json"]
    )
    files = {"REQ-1": "REQ-1.pdf", "REQ-2": "REQ-2.pdf", "REQ 3/a": "REQ_3_a.pdf"}
    files["REQ:3/a"] = "REQ_3_a-2.pdf"
    every_key = [k for full, _ in KEYS.values() for k in full]
    sha = file_sha256(manifest)
    for request, name in files.items():
        said = text(done.folder / name)
        assert f"Erasure request {request}" in said
        _, own_masked = KEYS[request]
        for masked in own_masked:
            assert masked in said, (request, masked)
        for key in every_key:
            assert key not in said, (request, key)  # no full key, not even its own
        for other, (_, masked) in KEYS.items():
            if other != request:
                assert not any(m in said for m in masked), (request, other)
        assert sha in said and FACTS.run_id in said
        assert "custom segment fields" in said.lower()
        assert "[name]" not in said and "Hello," in said  # no name column: a neutral greeting
    assert "ANONYMIZED IN CUSTOMERGAUGE, VERIFIED" in text(done.folder / "REQ-1.pdf")
    assert "NOT COMPLETED" in text(done.folder / "REQ-2.pdf")
    assert "NO DATA HELD IN CUSTOMERGAUGE" in text(done.folder / "REQ_3_a.pdf")
    assert "NOT DONE: NO USABLE KEY" in text(done.folder / "REQ_3_a-2.pdf")
    assert "OVERDUE by 29 days" in text(done.folder / "REQ-2.pdf")


def test_without_type_and_identity_columns_the_report_and_certificates_say_so(
    tmp_path: Path,
) -> None:
    import openpyxl

    from batch_anonymizer.audit.reportread import read_requests

    xlsx, manifest, requests = report(tmp_path)
    ws = openpyxl.load_workbook(xlsx, read_only=True)["Summary"]
    summary = " ".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c)
    assert "No request-type column: every row treated as an erasure request." in summary
    assert "Identity verification: not recorded in the input." in summary
    sheet = read_requests(xlsx)
    assert {r["identity"] for r in sheet} == {"identity verification: not recorded in the input"}
    folder = write_certificates(xlsx, manifest, requests, FACTS).folder
    said = text(folder / "REQ-1.pdf")
    assert "identity verification: not recorded in the input" in said
    assert "no request-type column: every row treated as an erasure request" in said


def test_held_and_not_erasure_requests_are_never_certified_erased(tmp_path: Path) -> None:
    header = ["Request ID", "Date received", "Email", "Request type", "ID verified", "Hold"]
    rows = [
        ["R-1", "2026-11-20", "ann@example.com", "Access", "Yes", ""],
        ["R-2", "2026-11-20", "bob@example.com", "Erasure", "Pending", ""],
        ["R-3", "2026-11-20", "cleo@example.com", "Erasure", "Yes", "Art. 17(3)(b)"],
    ]
    lines, rules = planned(rows, header=header)
    requests = derive_requests(lines, header, rules, TODAY)
    assert [r.outcome.value for r in requests] == ["not_erasure", "held", "held"]
    xlsx = tmp_path / "run.xlsx"
    write_report(xlsx, tmp_path / "run.csv", header, lines, FACTS, requests=requests)
    manifest = write_manifest(xlsx, tmp_path / "run.csv", None, FACTS)
    folder = write_certificates(xlsx, manifest, requests, FACTS).folder
    for name in ("R-1", "R-2", "R-3"):
        said = text(folder / f"{name}.pdf")
        assert "ERASED" not in said and "We have done so" not in said, name
        assert "we anonymized" not in said  # no reply saying it was done
    r1 = text(folder / "R-1.pdf")
    assert "Request R-1" in r1 and "Erasure request" not in r1
    assert "NOT AN ERASURE REQUEST" in r1 and "Access" in r1
    assert "HELD: NOTHING WAS DONE" in text(folder / "R-2.pdf")
    assert "Pending" in text(folder / "R-2.pdf")
    assert "Art. 17(3)(b)" in text(folder / "R-3.pdf")


def test_the_folder_and_files_are_private(tmp_path: Path) -> None:
    xlsx, manifest, requests = report(tmp_path)
    folder = write_certificates(xlsx, manifest, requests, FACTS).folder
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folder left
    with pytest.raises(UsageError, match="never written over"):
        write_certificates(xlsx, manifest, requests, FACTS)


def test_verify_fails_after_a_certificate_is_changed(tmp_path: Path) -> None:
    xlsx, manifest, requests = report(tmp_path)
    folder = write_certificates(xlsx, manifest, requests, FACTS).folder
    assert verify(xlsx).summary == (
        f"verified: report, csv, requests csv and 4 certificates unchanged since run {FACTS.run_id}"
    )
    pdf = folder / "REQ-2.pdf"
    original = pdf.read_bytes()
    pdf.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))  # one bit of one byte
    result = verify(xlsx)
    assert not result.ok and len(result.problems) == 1
    assert result.problems[0].startswith("certificate differs from the manifest")
    assert result.summary.startswith("CHANGED: certificate differs")
    pdf.write_bytes(original)
    (folder / "REQ-9.pdf").write_bytes(original)
    assert verify(xlsx).problems == [
        "certificates folder holds REQ-9.pdf, which its manifest does not list"
    ]
    (folder / "REQ-9.pdf").unlink()
    (folder / "REQ-1.pdf").unlink()
    assert verify(xlsx).problems == ["certificate REQ-1.pdf is missing"]


def test_the_command_checks_the_report_first_and_derives_the_same_certificates(
    tmp_path: Path,
) -> None:
    xlsx, _, _ = report(tmp_path)
    done = certify(tmp_path / "run.csv")  # the .csv, .journal or manifest name the report
    assert done.count == 4
    assert "OVERDUE by 29 days" in text(done.folder / "REQ-2.pdf")  # as of the run's date
    with pytest.raises(UsageError, match="already exists"):
        certify(xlsx)
    for p in done.folder.iterdir():
        p.unlink()
    done.folder.rmdir()
    csv = tmp_path / "run.csv"
    csv.write_text(csv.read_text(encoding="utf-8-sig").replace("failed", "success"))
    with pytest.raises(EvidenceChangedError, match="no certificate was written"):
        certify(xlsx)
    assert not done.folder.exists()


def test_safe_unique_file_names() -> None:
    assert certificate_names(["REQ-1", "req-1", "a/b", "a:b", "..", "CON", "é", "x" * 200]) == [
        "REQ-1.pdf",
        "req-1-2.pdf",  # the same name on a case-blind disk (macOS, Windows)
        "a_b.pdf",
        "a_b-2.pdf",
        "request.pdf",
        "_CON.pdf",
        "request-2.pdf",
        "x" * 80 + ".pdf",
    ]


def test_a_sandbox_run_says_so_on_every_certificate(tmp_path: Path) -> None:
    from dataclasses import replace

    xlsx, manifest, requests = report(tmp_path)
    facts = replace(FACTS, endpoint_host="127.0.0.1:8765 (built-in sandbox)")
    folder = write_certificates(xlsx, manifest, requests[:1], facts).folder
    assert "TEST RUN: the requests went to a sandbox" in text(folder / "REQ-1.pdf")


# 10 examples: each certificate embeds font subsets, about half a second of CPU each
@settings(max_examples=10, deadline=None)
@given(
    st.text(min_size=1, max_size=300),
    st.text(max_size=60),
    st.sampled_from(["2026-11-20", "05/11/2026", "", "x"]),
)
def test_any_request_id_and_cells_make_a_certificate(rid: str, email: str, date: str) -> None:
    from batch_anonymizer.audit.certificate_pdf import Evidence, certificate_pdf

    lines, rules = planned([[rid, date, "", email, ""]], {})
    (r,) = derive_requests(lines, HEADER, rules, TODAY)
    evidence = Evidence("run.xlsx", "run.manifest.json", "0" * 64, "2026-12-01T10:00:00Z")
    pdf = certificate_pdf(r, FACTS, evidence, "")
    assert pdf.startswith(b"%PDF-")
    key = email.strip()
    if "@" in key and len(key) > 3 and key not in rid:
        assert key not in text_of(pdf)  # masked, whatever it looks like


def test_a_test_server_run_says_so_on_every_certificate(tmp_path: Path) -> None:
    from dataclasses import replace

    xlsx, manifest, requests = report(tmp_path)
    facts = replace(
        FACTS,
        endpoint_host="staging.example.net (test server)",
        settings=(("test_run", "yes: a test server, not CustomerGauge's production API"),),
    )
    folder = write_certificates(xlsx, manifest, requests[:1], facts).folder
    assert "TEST RUN: the requests went to a sandbox or test server" in text(folder / "REQ-1.pdf")


def test_a_request_id_like_the_page_count_alias_prints_as_written() -> None:
    # fpdf2 wrote the page count wherever "{nb}" appeared: "REQ-{nb}" printed as "REQ-2"
    from batch_anonymizer.audit.certificate_pdf import Evidence, certificate_pdf

    lines, rules = planned([["REQ-{nb}", "2026-11-20", "", "ann@example.com", ""]], {})
    (r,) = derive_requests(lines, HEADER, rules, TODAY)
    evidence = Evidence("run.xlsx", "run.manifest.json", "0" * 64, "2026-12-01T10:00:00Z")
    said = text_of(certificate_pdf(r, FACTS, evidence, ""))
    assert "Erasure request REQ-{nb}" in said and "Request REQ-{nb}  |  run" in said
    assert "page 1 of 2" in said and "page 2 of 2" in said


class _Steps:
    def __init__(self) -> None:
        self.said: list[object] = []

    def start(self, total: int, unit: str = "key") -> None:
        self.said.append((total, unit))

    def step(self) -> None:
        self.said.append("step")

    def close(self) -> None:
        self.said.append("close")


def test_making_certificates_tells_its_steps_and_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 10k certificates took minutes without a word: the CLI now draws a bar from these
    xlsx, manifest, requests = report(tmp_path)
    steps = _Steps()
    write_certificates(xlsx, manifest, requests, FACTS, steps)
    assert steps.said == [(4, "certificate"), "step", "step", "step", "step", "close"]
    assert capsys.readouterr() == ("", "")
