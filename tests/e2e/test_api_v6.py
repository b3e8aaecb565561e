"""The v6 API end to end: the real CLI, the sandbox over loopback HTTP, its store as the witness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import only_report, report_rows, start_sandbox, write_csv

from batch_anonymizer.audit.reportread import read_report
from batch_anonymizer.sandbox import Person, Sandbox

V6 = "/v6/system-admin/data-admin/contacts/anonymize"
SECRET = "v6-client-secret-8e41c2"  # distinctive, so a leak is easy to grep
OAUTH = ["--oauth-client-id", "sandbox-client"]
FAST = ["--yes", "--rate", "0", "--no-progress"]
HEADER = ["Request ID", "Email", "Mobile"]
ROWS = [
    ["R1", "ann.lee@example.com", "+44 7700 900101"],
    ["R2", "bob.stone@example.org", ""],
    ["R3", "", "+1 202 555 0143"],
    ["R4", "cleo.diaz@example.net", "+44 7700 900104"],
    ["R5", "dev.patel@example.com", ""],
]
#: Every column but those that differ between any two runs (when, which run, the vendor's words).
SAME = ("message", "finished_at", "run_id")


def hold(box: Sandbox) -> None:
    """The people of ROWS as the vendor holds them; nobody holds R4's telephone."""
    box.seed_people(
        [
            Person(["ann.lee@example.com"], ["447700900101"], records=2, by_channel=True),
            Person(["bob.stone@example.org"], records=1),
            Person([], ["12025550143"], records=1),
            Person(["cleo.diaz@example.net"], records=1),
            Person(["dev.patel@example.com"], records=3),
        ]
    )


@pytest.fixture
def oauth(monkeypatch: pytest.MonkeyPatch) -> None:
    """OAuth2 only: the client secret in the environment, no API key."""
    monkeypatch.delenv("CUSTOMERGAUGE_API_KEY")
    monkeypatch.setenv("CUSTOMERGAUGE_CLIENT_SECRET", SECRET)


def journal_run_record(xlsx: Path) -> dict[str, object]:
    with xlsx.with_suffix(".journal").open(encoding="utf-8") as f:
        return json.loads(f.readline())  # type: ignore[no-any-return]


