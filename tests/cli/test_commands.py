"""validate, verify, report (rebuild), handover and the refusals, through the CLI."""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import zipfile
from pathlib import Path

import openpyxl
from conftest import SAMPLES, only_report, report_rows, write_csv
from forkcli import spawn

from batch_anonymizer.audit.report import requests_csv_path
from batch_anonymizer.audit.reportread import read_requests


def test_validate_prints_problems_and_writes_a_dry_run_report(cli, tmp_path: Path) -> None:
    res = cli("validate", SAMPLES / "requests.csv")
    assert res.code == 1
    assert res.out.startswith(
        "requests.csv: 50 rows: 46 erasure requests, 4 other rights (not_erasure: not sent), "
        "1 held (hold: not sent), 1 unverified (identity_unverified: not sent)\n"
        "58 keys ready to send\n"
    )
    assert (
        "Problems: 1 invalid email, 1 row without email or telephone, 2 duplicates, "
        "6 lines of other rights (not erasure requests), 1 line held by its hold cell, "
        "2 lines held: identity not verified"
    ) in res.out
    rows = report_rows(only_report(tmp_path / "reports"))
    assert {r["status"] for r in rows} == {"ready", "invalid", "duplicate", "skipped", "held"}


def test_verify_passes_then_catches_a_one_byte_change(cli, tmp_path: Path) -> None:
    cli("run", SAMPLES / "requests.csv", "--sandbox", "--rate", "0", "--no-progress")
    xlsx = only_report(tmp_path / "reports")
    res = cli("verify", xlsx)
    assert res.code == 0 and res.out.startswith("verified:")
    csv = xlsx.with_suffix(".csv")
    data = bytearray(csv.read_bytes())
    data[-3] ^= 1
    csv.write_bytes(bytes(data))
    res = cli("verify", xlsx)
    assert res.code == 1 and res.out.startswith("CHANGED:")


def test_report_rebuilds_from_the_journal(cli, tmp_path: Path) -> None:
    cli("run", SAMPLES / "requests.csv", "--sandbox", "--rate", "0", "--no-progress")
    xlsx = only_report(tmp_path / "reports")
    original = report_rows(xlsx)
    res = cli("report", xlsx.with_suffix(".journal"), "--report", tmp_path / "rebuilt.xlsx")
    assert res.code == 0, res.err
    assert report_rows(tmp_path / "rebuilt.xlsx") == original


