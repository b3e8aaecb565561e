"""Requests end to end: the real CLI and the sandbox over loopback HTTP, the Requests sheet,
certificates, verify, and a report rebuilt from its journal saying the same."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
from conftest import SAMPLES, fast_args, only_report, report_rows, start_sandbox, write_csv
from pypdf import PdfReader

import batch_anonymizer as ba
from batch_anonymizer.audit.reportread import read_requests

HEADER = ["Ticket", "Received on", "Email", "Phone"]
ROWS = [
    ["T-1", "2026-11-20", "ann@example.com", "+44 7700 900123"],  # both keys, both held
    ["T-2", "03/11/2026", "bob@example.com", ""],  # typed date: told with --day-first
    ["T-1", "2026-11-21", "", "+1 202 555 0143"],  # T-1's second row: not held
    ["T-3", "2026-11-22", "ANN@example.com", ""],  # a key T-1 sent
    ["T-4", "2026-11-23", "not-an-email", ""],
]


def test_a_run_with_certificates_then_verify_and_rebuild(cli, tmp_path: Path, sandbox) -> None:
    src = write_csv(tmp_path / "in.csv", HEADER, ROWS)
    sandbox.sandbox.seed(["ann@example.com", "bob@example.com"], ["447700900123"])
    res = cli(
        "run", src, *fast_args(sandbox.url), "--day-first", "--holidays", "GB", "--certificates",
        "--approved-by", "Ann  Approver",
    )  # fmt: skip
    assert res.code == 1, res.err  # T-4's email is invalid
    xlsx = only_report(tmp_path / "reports")
    folder = xlsx.with_name(xlsx.stem + "-certificates")
    assert f"Certificates: reports/{folder.name}" in res.out
    # the last lines speak in requests, then in keys (as the Summary's headline does)
    said = res.out.splitlines()
    assert said[-2].startswith("3 of 4 requests completed"), said
    assert said[-2].endswith("3 erased; 1 invalid (no usable email or telephone).")
    assert said[-1].startswith("Finished with problems: 3 success, 1 not_found, 1 invalid")
    got = {r["request"]: r for r in read_requests(xlsx)}
    assert list(got) == ["T-1", "T-2", "T-3", "T-4"]
    assert (got["T-1"]["source_rows"], got["T-1"]["keys"], got["T-1"]["outcome"]) == (
        "2, 4",
        "3",
        "erased",
    )
    assert got["T-2"]["date_received"] == "2026-11-03" and got["T-2"]["deadline_code"] == ""
    assert got["T-2"]["due_date"] == "2026-12-03"
    assert (got["T-3"]["outcome"], got["T-3"]["duplicate_of"]) == ("erased", "T-1")
    assert got["T-4"]["outcome"] == "invalid" and got["T-4"]["completed_at"] == ""
    # the decision facts: the approver as given (spaces made one), the drafts by name
    assert {(r["approved_by"], r["reply_draft"]) for r in got.values()} == {
        ("Ann Approver", f"{n}.eml") for n in got
    }
    assert [r["decision"] for r in got.values()] == ["erased", "erased", "erased", "invalid"]
    assert all(
        r["handled_by"].endswith(" on " + __import__("socket").gethostname()) for r in got.values()
    )
    assert read_requests(xlsx) == read_requests(xlsx.with_name(xlsx.stem + ".requests.csv"))
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"T-{n}.{ext}" for n in range(1, 5) for ext in ("pdf", "eml", "txt")]
        + ["certificates.manifest.json"]
    )
    t1 = " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO((folder / "T-1.pdf").read_bytes())).pages
    )
    assert "a***@example.com" in t1 and "4477*****123" in t1 and "ann@example.com" not in t1
    assert "b***@example.com" not in t1
    flat = " ".join(t1.split())
    assert "Approved by Ann Approver" in flat and "counted as the UK ICO counts it" in flat
    res = cli("verify", xlsx)
    assert res.code == 0 and res.out.startswith(
        "verified: report, csv, requests csv, journal and 4 certificates unchanged"
    )
    # the Requests sheet of a report rebuilt from the journal is the run's own
    res = cli("report", xlsx.with_suffix(".journal"), "--report", tmp_path / "rebuilt.xlsx")
    assert res.code == 0, res.err
    assert read_requests(tmp_path / "rebuilt.xlsx") == read_requests(xlsx)
    # the certificates command refuses to write over them; verify finds an edit
    res = cli("certificates", xlsx)
    assert res.code == 2 and "already exists" in res.err
    pdf = folder / "T-2.pdf"
    pdf.write_bytes(pdf.read_bytes() + b"%")
    res = cli("verify", xlsx)
    assert res.code == 1 and res.out.startswith("CHANGED: certificate differs from the manifest")


def test_the_sample_shows_deadlines_against_its_reference_day(tmp_path: Path) -> None:
    """sample_inputs/make_samples.py counts its dates back from 2026-12-01."""
    prep = ba.prepare_run(SAMPLES / "requests.xlsx")
    opts = ba.RunOptions(
        None, None, ba.Settings(rate=None), reports_dir=tmp_path, today=dt.date(2026, 12, 1)
    )
    summary = ba.execute(prep, opts)
    got = {r["request"]: r for r in read_requests(summary.xlsx)}
    assert len(got) == 50 and len(report_rows(summary.xlsx)) == 71
    assert got["REQ-1034"]["deadline_code"] == "ambiguous_date"  # typed 05/11/2026
    assert got["REQ-1034"]["due_date"] == "" and got["REQ-1034"]["on_time"] == ""
    assert (got["REQ-1004"]["extended"], got["REQ-1004"]["due_date"]) == ("yes", "2026-12-07")
    assert got["REQ-1001"]["due_date"] == "2026-09-30"  # received 31 August
    assert (got["REQ-1049"]["outcome"], got["REQ-1049"]["on_time"]) == ("invalid", "overdue")
    assert (got["REQ-1050"]["outcome"], got["REQ-1050"]["on_time"]) == ("invalid", "open")
    assert (got["REQ-1047"]["duplicate_of"], got["REQ-1047"]["outcome"]) == ("REQ-1001", "erased")
    dated = [r for r in got.values() if r["outcome"] == "erased" and r["due_date"]]
    assert {r["on_time"] for r in dated} <= {"yes", "late"}  # by when the run completed them
    facts = ba.read_report(summary.xlsx).facts
    assert facts["setting.deadlines_as_of"] == "2026-12-01"
    assert facts["setting.request_column"] == "Request ID"
    assert facts["setting.extension_column"] == "Extended"


def test_retry_keeps_the_requests_of_the_earlier_run(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", HEADER, ROWS[:3])
    with start_sandbox('{"script": {"bob@example.com": [400]}}') as thread:
        thread.sandbox.seed(["ann@example.com", "bob@example.com"], ["447700900123"])
        base = fast_args(thread.url)
        first = tmp_path / "first.xlsx"
        assert cli("run", src, *base, "--day-first", "--report", first).code == 1
        assert {r["request"]: r["outcome"] for r in read_requests(first)}["T-2"] == "incomplete"
        second = tmp_path / "second.xlsx"
        res = cli("retry", first, *base, "--report", second)
    assert res.code == 0, res.err
    again = {r["request"]: r for r in read_requests(second)}
    assert list(again) == ["T-1", "T-2"] and again["T-2"]["outcome"] == "erased"
    assert again["T-2"]["date_received"] == "2026-11-03"  # --day-first, as the first run said


def test_a_rebuilt_report_counts_deadlines_against_the_runs_own_day(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", HEADER, [["T-1", "2026-10-01", "nobody@example.com", ""]])
    prep = ba.prepare_run(src)
    with start_sandbox('{"script": {"nobody@example.com": [400]}}') as thread:
        opts = ba.RunOptions(
            ba.Endpoint.for_base_url(thread.url),
            ba.ApiKeyAuth(thread.sandbox.api_key),
            ba.Settings(rate=None),
            reports_dir=tmp_path / "reports",
            today=dt.date(2026, 10, 20),  # not the day the test runs
        )
        thread.sandbox.seed(["nobody@example.com"], [])
        summary = ba.execute(prep, opts)
    (row,) = read_requests(summary.xlsx)
    assert (row["outcome"], row["on_time"], row["days_left"]) == ("incomplete", "open", "13")
    assert summary.journal is not None
    rebuilt = ba.rebuild(summary.journal, tmp_path / "rebuilt.xlsx")
    assert read_requests(rebuilt.xlsx) == [row]


def test_extensions_written_dates_and_a_typo_through_the_cli(cli, tmp_path: Path, sandbox) -> None:
    """Issue 22 items 4-6 as a privacy team's log writes them: a run over loopback HTTP."""
    future = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=40)).isoformat()
    header = ["Ticket", "Received", "Extension", "Email"]
    rows = [
        ["T-1", "26/10/2026", "01/12/2026", "ann@example.com"],  # told after 26 Nov: late
        ["T-2", "26/10/2026", "Yes (complex)", "bob@example.com"],
        ["T-3", "12 Nov 2026", "", "cleo@example.com"],
        ["T-4", future, "", "dev@example.com"],
        ["T-5", "2020-01-06", "", "michael.brown@example,com"],  # one key, never sent
    ]
    src = write_csv(tmp_path / "in.csv", header, rows)
    sandbox.sandbox.seed([f"{n}@example.com" for n in ("ann", "bob", "cleo", "dev")], [])
    res = cli("run", src, *fast_args(sandbox.url), "--certificates")
    assert res.code == 1, res.err  # T-5's email is invalid
    assert res.out.splitlines()[-2].endswith(
        "; 1 invalid (no usable email or telephone) and overdue; 2 with a deadline to check "
        "(deadline_code; see Needs attention)."
    )
    assert (
        "1 request(s) with an extension told after the one-month due date (T-1): it does not "
        "count (Art. 12(3)): they keep the one-month due date"
    ) in res.err.splitlines()
    xlsx = only_report(tmp_path / "reports")
    got = {r["request"]: r for r in read_requests(xlsx)}
    fields = ("due_date", "extended", "deadline_code", "on_time", "extension_reason")
    assert {k: tuple(r[f] for f in fields) for k, r in got.items()} == {
        "T-1": ("2026-11-26", "no", "late_extension", "late", ""),
        "T-2": ("2027-01-26", "yes", "", "yes", "complex"),
        "T-3": ("2026-12-14", "no", "", got["T-3"]["on_time"], ""),  # 12 Dec is a Saturday
        "T-4": ("", "no", "future_date", "", ""),
        "T-5": ("2020-02-06", "no", "", "overdue", ""),
    }
    assert got["T-3"]["date_received"] == "2026-11-12"
    # one invalid key with its repair, nothing sent for it
    line = next(r for r in report_rows(xlsx) if r["Ticket"] == "T-5")
    assert (line["key"], line["status"]) == ("michael.brown@example,com", "invalid")
    assert line["message"].endswith("did you mean michael.brown@example.com?")
    assert sorted(e.key for e in sandbox.sandbox.posts()) == [
        "ann@example.com", "bob@example.com", "cleo@example.com", "dev@example.com"
    ]  # fmt: skip
    # Needs attention: the invalid line, the late extension's and the future date's
    head, *listed = openpyxl.load_workbook(xlsx)["Needs attention"].iter_rows(values_only=True)
    tickets = sorted(str(r[head.index("Ticket")]) for r in listed)
    assert tickets == ["T-1", "T-4", "T-5"]
    # days_left in the csv twin: a number, not the text '-NNN
    twin = xlsx.with_name(xlsx.stem + ".requests.csv").read_text(encoding="utf-8-sig")
    overdue = next(line for line in twin.splitlines() if line.startswith("T-5,"))
    assert f",{got['T-5']['days_left']}," in overdue and got["T-5"]["days_left"].startswith("-")
    folder = xlsx.with_name(xlsx.stem + "-certificates")
    t1 = " ".join(p.extract_text() for p in PdfReader(folder / "T-1.pdf").pages)
    assert "NOT COUNTED" in t1 and "[Before sending:" in t1
    t2 = " ".join(p.extract_text() for p in PdfReader(folder / "T-2.pdf").pages)
    assert "reason given: complex" in t2 and "We are sorry" not in t2