def test_a_v6_run_anonymizes_the_store_and_reports_like_a_v4_1_run(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = write_csv(tmp_path / "in.csv", HEADER, ROWS)
    monkeypatch.setenv("CUSTOMERGAUGE_CLIENT_SECRET", SECRET)
    reports: dict[str, list[dict[str, str]]] = {}
    for api in ("v4.1", "v6"):
        with start_sandbox(client_secret=SECRET) as thread:
            box = thread.sandbox
            hold(box)
            extra = [*OAUTH, "--api", "v6"] if api == "v6" else []
            report = ["--report", f"{api}.xlsx", "--no-ledger"]  # two runs, one store each
            res = cli("run", src, "--base-url", thread.url, *FAST, *extra, *report)
            assert res.code == 0, res.out + res.err
            held = [r for r in box.store.all_records() if not r.anonymized]
            posts = [(e.path, e.key_type, e.key, e.auth, e.outcome) for e in box.posts()]
        assert held == []  # every record of every key is anonymized
        reports[api] = report_rows(tmp_path / f"{api}.xlsx")
        if api == "v6":
            assert sorted(posts) == [  # rows go to parallel workers: in any order
                (V6, "email", "ann.lee@example.com", "bearer", "anonymized"),
                (V6, "email", "bob.stone@example.org", "bearer", "anonymized"),
                (V6, "email", "cleo.diaz@example.net", "bearer", "anonymized"),
                (V6, "email", "dev.patel@example.com", "bearer", "anonymized"),
                (V6, "telephone", "12025550143", "bearer", "anonymized"),
                (V6, "telephone", "447700900101", "bearer", "anonymized"),
            ]
    v41, v6 = reports["v4.1"], reports["v6"]
    assert list(v6[0]) == list(v41[0])  # the same columns, in the same order
    assert [{k: v for k, v in r.items() if k not in SAME} for r in v6] == [
        {k: v for k, v in r.items() if k not in SAME} for r in v41
    ]
    assert [
        (r["source_row"], r["key"], r["status"], r["records_before"], r["records_after"])
        for r in v6
    ] == [
        ("2", "ann.lee@example.com", "success", "1", "0"),
        ("2", "447700900101", "success", "1", "0"),
        ("3", "bob.stone@example.org", "success", "1", "0"),
        ("4", "12025550143", "success", "1", "0"),
        ("5", "cleo.diaz@example.net", "success", "1", "0"),
        ("5", "447700900104", "not_found", "0", ""),
        ("6", "dev.patel@example.com", "success", "3", "0"),
    ]
    assert v6[0]["message"] == (
        "Contact anonymized; 1 record(s) anonymized, none left (verified by lookup)"
    )
    facts = read_report(tmp_path / "v6.xlsx").facts
    assert (facts["api_version"], facts["setting.v6_phone_field"]) == ("v6", "phone")
    assert read_report(tmp_path / "v4.1.xlsx").facts["api_version"] == "v4.1"
    assert journal_run_record(tmp_path / "v6.xlsx")["api_version"] == "v6"
    for p in tmp_path.rglob("*"):
        assert not p.is_file() or SECRET.encode() not in p.read_bytes()


@pytest.mark.parametrize("command", ["run", "check"])
@pytest.mark.parametrize("key_from", ["environment", "file"])
def test_v6_with_an_api_key_alone_is_refused_before_anything_is_sent(
    cli, tmp_path: Path, command: str, key_from: str
) -> None:
    src = write_csv(tmp_path / "in.csv", HEADER, ROWS)
    key = ["--api-key-file", str(tmp_path / "key.txt")] if key_from == "file" else []
    (tmp_path / "key.txt").write_text("a-key-of-the-right-shape\n")
    with start_sandbox() as thread:
        thread.sandbox.seed(["bob.stone@example.org"], [])
        res = cli(command, src, "--base-url", thread.url, "--api", "v6", *key, *FAST)
        log = list(thread.sandbox.log)
    assert res.code == 2
    assert res.err.strip().splitlines() == [
        "error: the v6 API takes OAuth2 tokens only: give --oauth-client-id ID, with the "
        "client secret in CUSTOMERGAUGE_CLIENT_SECRET or --oauth-secret-file (an API key is "
        "not enough); nothing was sent"
    ]
    assert log == []  # not even a token request
    assert not (tmp_path / "reports").exists()


def test_the_wrong_phone_field_fails_the_first_telephone_key_and_halts_the_run(
    cli, tmp_path: Path, oauth: None
) -> None:
    src = write_csv(tmp_path / "in.csv", HEADER, ROWS)
    with start_sandbox('{"v6_phone_field": "telephone"}', client_secret=SECRET) as thread:
        box = thread.sandbox
        hold(box)
        res = cli("run", src, "--base-url", thread.url, "--api", "v6", *OAUTH, *FAST)
        refused = [(e.key, e.status, e.outcome) for e in box.posts()]
        held = {r.sms_telephone for r in box.store.all_records() if r.sms_telephone != "***"}
    assert res.code == 3, res.out + res.err
    assert refused == [  # the first row goes alone: one refusal, not one per telephone key
        ("ann.lee@example.com", 200, "anonymized"),
        ("447700900101", 400, "bad_request"),
    ]
    assert held == {"", "447700900101", "12025550143"}  # no telephone record was anonymized
    rows = report_rows(only_report(tmp_path / "reports"))
    assert [(r["source_row"], r["key"], r["status"], r["error_code"]) for r in rows] == [
        ("2", "ann.lee@example.com", "success", ""),
        ("2", "447700900101", "failed", "v6_field_refused"),
        ("3", "bob.stone@example.org", "pending", "halted_breaker"),
        ("4", "12025550143", "pending", "halted_breaker"),
        ("5", "cleo.diaz@example.net", "pending", "halted_breaker"),
        ("5", "447700900104", "pending", "halted_breaker"),
        ("6", "dev.patel@example.com", "pending", "halted_breaker"),
    ]
    assert rows[1]["message"] == (
        "the v6 API refused the telephone field name 'phone' (HTTP 400: Unknown field 'phone': "
        "send 'email' or 'telephone'); if this account takes 'telephone', send again with "
        "--v6-phone-field telephone; 1 record(s) remain"
    )
    assert "--v6-phone-field telephone" in res.out  # the last sentence says what to do
    # ... and retry keeps v6 (no --api given) with the other name: everything is done.
    with start_sandbox('{"v6_phone_field": "telephone"}', client_secret=SECRET) as again:
        hold(again.sandbox)
        report = only_report(tmp_path / "reports")
        res = cli("retry", report, "--base-url", again.url, "--v6-phone-field", "telephone",
                  *OAUTH, *FAST, "--report", "retried.xlsx")  # fmt: skip
        paths = {e.path for e in again.sandbox.posts()}
    assert res.code == 0, res.out + res.err
    assert paths == {V6}
    assert [r["status"] for r in report_rows(tmp_path / "retried.xlsx")] == [
        "success", "success", "success", "success", "success", "not_found", "success"
    ]  # fmt: skip
    facts = read_report(tmp_path / "retried.xlsx").facts
    assert (facts["api_version"], facts["setting.api_from"]) == ("v6", "the earlier run")
    assert facts["setting.v6_phone_field"] == "telephone"


@pytest.mark.parametrize("verify", [[], ["--no-verify"]], ids=["verified", "not-verified"])
def test_the_first_telephone_row_goes_first_and_alone_so_one_key_is_refused(
    cli, tmp_path: Path, oauth: None, verify: list[str]
) -> None:
    emails = [[f"e{i}@example.com", ""] for i in range(6)]
    phones = [["", f"+44 7700 90020{i}"] for i in range(6)]
    src = write_csv(tmp_path / "in.csv", ["Email", "Mobile"], emails + phones)
    with start_sandbox('{"v6_phone_field": "telephone"}', client_secret=SECRET) as thread:
        thread.sandbox.seed([e for e, _ in emails], [p for _, p in phones])
        res = cli("run", src, "--base-url", thread.url, "--api", "v6", *OAUTH, *FAST, *verify)
        posts = [(e.key, e.status) for e in thread.sandbox.posts()]
    assert res.code == 3, res.out + res.err
    assert posts == [("447700900200", 400)]  # nothing else was sent
    rows = report_rows(only_report(tmp_path / "reports"))
    assert [(r["status"], r["error_code"]) for r in rows] == [
        *[("pending", "halted_breaker")] * 6,
        ("failed", "v6_field_refused"),
        *[("pending", "halted_breaker")] * 5,
    ]


@pytest.mark.parametrize("verify", [[], ["--no-verify"]], ids=["verified", "not-verified"])
def test_a_first_telephone_not_held_decides_nothing_one_telephone_is_refused(
    cli, tmp_path: Path, oauth: None, verify: list[str]
) -> None:
    """Issue 23, item 10: the first telephone is not held (verified: looked up, not sent;
    not verified: sent, 'not found', which says nothing of the field name either when the
    vendor checks the key first), so the next telephone goes alone, and is the one refused."""
    emails = [[f"e{i}@example.com", ""] for i in range(4)]
    phones = [["", f"+44 7700 90030{i}"] for i in range(5)]
    src = write_csv(tmp_path / "in.csv", ["Email", "Mobile"], emails + phones)
    with start_sandbox('{"v6_phone_field": "telephone"}', client_secret=SECRET) as thread:
        held = [p for _, p in phones[1:]]  # nobody holds the first telephone
        thread.sandbox.seed([e for e, _ in emails], held)
        res = cli("run", src, "--base-url", thread.url, "--api", "v6", *OAUTH, *FAST,
                  "--concurrency", "8", *verify)  # fmt: skip
        refused = [e.key for e in thread.sandbox.posts() if e.status == 400]
    assert res.code == 3, res.out + res.err
    assert len(refused) == 1, refused  # before the fix: four telephones refused
    rows = report_rows(only_report(tmp_path / "reports"))
    assert [r["error_code"] for r in rows].count("v6_field_refused") == 1
    assert {r["status"] for r in rows[:4]} == {"pending"}  # no email sent before the halt


def test_an_expired_token_is_fetched_again_once_for_a_v6_post(
    cli, tmp_path: Path, oauth: None
) -> None:
    keys = [f"k{i}@example.com" for i in range(4)]
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in keys])
    with start_sandbox(client_secret=SECRET) as thread:
        box = thread.sandbox
        box.seed(keys, [])
        start = box.clock()

        def clock() -> float:  # two hours pass right after k2's first lookup: its POST is late
            found = sum(1 for e in box.log if e.method == "GET" and e.records > 0)
            return start + (7200 if found >= 3 else 0)

        box.clock = clock
        res = cli("run", src, "--base-url", thread.url, "--api", "v6", *OAUTH, *FAST,
                  "--concurrency", "1")  # fmt: skip
        seen = [(e.method, e.path, e.key, e.outcome) for e in box.log]
    assert res.code == 0, res.out + res.err

    def erased(k: str) -> list[tuple[str, str, str, str]]:
        get = ("GET", "/v4.1/anonymize.json", k, "lookup")
        return [get, ("POST", V6, k, "anonymized"), get]

    token = ("POST", "/oauth2/token", "sandbox-client", "token")
    assert (
        seen
        == [
            token,
            *erased(keys[0]),
            *erased(keys[1]),
            ("GET", "/v4.1/anonymize.json", keys[2], "lookup"),
            ("POST", V6, keys[2], "unauthorized"),  # the stale token: one 401, a new token, again
            token,
            *erased(keys[2])[1:],
            *erased(keys[3]),
        ]
    )
    rows = report_rows(only_report(tmp_path / "reports"))
    assert [(r["status"], r["attempts"]) for r in rows] == [("success", "1")] * 4