def test_handover_hides_keys_and_lookup_finds_one(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BATCH_ANONYMIZER_HMAC_KEY", "a-team-secret-of-32-characters!!")
    src = write_csv(
        tmp_path / "in.csv",
        ["Request ID", "Email"],
        [["R1", "jane@example.com"], ["R2", "li@example.org"]],
    )
    cli("run", src, "--sandbox", "--no-progress")
    xlsx = only_report(tmp_path / "reports")
    res = cli("handover", xlsx, "--keep-column", "Request ID", "--out", tmp_path / "h.xlsx")
    assert res.code == 0, res.err
    with zipfile.ZipFile(tmp_path / "h.xlsx") as z:
        blob = b"".join(z.read(n) for n in z.namelist())
    blob += (tmp_path / "h.csv").read_bytes()
    assert b"jane@example.com" not in blob and b"li@example.org" not in blob
    assert b"R1" in blob
    res = cli("handover", tmp_path / "h.xlsx", "--lookup", "Jane@Example.com")
    assert res.code == 0 and "found: row 2: success" in res.out
    res = cli("handover", tmp_path / "h.xlsx", "--lookup", "nobody@example.com")
    assert res.code == 1


def test_own_report_as_input_suggests_retry(cli, tmp_path: Path) -> None:
    cli("run", SAMPLES / "requests.csv", "--sandbox", "--rate", "0", "--no-progress")
    xlsx = only_report(tmp_path / "reports")
    res = cli("run", xlsx, "--sandbox")
    assert res.code == 2
    assert "batch-anonymizer retry" in res.err
    assert "Traceback" not in res.err


def test_garbage_file_is_one_line_exit_2(cli, tmp_path: Path) -> None:
    bad = tmp_path / "requests.xlsx"
    bad.write_bytes(b"\x00\x01garbage" * 50)
    res = cli("run", bad, "--sandbox")
    assert res.code == 2
    assert res.err.count("\n") == 1 and res.err.startswith("error: ")
    assert not (tmp_path / "reports").exists()


def test_a_base_url_with_credentials_is_refused_before_anything(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [["a@example.com"]])
    res = cli("run", src, "--base-url", "https://apikey123:x@api.example.com", "--yes")
    assert res.code == 2
    assert res.err.count("\n") == 1
    assert "must not hold a user name or password" in res.err
    assert "--api-key-file" in res.err
    assert "apikey123" not in res.err + res.out
    assert not (tmp_path / "reports").exists()


def test_run_handover_writes_the_pseudonymised_copy_at_the_end(
    cli, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("BATCH_ANONYMIZER_HMAC_KEY", "a-long-handover-secret-0123456789")
    out = tmp_path / "for-compliance.xlsx"
    res = cli(
        "run", SAMPLES / "requests.csv", "--sandbox", "--rate", "0", "--no-progress",
        "--handover", out,
    )  # fmt: skip
    assert res.code == 1, res.err
    assert f"Handover copy: {out}" in res.out
    report = report_rows(only_report(tmp_path / "reports"))
    copy = report_rows(out)
    assert [r["status"] for r in copy] == [r["status"] for r in report]
    keys = {r["key"] for r in report if r["key"]}
    for p in (out, out.with_suffix(".csv")):
        data = p.read_bytes()
        if p.suffix == ".xlsx":
            with zipfile.ZipFile(p) as z:
                data = b"".join(z.read(n) for n in z.namelist())
        for key in keys:
            assert key.encode() not in data, (p, key)
    found = cli("handover", out, "--lookup", report[0]["key"])
    assert found.code == 0 and found.out.startswith("found: row 2: success")


def _handover_run(cli, tmp_path: Path, *extra: str) -> tuple[Path, list[str]]:
    """A sandbox run with --handover of a small log (one request id that is an email)."""
    src = write_csv(
        tmp_path / "in.csv",
        ["Request ID", "Date received", "Name", "Email", "Phone"],
        [
            ["R-1", "2026-11-20", "Γιώργος", "giorgos@example.com", "+44 7700 900123"],
            ["zoe@example.org", "2026-11-25", "Zoë", "zoe@example.org", ""],
        ],
    )
    out = tmp_path / "h.xlsx"
    res = cli("run", src, "--sandbox", "--rate", "0", "--no-progress", "--handover", out, *extra)
    assert res.code == 0, res.err
    keys = ["giorgos@example.com", "zoe@example.org", "+44 7700 900123", "447700900123"]
    return out, keys


def _headline(xlsx: Path) -> str:
    """The Summary's sentence on the keys (under the title)."""
    cells = [str(c.value) for c in openpyxl.load_workbook(xlsx)["Summary"]["A"][:4]]
    return next(c for c in cells if " keys anonymized" in c)


def test_a_verified_runs_handover_keeps_its_evidence(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BATCH_ANONYMIZER_HMAC_KEY", "a-long-handover-secret-0123456789")
    out, keys = _handover_run(cli, tmp_path)
    assert _headline(out).startswith("3 of 3 keys anonymized and verified (3 records)")
    rows = report_rows(out)
    assert [(r["records_before"], r["records_after"]) for r in rows] == [("1", "0")] * 3
    assert [r["key_form"] for r in rows] == ["vendor"] * 3
    requests = read_requests(out)
    assert [(r["outcome"], r["due_date"], r["keys"]) for r in requests] == [
        ("erased", "2026-12-21", "2"),
        ("erased", "2026-12-25", "1"),  # no --holidays: Christmas counts
    ]
    zoe = hmac.new(b"a-long-handover-secret-0123456789", b"zoe@example.org", hashlib.sha256)
    assert requests[1]["request"] == zoe.hexdigest()  # a request id that is a key
    assert read_requests(requests_csv_path(out)) == requests
    data = out.with_suffix(".csv").read_bytes() + requests_csv_path(out).read_bytes()
    with zipfile.ZipFile(out) as z:
        data += b"".join(z.read(n) for n in z.namelist())
    for key in (*keys, "Γιώργος"):
        assert key.encode() not in data, key
    # the key looked up from standard input, never on the command line
    monkeypatch.setattr("sys.stdin", io.StringIO("Zoe@Example.org\n"))
    found = cli("handover", out, "--lookup", "-")
    assert found.code == 0 and found.out.startswith("found: row 3: success"), found.out


def test_a_no_verify_runs_handover_says_not_verified(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BATCH_ANONYMIZER_HMAC_KEY", "a-long-handover-secret-0123456789")
    out, _ = _handover_run(cli, tmp_path, "--no-verify")
    assert _headline(out).startswith("3 of 3 keys anonymized (the vendor's answers, not verified)")


def test_run_handover_without_a_secret_sends_nothing(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("BATCH_ANONYMIZER_HMAC_KEY", raising=False)
    res = cli("run", SAMPLES / "requests.csv", "--sandbox", "--handover", tmp_path / "h.xlsx")
    assert res.code == 2
    assert "no handover secret" in res.err
    assert not (tmp_path / "reports").exists()


def test_ctrl_c_at_the_confirmation_sends_nothing_and_says_what_to_do(
    cli, tmp_path: Path, monkeypatch
) -> None:
    import io

    from conftest import start_sandbox

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    def interrupted(prompt: str = "") -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("builtins.input", interrupted)
    src = write_csv(tmp_path / "in.csv", ["Email"], [["jane@example.com"]])
    with start_sandbox() as thread:
        thread.sandbox.seed(["jane@example.com"], [])
        res = cli("run", src, "--base-url", thread.url, "--no-progress")
        assert thread.sandbox.log == []
    assert res.code == 130
    assert res.err.splitlines()[-1].startswith("interrupted: nothing more is sent.")
    assert "batch-anonymizer report JOURNAL" in res.err
    assert not (tmp_path / "reports").exists()


def test_validate_prints_the_command_that_places_national_numbers(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "ph.csv", ["Phone"], [["07700 900123"], ["+44 7700 900124"]])
    res = cli("validate", src)
    assert res.code == 1
    assert "Problems: 1 national telephone number without --default-region" in res.out
    assert (
        "1 telephone(s) in national form need their country (CC, for example GB): "
        f"batch-anonymizer validate {src} --default-region CC, then run with "
        "--default-region CC too"
    ) in res.out.splitlines()
    fixed = cli("validate", src, "--default-region", "GB")
    assert fixed.code == 0 and "national form" not in fixed.out


def test_a_run_prints_every_report_file(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [["a@example.com"]])
    res = cli("run", src, "--sandbox", "--rate", "0", "--no-progress", "--report", "r/x.xlsx")
    assert res.code == 0, res.err
    assert res.out.splitlines()[:3] == [
        "Report:  r/x.xlsx",
        "         r/x.csv",
        "         r/x.requests.csv",
    ]


def test_help_lists_every_halt_the_readme_lists() -> None:
    from batch_anonymizer.cli.parser import EXIT_CODES

    text = " ".join(EXIT_CODES.split())
    for halt in ("credentials refused", "the v6 telephone field refused", "lookups refused",
                 "the journal or the erasure ledger not written"):  # fmt: skip
        assert halt in text, halt


# The CLI's own __main__ with stdout on a pipe whose reader has gone (in a forked process).
CLOSED_STDOUT = """
import os, runpy, sys
read_end, write_end = os.pipe()
os.dup2(write_end, 1)
os.close(read_end)  # the reader left before the first line
os.close(write_end)
# stdout as a fresh interpreter opens a pipe: block-buffered (the zygote's is unbuffered)
sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", closefd=False)
sys.argv = ["batch_anonymizer", *sys.argv[1:]]
runpy.run_module("batch_anonymizer", run_name="__main__", alter_sys=True)
"""


def test_a_closed_pipe_ends_quietly_with_141(tmp_path: Path) -> None:
    """`validate FILE | head -1`: the reader has gone; no traceback, exit 141 (SIGPIPE).

    A real process to the interpreter's last flush at exit, forked (tests/forkcli.py)."""
    src = write_csv(tmp_path / "in.csv", ["Email"], [["a@example.com"]])
    tool = spawn(["validate", str(src)], tmp_path, dict(os.environ), code=CLOSED_STDOUT)
    out, err = tool.communicate(timeout=60)
    assert tool.returncode == 141, err
    assert err == ""
    assert out == ""


def test_an_unusable_ledger_secret_is_refused_before_the_input_is_read(cli, tmp_path: Path) -> None:
    """A short secret file stops the run at once: the input (missing here) is never read."""
    short = tmp_path / "secret.txt"
    short.write_text("short\n", encoding="utf-8")
    res = cli(
        "run", tmp_path / "absent.csv", "--base-url", "http://127.0.0.1:9", "--yes",
        "--ledger", tmp_path / "l.sqlite3", "--hmac-secret-file", short,
    )  # fmt: skip
    assert res.code == 2
    assert "shorter than 16 bytes" in res.err and "absent.csv" not in res.err
