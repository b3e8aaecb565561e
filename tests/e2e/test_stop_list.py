"""``--stop-list``: only emails whose erasure was verified reach the vendor's stop list."""

from __future__ import annotations

from conftest import only_report, report_rows, start_sandbox, write_csv

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
        base = ["--base-url", thread.url, "--yes", "--no-progress", "--rate", "0"]
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