def test_a_resumed_v6_run_stays_v6_unless_told(cli, tmp_path: Path, oauth: None) -> None:
    keys = [f"k{i}@example.com" for i in range(5)]
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in keys])
    # k2's anonymize call is refused twice (the token fetched again in between): the run halts.
    with start_sandbox('{"script": {"k2@example.com": [401, 401]}}', client_secret=SECRET) as t:
        t.sandbox.seed(keys, [])
        first = cli("run", src, "--base-url", t.url, "--api", "v6", *OAUTH, *FAST,
                    "--concurrency", "1", "--report", "first.xlsx")  # fmt: skip
        assert first.code == 3, first.out + first.err
        second = cli("run", src, "--resume", "first.journal", "--base-url", t.url, *OAUTH,
                     *FAST, "--report", "second.xlsx")  # fmt: skip
        posts = [(e.path, e.key, e.outcome) for e in t.sandbox.posts()]
    assert [r["status"] for r in report_rows(tmp_path / "first.xlsx")] == [
        "success", "success", "pending", "pending", "pending"
    ]  # fmt: skip
    assert second.code == 0, second.out + second.err
    assert "this run uses the v6 API (telephone field 'phone'), as the run it continues did" in (
        second.err
    )
    assert sorted(posts[-3:]) == [(V6, k, "anonymized") for k in keys[2:]]
    assert {p for p, _, _ in posts} == {V6}
    facts = read_report(tmp_path / "second.xlsx").facts
    assert (facts["api_version"], facts["setting.api_from"]) == ("v6", "the earlier run")
    assert journal_run_record(tmp_path / "second.xlsx")["api_version"] == "v6"
    assert [r["status"] for r in report_rows(tmp_path / "second.xlsx")] == ["success"] * 5


