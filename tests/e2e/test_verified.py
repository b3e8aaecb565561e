"""Verified erasure end to end: the real CLI, the sandbox's own store as the witness.

Each test asserts what CustomerGauge (the sandbox) holds afterwards and which
requests reached it, not only what the report says.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest
from conftest import only_report, report_rows, start_sandbox, write_csv

from batch_anonymizer.audit.reportread import read_requests

FAST = ["--yes", "--rate", "0", "--no-progress"]


def run(cli, tmp_path: Path, url: str, header: list[str], rows: list[list[str]], *extra: str):
    src = write_csv(tmp_path / "in.csv", header, rows)
    result = cli("run", src, "--base-url", url, *FAST, *extra)
    return result, report_rows(only_report(tmp_path / "reports"))


@pytest.mark.parametrize(
    ("written", "region"),
    [
        ("+44 7700 900123", None),
        ("+44 (0)7700 900123", None),
        ("0044 7700 900123", None),
        ("447700900123", None),
        ("07700 900123", "GB"),
    ],
)
def test_every_written_form_of_a_telephone_anonymizes_the_stored_record(
    cli, tmp_path: Path, written: str, region: str | None
) -> None:
    with start_sandbox() as thread:
        box = thread.sandbox
        box.add_record(sms_telephone="447700900123", first_name="Kim")  # the vendor's form
        box.add_record(person=0, sms_telephone="447700900123", first_name="Kim")
        extra = ("--default-region", region) if region else ()
        result, rows = run(cli, tmp_path, thread.url, ["Phone"], [[written]], *extra)
        sent = [e.key for e in box.log if e.key_type == "telephone"]
        left = box.records_for("telephone", "447700900123")
        records = box.store.all_records()
    assert result.code == 0, result.out + result.err
    assert sent == ["447700900123"] * 3  # lookup, anonymize, lookup: all in the stored form
    assert left == [] and all(r.anonymized and r.sms_telephone == "***" for r in records)
    (row,) = rows
    assert (row["status"], row["key"], row["Phone"]) == ("success", "447700900123", written)
    assert (row["records_before"], row["records_after"], row["key_form"]) == ("2", "0", "vendor")


def test_a_us_number_with_punctuation_goes_in_the_stored_form(cli, tmp_path: Path) -> None:
    with start_sandbox() as thread:
        thread.sandbox.add_record(sms_telephone="12025550142")
        result, rows = run(cli, tmp_path, thread.url, ["Phone"], [["+1 (202) 555-0142"]])
        left = thread.sandbox.records_for("telephone", "12025550142")
    assert result.code == 0 and rows[0]["status"] == "success" and left == []


def test_a_key_the_vendor_does_not_hold_is_not_found_and_never_sent(cli, tmp_path: Path) -> None:
    with start_sandbox() as thread:
        thread.sandbox.add_record(email="held@example.com")
        result, rows = run(
            cli, tmp_path, thread.url, ["Email"], [["held@example.com"], ["Nobody@Example.org"]]
        )
        posts = [e.key for e in thread.sandbox.posts()]
        lookups = [e.key for e in thread.sandbox.lookups()]
    assert result.code == 0, result.out  # not_found is a final, good answer
    assert [r["status"] for r in rows] == ["success", "not_found"]
    assert rows[1]["error_code"] == "not_found" and rows[1]["attempts"] == "0"
    assert "CustomerGauge holds no record for this key" in rows[1]["message"]
    assert posts == ["held@example.com"]  # nothing sent for the key nobody holds
    # looked up as written, then lower-cased (the vendor does not say whether case matters)
    assert lookups.count("Nobody@Example.org") == 1 and lookups.count("nobody@example.org") == 1
    assert "All done: 1 success, 1 not_found." in result.out


def test_a_blind_success_never_makes_a_success_line_for_a_key_not_held(cli, tmp_path: Path) -> None:
    with start_sandbox('{"blind_success": true}') as thread:
        thread.sandbox.add_record(email="held@example.com")
        _, rows = run(
            cli, tmp_path, thread.url, ["Email"], [["held@example.com"], ["ghost@example.com"]]
        )
        posted = {e.key for e in thread.sandbox.posts()}
    assert [r["status"] for r in rows] == ["success", "not_found"]
    assert "ghost@example.com" not in posted


def test_records_left_after_a_success_answer_are_still_present(
    cli, tmp_path: Path, monkeypatch
) -> None:
    # The second look waits 3 s in real use; here a moment (the wait itself is
    # tested with a fake clock in tests/api/test_erasure.py).
    import batch_anonymizer.cli.arguments as options

    monkeypatch.setattr(options, "Settings", partial(options.Settings, recheck_delay=0.01))
    with start_sandbox('{"script": {"sticky@example.com": ["sticky"]}}') as thread:
        thread.sandbox.add_record(email="sticky@example.com")
        result, rows = run(cli, tmp_path, thread.url, ["Email"], [["sticky@example.com"]])
        left = thread.sandbox.records_for("email", "sticky@example.com")
        lookups = thread.sandbox.lookups_for("sticky@example.com")
    assert result.code == 1
    (row,) = rows
    assert (row["status"], row["error_code"]) == ("failed", "still_present")
    assert (row["records_before"], row["records_after"]) == ("1", "1")
    assert row["message"] == "the vendor answered success but 1 record(s) remain (looked up twice)"
    assert len(left) == 1 and len(lookups) == 3  # before, after, and once more


def test_a_refused_lookup_halts_before_any_anonymize_call(cli, tmp_path: Path) -> None:
    keys = [f"r{i}@example.com" for i in range(6)]
    script = ", ".join(f'"{k}": [405]' for k in keys)
    with start_sandbox(f'{{"lookup_script": {{{script}}}}}') as thread:
        thread.sandbox.seed(keys, [])
        src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in keys])
        result = cli("run", src, "--base-url", thread.url, *FAST, "--concurrency", "4")
        posts = thread.sandbox.posts()
        lookups = thread.sandbox.lookups()
    assert result.code == 3
    assert posts == [] and len(lookups) == 1
    assert "--no-verify" in result.out
    rows = report_rows(only_report(tmp_path / "reports"))
    assert {(r["status"], r["error_code"]) for r in rows} == {("pending", "lookup_refused")}


def test_no_verify_keeps_the_vendors_word(cli, tmp_path: Path) -> None:
    with start_sandbox() as thread:
        thread.sandbox.add_record(email="a@example.com")
        result, rows = run(cli, tmp_path, thread.url, ["Email"], [["a@example.com"]], "--no-verify")
        lookups = thread.sandbox.lookups()
        left = thread.sandbox.records_for("email", "a@example.com")
    assert result.code == 0
    assert lookups == [] and left == []
    (row,) = rows
    assert row["message"] == "vendor answered success (not verified)"
    assert (row["records_before"], row["records_after"], row["key_form"]) == ("", "", "")


def test_phone_form_as_written_sends_the_cell_as_it_is(cli, tmp_path: Path) -> None:
    with start_sandbox() as thread:
        thread.sandbox.add_record(
            sms_telephone="+44 7700 900123"
        )  # an account storing another form
        result, rows = run(
            cli,
            tmp_path,
            thread.url,
            ["Phone"],
            [["+44 7700 900123"]],
            "--phone-form",
            "as-written",
        )
        sent = {e.key for e in thread.sandbox.log if e.key_type == "telephone"}
        left = thread.sandbox.records_for("telephone", "+44 7700 900123")
    assert result.code == 0, result.out + result.err
    assert sent == {"+44 7700 900123"}
    assert left == []
    assert (rows[0]["key"], rows[0]["key_form"]) == ("+44 7700 900123", "as_written")


def test_a_record_held_in_another_form_is_found_by_the_other_form(cli, tmp_path: Path) -> None:
    with start_sandbox() as thread:
        thread.sandbox.add_record(sms_telephone="+447700900123")  # stored with its +
        result, rows = run(cli, tmp_path, thread.url, ["Phone"], [["+44 7700 900123"]])
        posted = [e.key for e in thread.sandbox.posts()]
        left = thread.sandbox.records_for("telephone", "+447700900123")
    assert result.code == 0, result.out
    assert posted == ["+447700900123"] and left == []
    assert (rows[0]["status"], rows[0]["key_form"]) == ("success", "e164")


def test_the_summary_speaks_of_verified_records(tmp_path: Path) -> None:
    import openpyxl

    import batch_anonymizer as ba

    with start_sandbox('{"script": {"s@example.com": ["sticky"]}}') as thread:
        box = thread.sandbox
        box.add_record(email="a@example.com")
        box.add_record(person=0, email="a@example.com")
        box.add_record(email="s@example.com")
        src = write_csv(
            tmp_path / "in.csv",
            ["Email"],
            [["a@example.com"], ["s@example.com"], ["n@example.com"]],
        )
        opts = ba.RunOptions(
            ba.Endpoint.for_base_url(thread.url),
            ba.ApiKeyAuth(box.api_key),
            ba.Settings(rate=None, recheck_delay=0.05),
            reports_dir=tmp_path / "reports",
        )
        summary = ba.execute(ba.prepare_run(src), opts)
    sheet = openpyxl.load_workbook(summary.xlsx)["Summary"]
    assert sheet["A2"].value == "2 of 3 requests completed: 1 erased, 1 no data held; 1 incomplete."
    assert sheet["A3"].value == (
        "1 of 3 keys anonymized and verified (2 records); 1 not held by CustomerGauge; "
        "1 still present: see Needs attention."
    )
    assert summary.exit_code == ba.ExitCode.PROBLEMS


def test_no_record_after_an_unverified_lost_request_is_not_a_verified_erasure(
    cli, tmp_path: Path
) -> None:
    """A --no-verify run lost the answers; the retry looks and finds nothing.

    Nobody counted the records before those requests: one person was held (the
    lost request erased them), one never was. Neither may be called a verified
    erasure, and neither may say CustomerGauge never held anything.
    """
    held, never = "kim.held@example.com", "ann.never@example.com"
    lost = {"script": {held: ["reset_after"], never: ["reset_after"]}}
    with start_sandbox(json.dumps(lost)) as thread:
        thread.sandbox.seed([held], [])
        src = write_csv(tmp_path / "in.csv", ["Email"], [[held], [never]])
        first = cli("run", src, "--base-url", thread.url, *FAST, "--no-verify",
                    "--max-retries", "0")  # fmt: skip
        report = only_report(tmp_path / "reports")
        again = cli("retry", report, "--base-url", thread.url, *FAST,
                    "--report", tmp_path / "retry.xlsx")  # fmt: skip
        posts = thread.sandbox.posts()
    assert first.code != 0 and again.code == 0, again.out + again.err
    assert len(posts) == 2  # one per key in the first run, none in the retry
    rows = {r["key"]: r for r in report_rows(tmp_path / "retry.xlsx")}
    for key in (held, never):
        row = rows[key]
        assert (row["status"], row["error_code"]) == ("not_found", "gone_unverified"), row
        assert "may have anonymized" in row["message"]
        assert row["records_before"] == "" and row["records_after"] == "0"
    outcomes = [r["outcome"] for r in read_requests(tmp_path / "retry.xlsx")]
    assert outcomes == ["anonymized_unverified"] * 2  # neither "erased" nor "no_data_held"
    assert again.out.rstrip().endswith("All done: 2 not_found.")  # no success, none verified


def test_the_reports_key_is_the_form_that_was_sent(cli, tmp_path: Path) -> None:
    """Stored with "+", found in that form: the report's key says so (issue 12.1)."""
    with start_sandbox() as thread:
        thread.sandbox.add_record(sms_telephone="+447700900150")
        result, rows = run(cli, tmp_path, thread.url, ["Phone"], [["+44 7700 900150"]])
        posts = thread.sandbox.posts()
    assert result.code == 0, result.out + result.err
    assert [e.key for e in posts] == ["+447700900150"]
    (row,) = rows
    assert (row["status"], row["key_form"]) == ("success", "e164")
    assert (row["key"], row["Phone"]) == ("+447700900150", "+44 7700 900150")
    csv_key = (tmp_path / "reports").glob("*Z.csv")
    assert "+447700900150" in next(iter(csv_key)).read_text(encoding="utf-8-sig")


def test_a_resume_from_a_report_whose_key_is_not_the_plans_form(cli, tmp_path: Path) -> None:
    """The report holds the form sent (+447700900150); the plan the vendor form: one line."""
    with start_sandbox('{"script": {"a@example.com": [401]}}') as thread:
        thread.sandbox.add_record(sms_telephone="+447700900150")
        thread.sandbox.seed(["a@example.com"], [])
        rows = [["+44 7700 900150", ""], ["", "a@example.com"]]
        src = write_csv(tmp_path / "in.csv", ["Phone", "Email"], rows)
        first = cli("run", src, "--base-url", thread.url, *FAST, "--concurrency", "1")
        report = only_report(tmp_path / "reports")
        again = cli("run", src, "--resume", report, "--base-url", thread.url, *FAST,
                    "--report", tmp_path / "second.xlsx")  # fmt: skip
        posts = thread.sandbox.posts()
    assert first.code == 3 and again.code == 0, again.out + again.err
    assert [e.key for e in posts] == ["+447700900150", "a@example.com", "a@example.com"]
    rows = report_rows(tmp_path / "second.xlsx")
    assert [(r["key"], r["status"]) for r in rows] == [
        ("+447700900150", "success"),
        ("a@example.com", "success"),
    ]
