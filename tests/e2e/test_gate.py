"""A privacy team's log through the real CLI and the sandbox: only erasure requests of
verified people, not on hold, send a single request (the sandbox's log shows it)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from conftest import fast_args, only_report, report_rows, write_csv
from pypdf import PdfReader

from batch_anonymizer.audit.reportread import read_requests

HOLD = "Art. 17(3)(e): legal claims pending (case 2026-114)"
HEADER = ["Case ID", "Received", "Email", "Phone", "DSR type", "ID verified", "Legal hold"]
ROWS = [
    ["C-1", "2026-11-20", "ann@example.com", "", "Erasure", "Yes", ""],
    ["C-2", "2026-11-20", "bob@example.com", "", "Access, Erasure", "2026-11-21", ""],
    ["C-3", "2026-11-21", "cleo@example.com", "+44 7700 900123", "Access", "Yes", ""],
    ["C-4", "2026-11-22", "dev@example.com", "", "Right to be forgotten", "No", ""],
    ["C-5", "2026-11-22", "eva@example.com", "", "deletion", "Pending", ""],
    ["C-6", "2026-11-23", "finn@example.com", "", "RTBF", "Yes", HOLD],
    ["C-7", "2026-11-24", "", "+1 202 555 0143", "ERASURE", "✓", ""],
    ["C-8", "2026-11-24", "FINN@example.com", "", "Erasure", "Yes", ""],  # C-6's key: held too
    ["C-9", "2026-11-25", "gus@example.com", "", "Erasure", "", ""],  # empty: not verified
]
NEVER = ["cleo@example.com", "447700900123", "dev@example.com", "eva@example.com"]
NEVER += ["finn@example.com", "gus@example.com"]


def test_only_verified_erasure_requests_not_on_hold_are_sent(cli, tmp_path: Path, sandbox) -> None:
    src = write_csv(tmp_path / "log.csv", HEADER, ROWS)
    emails = [r[2].lower() for r in ROWS if r[2]]
    sandbox.sandbox.seed(emails, ["447700900123", "12025550143"])
    res = cli("run", src, *fast_args(sandbox.url), "--certificates")
    posts = sandbox.sandbox.posts()
    lookups = sandbox.sandbox.lookups()
    assert res.code == 1, res.err  # held rows need someone
    assert "request type: column DSR type" in res.err
    assert "identity verified: column ID verified" in res.err
    # not a single request, not even a lookup, for another right, a hold or an unverified person
    for key in NEVER:
        assert sandbox.sandbox.posts_for(key) == [], key
        assert sandbox.sandbox.lookups_for(key) == [], key
    assert sorted(p.key for p in posts) == ["12025550143", "ann@example.com", "bob@example.com"]
    assert len(lookups) == 6  # before and after, for the three sent
    assert "(3 entries recorded)" in res.out  # the ledger holds the three erasures alone
    rows = report_rows(only_report(tmp_path / "reports"))
    got = [(r["source_row"], r["key"], r["status"], r["error_code"]) for r in rows]
    assert got == [
        ("2", "ann@example.com", "success", ""),
        ("3", "bob@example.com", "success", ""),
        ("4", "cleo@example.com", "skipped", "not_erasure"),
        ("4", "447700900123", "skipped", "not_erasure"),
        ("5", "dev@example.com", "held", "identity_unverified"),
        ("6", "eva@example.com", "held", "identity_unverified"),
        ("7", "finn@example.com", "held", "hold"),
        ("8", "12025550143", "success", ""),
        ("9", "FINN@example.com", "held", "hold"),
        ("10", "gus@example.com", "held", "identity_unverified"),
    ]
    messages = {r["source_row"]: r["message"] for r in rows}
    assert HOLD in messages["7"]  # the hold's text is kept as its reason
    assert "row 7" in messages["9"] and HOLD in messages["9"]
    assert '"Pending"' in messages["6"] and '"empty"' in messages["10"]
    xlsx = only_report(tmp_path / "reports")
    today = dt.datetime.now(dt.UTC).date()
    req = {r["request"]: r for r in read_requests(xlsx)}
    outcomes = {k: r["outcome"] for k, r in req.items()}
    assert outcomes == {
        "C-1": "erased", "C-2": "erased", "C-3": "not_erasure", "C-4": "held", "C-5": "held",
        "C-6": "held", "C-7": "erased", "C-8": "held", "C-9": "held",
    }  # fmt: skip
    for name in ("C-3", "C-4", "C-6"):  # still owed an answer: a due date and the days left
        due = dt.date.fromisoformat(req[name]["due_date"])
        assert int(req[name]["days_left"]) == (due - today).days
    # a held line says, in Needs attention too, by when its request is due
    due, left = req["C-5"]["due_date"], req["C-5"]["days_left"]
    assert messages["6"].endswith(f"(request C-5 due {due}, {left} days left)")
    assert (req["C-6"]["hold"], req["C-5"]["identity"]) == (HOLD, "Pending")
    assert req["C-2"]["request_type"] == "Access, Erasure"  # the other right named
    attention = _sheet(xlsx, "Needs attention")
    assert {r["source_row"] for r in attention} >= {"5", "6", "7", "9", "10"}
    folder = xlsx.with_name(xlsx.stem + "-certificates")
    for name in ("C-3", "C-4", "C-6"):
        text = _pdf_text(folder / f"{name}.pdf")
        assert "ERASED" not in text and "We have done so" not in text, name
    assert HOLD in _pdf_text(folder / "C-6.pdf")
    assert "NOT AN ERASURE REQUEST" in _pdf_text(folder / "C-3.pdf")


def test_an_unclassified_request_type_stops_the_run_before_anything_is_sent(
    cli, tmp_path: Path, sandbox
) -> None:
    rows = [
        ["C-1", "2026-11-20", "ann@example.com", "", "Erasure", "Yes", ""],
        ["C-2", "2026-11-20", "bob@example.com", "", "Forget", "Yes", ""],
        ["C-3", "2026-11-20", "cleo@example.com", "", "GDPR 15", "Yes", ""],
        ["C-4", "2026-11-20", "dev@example.com", "", "Forget ", "Yes", ""],
    ]
    src = write_csv(tmp_path / "log.csv", HEADER, rows)
    sandbox.sandbox.seed(["ann@example.com"], [])
    res = cli("run", src, *fast_args(sandbox.url))
    assert res.code == 2
    assert '"Forget" (2 rows), "GDPR 15" (1 row)' in res.err
    assert "--erasure-type VALUE" in res.err
    assert sandbox.sandbox.log == [] and not (tmp_path / "reports").exists()
    # named an erasure, "Forget" goes; "GDPR 15" still stops the run
    res = cli("validate", src, "--erasure-type", "forget", "--erasure-type", "GDPR 15")
    assert res.out.startswith(
        "log.csv: 4 rows: 4 erasure requests, 0 other rights (not_erasure: not sent), "
        "0 held (hold: not sent), 0 unverified (identity_unverified: not sent)\n"
    ), res.out


def _sheet(xlsx: Path, title: str) -> list[dict[str, str]]:
    import openpyxl

    ws = openpyxl.load_workbook(xlsx, read_only=True)[title]
    values = [["" if c is None else str(c) for c in row] for row in ws.iter_rows(values_only=True)]
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def _pdf_text(path: Path) -> str:
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)
