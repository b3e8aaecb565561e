"""End to end: the real CLI, real files, real HTTP to the sandbox on 127.0.0.1."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

from conftest import (
    API_KEY,
    SAMPLES,
    CliResult,
    fast_args,
    only_report,
    report_rows,
    start_sandbox,
    write_csv,
)

HEADER = ["Request ID", "Name", "Email", "Phone"]
ROWS = [
    ["R1", "Ann", "ann@example.com", ""],
    ["R2", "Bob", "BOB@Example.com ", "+44 7700 900123"],
    ["R3", "Ann again", " Ann@EXAMPLE.com", ""],
    ["R4", "Nobody", "", ""],
    ["R5", "Bad", "not-an-email", ""],
    ["R6", "Cleo", "", "+1 202 555 0143"],
]


def by_key(rows: list[dict[str, str]]) -> dict[tuple[str, str], dict[str, str]]:
    return {(r["source_row"], r["key_type"]): r for r in rows}


def test_sample_workbook_every_row_accounted_for(cli, tmp_path: Path) -> None:
    # The quickstart's command, at a higher rate: the default 5/s would spend 13 s waiting.
    result: CliResult = cli(
        "run", SAMPLES / "requests.xlsx", "--sandbox", "--no-progress", "--rate", "200"
    )
    assert result.code == 1, result.err  # the sample holds invalid rows on purpose
    assert "Finished with problems" in result.out
    xlsx = only_report(tmp_path / "reports")
    rows = report_rows(xlsx)
    with (SAMPLES / "requests.csv").open(encoding="utf-8-sig", newline="") as f:
        n_input = sum(1 for _ in csv.DictReader(f))
    assert {int(r["source_row"]) for r in rows} == set(range(2, n_input + 2))
    statuses = [r["status"] for r in rows]
    assert (statuses.count("success"), statuses.count("not_found")) == (56, 2)
    assert (statuses.count("invalid"), statuses.count("duplicate")) == (2, 2)
    # the Access requests are not erasures; a pending identity and a legal hold are held
    assert (statuses.count("skipped"), statuses.count("held")) == (6, 3)
    # the built-in sandbox holds nothing for rows 11 and 38 (docs/sandbox.md, the demo rule)
    absent = [
        (r["source_row"], r["key_type"], r["key"]) for r in rows if r["status"] == "not_found"
    ]
    assert absent == [
        ("11", "telephone", "447700900109"),
        ("38", "email", "ann.novak36@example.com"),
    ]
    for r in rows:
        if r["status"] == "success":
            assert r["http_status"] == "200"
            assert r["attempts"] == "1"
            assert r["message"].startswith("Record updated successfully; ")
            assert r["message"].endswith("none left (verified by lookup)")
            assert int(r["records_before"]) >= 1 and r["records_after"] == "0"
            assert r["key_form"] == "vendor"
            assert r["finished_at"].endswith("Z")
            if r["key_type"] == "telephone":
                assert r["key"].isdigit()  # sent in the form CustomerGauge stores
        elif r["status"] == "not_found":
            assert r["attempts"] == "0" and r["records_before"] == "0"
            assert r["error_code"] == "not_found"
        elif r["status"] == "duplicate":
            assert r["message"].startswith("duplicate of row ")
            assert r["attempts"] == "0"
    assert xlsx.with_suffix(".csv").exists()
    assert xlsx.with_suffix(".journal").exists()


def test_dedupe_and_both_key_rows(cli, tmp_path: Path, sandbox) -> None:
    src = write_csv(tmp_path / "in.csv", HEADER, ROWS)
    sandbox.sandbox.seed(["ann@example.com", "bob@example.com"], ["447700900123", "12025550143"])
    result = cli("run", src, *fast_args(sandbox.url))
    assert result.code == 1
    rows = report_rows(only_report(tmp_path / "reports"))
    k = by_key(rows)
    assert len(rows) == 7  # R2 gives two lines, R4 one line without a key
    assert k[("2", "email")]["status"] == "success"
    assert k[("3", "email")]["key"] == "BOB@Example.com"  # sent as written, trimmed
    assert k[("3", "telephone")]["status"] == "success"
    assert k[("3", "telephone")]["key"] == "447700900123"  # the vendor's stored form
    assert k[("4", "email")]["status"] == "duplicate"
    assert k[("4", "email")]["message"] == "duplicate of row 2"
    assert k[("5", "")]["status"] == "invalid"
    assert k[("6", "email")]["status"] == "invalid"
    assert k[("7", "telephone")]["status"] == "success"
    # the original cells travel with each line
    assert k[("4", "email")]["Request ID"] == "R3"
    # the sandbox saw one POST per distinct valid key, as written
    posted = sorted(e.key for e in sandbox.sandbox.posts())
    assert posted == sorted(["ann@example.com", "BOB@Example.com", "447700900123", "12025550143"])


def test_401_halts_at_once_rest_pending(cli, tmp_path: Path, monkeypatch) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [[f"u{i}@example.com"] for i in range(8)])
    monkeypatch.setenv("CUSTOMERGAUGE_API_KEY", "wrong-key-123")
    with start_sandbox() as thread:
        result = cli("run", src, *fast_args(thread.url), "--concurrency", "1")
        posts = thread.sandbox.posts()
        lookups = thread.sandbox.lookups()
    assert result.code == 3
    assert "HALTED" in result.out and "refused the credentials" in result.out
    assert "batch-anonymizer retry" in result.out
    assert (len(lookups), len(posts)) == (1, 0)  # the first lookup was refused: nothing sent
    rows = report_rows(only_report(tmp_path / "reports"))
    assert [r["status"] for r in rows] == ["pending"] * 8
    assert {r["error_code"] for r in rows} == {"halted_auth"}
    assert rows[0]["http_status"] == "401"
    assert all(r["attempts"] == "0" for r in rows)


def test_5xx_then_success_counts_two_attempts(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [["a@example.com"], ["b@example.com"]])
    faults = '{"script": {"a@example.com": [503, 200]}}'
    with start_sandbox(faults) as thread:
        thread.sandbox.seed(["a@example.com", "b@example.com"], [])
        result = cli("run", src, *fast_args(thread.url))
        posts = thread.sandbox.posts_for("a@example.com")
    assert result.code == 0, result.out + result.err
    assert "All done" in result.out
    rows = report_rows(only_report(tmp_path / "reports"))
    a = next(r for r in rows if r["key"] == "a@example.com")
    assert (a["status"], a["attempts"], a["http_status"]) == ("success", "2", "200")
    assert [p.status for p in posts] == [503, 200]


def test_dry_run_sends_nothing(cli, tmp_path: Path, sandbox) -> None:
    src = write_csv(tmp_path / "in.csv", HEADER, ROWS)
    result = cli("run", src, "--base-url", sandbox.url, "--dry-run", "--no-progress")
    assert result.code == 1  # invalid rows
    assert "Dry run, nothing sent" in result.out
    assert sandbox.sandbox.posts() == []
    rows = report_rows(only_report(tmp_path / "reports"))
    assert sorted(r["status"] for r in rows) == ["duplicate", "invalid", "invalid"] + ["ready"] * 4


def test_no_key_for_a_real_endpoint_sends_nothing(cli, tmp_path: Path, monkeypatch) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [["a@example.com"]])
    monkeypatch.delenv("CUSTOMERGAUGE_API_KEY")
    result = cli("run", src, "--region", "eu", "--yes")
    assert result.code == 2
    assert "no API key" in result.err
    assert not (tmp_path / "reports").exists()


def test_refuses_without_terminal_or_yes(cli, tmp_path: Path, sandbox, monkeypatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    src = write_csv(tmp_path / "in.csv", ["Email"], [["a@example.com"]])
    result = cli("run", src, "--base-url", sandbox.url)
    assert result.code == 2
    assert "add --yes" in result.err
    assert sandbox.sandbox.posts() == []


def test_no_key_column_is_one_clear_line(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Name", "Adress"], [["Ann", "x"]])
    result = cli("run", src, "--sandbox")
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert "Name" in result.err and "Adress" in result.err
    assert "Traceback" not in result.err


def test_the_api_key_never_appears_anywhere(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", HEADER, ROWS)
    faults = '{"script": {"ann@example.com": [500, "html502", 401]}}'
    outputs = []
    with start_sandbox(faults) as thread:
        thread.sandbox.seed(["ann@example.com"], [])
        outputs.append(cli("--verbose", "run", src, *fast_args(thread.url)))
        report = only_report(tmp_path / "reports")
        outputs.append(cli("retry", report, *fast_args(thread.url)))
        outputs.append(cli("verify", report))
    verbose = outputs[0].err
    assert "INFO batch_anonymizer: row 2 email a***@example.com: pending" in verbose
    # logs are often shipped elsewhere: a masked key only, never the key itself
    for key in ("ann@example.com", "BOB@Example.com", "+44 7700 900123", "+1 202 555 0143"):
        assert key not in verbose
    for res in outputs:
        assert API_KEY not in res.out and API_KEY not in res.err
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) >= 8
    for p in files:
        assert API_KEY.encode() not in p.read_bytes(), p
        if p.suffix == ".xlsx":  # look inside the zip too
            with zipfile.ZipFile(p) as z:
                for name in z.namelist():
                    assert API_KEY.encode() not in z.read(name), (p, name)


def test_verbose_logs_of_keys_not_held_name_the_forms_never_the_values(cli, tmp_path: Path) -> None:
    rows = [["+44 7700 900109", ""], ["", "Zed.Null@example.com"]]
    src = write_csv(tmp_path / "in.csv", ["Phone", "Email"], rows)
    with start_sandbox() as thread:  # holds nobody
        res = cli("--verbose", "run", src, *fast_args(thread.url))
    assert res.code == 0, res.out + res.err
    for value in ("447700900109", "+447700900109", "+44 7700 900109", "Zed.Null@example.com",
                  "zed.null@example.com"):  # fmt: skip
        assert value not in res.err, value
    assert "row 2 telephone 4477*****109: not_found" in res.err
    rows = report_rows(only_report(tmp_path / "reports"))
    assert [r["message"] for r in rows] == [
        "CustomerGauge holds no record for this key; nothing was anonymized "
        "(looked up in each form: vendor, as_written, e164)",
        "CustomerGauge holds no record for this key; nothing was anonymized "
        "(looked up in each form: vendor, lowercase)",
    ]
