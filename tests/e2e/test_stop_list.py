"""``--stop-list``: only emails whose erasure was verified reach the vendor's stop list."""

from __future__ import annotations

import os

from conftest import fast_args, only_report, report_rows, start_sandbox, write_csv

VERIFIED = "verified@example.com"
ALSO = "Also.Verified@example.org"
ABSENT = "absent@example.net"  # not_found: nothing was erased
REFUSED = "refused@example.com"  # the vendor refused: not erased
PHONE = "+44 7700 900155"  # verified, but the list holds emails only


def test_stop_list_reaches_the_sandbox_only_for_verified_erasures(cli, tmp_path) -> None:
    src = write_csv(
        tmp_path / "in.csv",
        ["Email", "Phone"],
        [[VERIFIED, PHONE], [ALSO, ""], [ABSENT, ""], [REFUSED, ""]],
    )
    with start_sandbox(f'{{"script": {{"{REFUSED}": [400]}}}}') as thread:
        box = thread.sandbox
        box.seed([VERIFIED, ALSO, REFUSED], [PHONE])
        base = fast_args(thread.url)
        res = cli("run", src, *base, "--stop-list")
        listed = list(box.unsubscribed)
        box.seed([VERIFIED], [])
        plain = cli("run", src, *base, "--reports-dir", tmp_path / "plain")
        assert plain.code in (0, 1), plain.err
        after_plain = list(box.unsubscribed)
    assert res.code == 1, res.err  # the refused key
    assert sorted(listed) == sorted([VERIFIED, ALSO])
    rows = {r["key"]: r for r in report_rows(only_report(tmp_path / "reports"))}
    assert rows[VERIFIED]["stop_list"] == rows[ALSO]["stop_list"] == "added"
    assert "stop list" in rows[VERIFIED]["message"]
    for key in ("447700900155", ABSENT, REFUSED):
        assert rows[key]["stop_list"] == "", rows[key]
    assert rows[REFUSED]["status"] == "failed"
    assert after_plain == listed  # without --stop-list nothing is added
    assert all(r["stop_list"] == "" for r in report_rows(only_report(tmp_path / "plain")))


def test_stop_list_is_refused_with_no_verify(cli, tmp_path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [[VERIFIED]])
    res = cli("run", src, "--sandbox", "--yes", "--stop-list", "--no-verify")
    assert res.code == 2 and "--stop-list" in res.err
    assert not (tmp_path / "reports").exists()


def test_a_retry_makes_the_stop_list_additions_a_run_could_not(cli, tmp_path) -> None:
    """Issue 23 (medium 11): verified erasures left ``stop_list=failed`` are added by
    ``retry`` (and ``run --resume``), the stop-list step alone: no anonymize POST."""
    src = write_csv(tmp_path / "in.csv", ["Email"], [[VERIFIED], [ALSO], [ABSENT]])
    # a test server's run keeps its ledger beside the report unless one is named
    ledger = os.environ["BATCH_ANONYMIZER_LEDGER"]
    opts = ["--no-progress", "--rate", "0", "--max-retries", "0", "--yes", "--stop-list"]
    opts += ["--ledger", ledger]
    with start_sandbox('{"unsubscribe_status": 503}') as down:  # the list endpoint is down
        down.sandbox.seed([VERIFIED, ALSO], [])
        first = cli("run", src, "--base-url", down.url, *opts)
        assert down.sandbox.unsubscribed == [] and len(down.sandbox.unsubscribes()) == 2
    xlsx = only_report(tmp_path / "reports")
    # the vendor again, its list endpoint back (it holds no record: nothing may be erased)
    with start_sandbox() as thread:
        box = thread.sandbox
        again = cli("retry", xlsx, "--base-url", thread.url, *opts, "--reports-dir", "r2")
        listed = sorted(box.unsubscribed)
        resumed = cli("run", src, "--base-url", thread.url, *opts, "--resume", xlsx,
                      "--reports-dir", "r3")  # fmt: skip
        assert box.posts() == [] and box.lookups() == []
    assert first.code == 1, first.out + first.err  # not "All done": two are owed
    assert "2 not yet added to the vendor's stop list" in first.out
    assert "retry" in first.out and "All done" not in first.out
    assert listed == sorted([VERIFIED, ALSO])
    assert again.code == 0 and "All done" in again.out, again.out + again.err
    assert "About to anonymize 0 key(s)" in again.err
    assert "2 email(s) an earlier run erased and verified go on the vendor's stop list" in again.err
    rows = {r["key"]: r for r in report_rows(only_report(tmp_path / "r2"))}
    assert rows[VERIFIED]["stop_list"] == rows[ALSO]["stop_list"] == "added"
    assert rows[VERIFIED]["status"] == "success" and rows[ABSENT]["status"] == "not_found"
    assert "NOT added" not in rows[VERIFIED]["message"]
    # the resume of the first run owes the list too: added again, harmless, nothing erased
    assert resumed.code == 0, resumed.out + resumed.err
    history = cli("history", VERIFIED)
    assert "stop list added" in history.out and "stop list failed" not in history.out