def test_a_resume_told_another_api_says_so_and_records_it(cli, tmp_path: Path, oauth: None) -> None:
    keys = ["k0@example.com", "k1@example.com"]
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in keys])
    with start_sandbox('{"script": {"k1@example.com": [401, 401]}}', client_secret=SECRET) as t:
        t.sandbox.seed(keys, [])
        first = cli("run", src, "--base-url", t.url, "--api", "v6", *OAUTH, *FAST,
                    "--concurrency", "1", "--report", "first.xlsx")  # fmt: skip
        assert first.code == 3
        res = cli("run", src, "--resume", "first.xlsx", "--base-url", t.url, "--api", "v4.1",
                  *OAUTH, *FAST, "--report", "second.xlsx")  # fmt: skip
        last = t.sandbox.posts()[-1]
    assert res.code == 0, res.out + res.err
    assert "the run this continues used the v6 API; this run uses v4.1, as --api says" in res.err
    assert (last.path, last.key, last.outcome) == ("/v4.1/anonymize.json", keys[1], "anonymized")
    facts = read_report(tmp_path / "second.xlsx").facts
    assert (facts["api_version"], facts["setting.api_from"]) == ("v4.1", "--api")
    assert "setting.v6_phone_field" not in facts


def test_a_v6_account_that_refuses_lookups_halts_before_any_anonymize_call(
    cli, tmp_path: Path, oauth: None
) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [["k0@example.com"], ["k1@example.com"]])
    with start_sandbox('{"lookup_script": {"k0@example.com": [403]}}', client_secret=SECRET) as t:
        t.sandbox.seed(["k0@example.com", "k1@example.com"], [])
        res = cli("run", src, "--base-url", t.url, "--api", "v6", *OAUTH, *FAST)
        posts = t.sandbox.posts()
    assert res.code == 3
    assert posts == []
    assert "--no-verify" in res.out


def test_the_built_in_sandbox_speaks_v6_with_its_own_oauth2_client(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", HEADER, ROWS[1:3])
    res = cli("run", src, "--sandbox", "--api", "v6", "--v6-phone-field", "telephone",
              "--sandbox-faults", '{"v6_phone_field": "telephone"}', *FAST)  # fmt: skip
    assert res.code == 0, res.out + res.err
    rows = report_rows(only_report(tmp_path / "reports"))
    assert [(r["key"], r["status"]) for r in rows] == [
        ("bob.stone@example.org", "success"),
        ("12025550143", "success"),
    ]


def test_with_v6_the_stop_list_stays_the_v4_1_form_post(cli, tmp_path: Path, oauth: None) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [["k0@example.com"]])
    with start_sandbox(client_secret=SECRET) as t:
        t.sandbox.seed(["k0@example.com"], [])
        res = cli("run", src, "--base-url", t.url, "--api", "v6", *OAUTH, *FAST, "--stop-list")
        listed = [(e.path, e.key, e.auth, e.outcome) for e in t.sandbox.unsubscribes()]
        posts = [(e.path, e.outcome) for e in t.sandbox.posts()]
    assert res.code == 0, res.out + res.err
    assert posts == [(V6, "anonymized")]
    assert listed == [("/v4.1/lists/unsubscribe.json", "k0@example.com", "bearer", "unsubscribed")]
    (row,) = report_rows(only_report(tmp_path / "reports"))
    assert (row["status"], row["stop_list"]) == ("success", "added")
