"""Speaking the vendor's API: rate limits, Retry-After, lost answers, XML, OAuth2, pre-check."""

from __future__ import annotations

import asyncio
import zipfile
from pathlib import Path

from conftest import API_KEY, only_report, report_rows, start_sandbox, write_csv

from batch_anonymizer.api.auth import ApiKeyAuth
from batch_anonymizer.api.classify import Kind, classify
from batch_anonymizer.api.endpoint import Endpoint
from batch_anonymizer.api.sender import HttpSender
from batch_anonymizer.core.records import KeyType

KEYS = [f"a{i}@example.com" for i in range(40)]


def csv_of(tmp_path: Path, keys: list[str]) -> Path:
    return write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in keys])


def test_a_rate_limited_api_still_ends_with_zero_failed(cli, tmp_path: Path) -> None:
    # The client asks for twice what the API allows; each 429 halves the client's rate.
    faults = '{"rate_limit": {"rps": 20, "retry_after": "seconds"}}'
    keys = KEYS[:12]  # 36 requests: a lookup, the anonymize call and a lookup per key
    with start_sandbox(faults) as thread:
        thread.sandbox.seed(keys, [])
        res = cli(
            "run",
            csv_of(tmp_path, keys),
            "--base-url",
            thread.url,
            "--yes",
            "--rate",
            "40",
            "--no-progress",
        )
        limited = [e for e in thread.sandbox.log if e.status == 429]
    assert res.code == 0, res.out
    rows = report_rows(only_report(tmp_path / "reports"))
    assert [r["status"] for r in rows] == ["success"] * len(keys)
    assert 0 < len(limited) <= 12  # a few, then the halved rate and the pause settle it


def test_one_retry_after_pauses_every_worker(cli, tmp_path: Path) -> None:
    keys = KEYS[:30]
    with start_sandbox('{"script": {"a0@example.com": ["429:2", 200]}}') as thread:
        thread.sandbox.seed(keys, [])
        res = cli(
            "run",
            csv_of(tmp_path, keys),
            "--base-url",
            thread.url,
            "--yes",
            "--rate",
            "0",
            "--concurrency",
            "4",
            "--no-progress",
        )
        log = [e for e in thread.sandbox.log if e.method == "POST"]
    assert res.code == 0, res.out
    t429 = next(e.t for e in log if e.status == 429)
    # requests already under way when the 429 arrived may land just after it; nothing
    # else may arrive until the 2 s are over, from any worker
    during = [e for e in log if t429 + 0.3 < e.t < t429 + 1.9]
    assert during == []
    assert len([e for e in log if e.t >= t429 + 1.9]) >= 20


def test_a_lost_answer_whose_work_was_done_is_settled_by_the_lookup(cli, tmp_path: Path) -> None:
    # the sandbox anonymizes, then holds the answer past the client's timeout
    faults = '{"hang": 3, "script": {"a0@example.com": ["timeout", 200]}}'
    with start_sandbox(faults) as thread:
        thread.sandbox.seed(KEYS[:2], [])
        res = cli(
            "run", csv_of(tmp_path, KEYS[:2]), "--base-url", thread.url, "--yes",
            "--timeout", "0.5", "--rate", "0", "--no-progress",
        )  # fmt: skip
        posts = thread.sandbox.posts_for("a0@example.com")
        left = thread.sandbox.records_for("email", "a0@example.com")
    assert res.code == 0, res.out + res.err
    row = report_rows(only_report(tmp_path / "reports"))[0]
    assert (row["status"], row["attempts"], row["unknown_attempts"]) == ("success", "1", "1")
    assert (row["records_before"], row["records_after"]) == ("1", "0")
    assert "the answer was lost" in row["message"]
    assert len(posts) == 1 and left == []  # one POST, and the record is gone


def test_without_verification_a_lost_answer_is_reported_honestly(cli, tmp_path: Path) -> None:
    faults = '{"hang": 3, "script": {"a0@example.com": ["timeout", 200]}}'
    with start_sandbox(faults) as thread:
        thread.sandbox.seed(KEYS[:2], [])
        res = cli(
            "run", csv_of(tmp_path, KEYS[:2]), "--base-url", thread.url, "--yes",
            "--timeout", "0.5", "--rate", "0", "--no-verify", "--no-progress",
        )  # fmt: skip
        lookups = thread.sandbox.lookups()
    assert res.code == 1
    row = report_rows(only_report(tmp_path / "reports"))[0]
    assert (row["status"], row["error_code"], row["attempts"]) == (
        "failed",
        "outcome_unknown",
        "2",
    )
    assert "outcome uncertain" in row["message"]
    assert "may have anonymized this key" in row["message"]
    assert "No records found" in row["message"]
    assert (row["records_before"], row["records_after"]) == ("", "")
    assert lookups == []


def test_xml_end_to_end(cli, tmp_path: Path) -> None:
    with start_sandbox() as thread:
        thread.sandbox.seed(KEYS[:3], [])
        res = cli(
            "run", csv_of(tmp_path, KEYS[:4]), "--base-url", thread.url, "--yes",
            "--format", "xml", "--rate", "0", "--no-progress",
        )  # fmt: skip
        paths = {e.path for e in thread.sandbox.log}
    assert paths == {"/v4.1/anonymize.xml"}  # lookups and anonymize calls alike
    assert res.code == 0, res.out + res.err
    rows = report_rows(only_report(tmp_path / "reports"))
    assert [r["status"] for r in rows] == ["success"] * 3 + ["not_found"]
    assert rows[0]["message"].startswith("Record updated successfully; 1 record(s) anonymized")
    assert (rows[3]["error_code"], rows[3]["attempts"]) == ("not_found", "0")


def test_xml_without_verification_reads_the_vendors_refusal(cli, tmp_path: Path) -> None:
    with start_sandbox() as thread:
        thread.sandbox.seed(KEYS[:1], [])
        res = cli(
            "run", csv_of(tmp_path, KEYS[:2]), "--base-url", thread.url, "--yes",
            "--format", "xml", "--rate", "0", "--no-verify", "--no-progress",
        )  # fmt: skip
    assert res.code == 1
    rows = report_rows(only_report(tmp_path / "reports"))
    assert [r["status"] for r in rows] == ["success", "failed"]
    assert rows[0]["message"] == "vendor answered success (not verified)"
    assert (rows[1]["message"], rows[1]["error_code"], rows[1]["vendor_code"]) == (
        "No records found",
        "vendor_error",
        "300005",
    )


def test_oauth2_end_to_end_with_refresh_and_no_secret_anywhere(
    cli, tmp_path: Path, monkeypatch
) -> None:
    secret = "oauth-secret-5d2e8b"
    monkeypatch.delenv("CUSTOMERGAUGE_API_KEY")
    monkeypatch.setenv("CUSTOMERGAUGE_CLIENT_SECRET", secret)
    with start_sandbox('{"token_ttl": 1}', client_secret=secret) as thread:
        thread.sandbox.seed(KEYS[:6], [])
        res = cli(
            "run",
            csv_of(tmp_path, KEYS[:6]),
            "--base-url",
            thread.url,
            "--yes",
            "--oauth-client-id",
            "sandbox-client",
            "--rate",
            "12",
            "--concurrency",
            "1",
            "--no-progress",
        )
        tokens = [e for e in thread.sandbox.log if e.outcome == "token"]
        auths = {e.auth for e in thread.sandbox.posts()}
    assert res.code == 0, res.out + res.err
    assert auths == {"bearer"}
    assert len(tokens) >= 2  # refreshed before expiry
    assert secret not in res.out + res.err
    for p in tmp_path.rglob("*"):
        if p.is_file():
            assert secret.encode() not in p.read_bytes()
            if p.suffix == ".xlsx":
                with zipfile.ZipFile(p) as z:
                    assert all(secret.encode() not in z.read(n) for n in z.namelist())


def test_an_oauth2_token_refused_mid_run_is_fetched_again_once(
    cli, tmp_path: Path, monkeypatch
) -> None:
    """The vendor may end a token early: one 401, a new token, the same key once more."""
    secret = "oauth-secret-71c0aa"
    monkeypatch.delenv("CUSTOMERGAUGE_API_KEY")
    monkeypatch.setenv("CUSTOMERGAUGE_CLIENT_SECRET", secret)
    with start_sandbox(client_secret=secret) as thread:
        box = thread.sandbox
        box.seed(KEYS[:6], [])
        start = box.clock()

        def clock() -> float:  # two hours pass once three keys are done: the token is stale
            done = sum(1 for e in box.log if e.method == "GET" and e.records == 0)
            return start + (7200 if done >= 3 else 0)

        box.clock = clock
        res = cli(
            "run",
            csv_of(tmp_path, KEYS[:6]),
            "--base-url",
            thread.url,
            "--yes",
            "--oauth-client-id",
            "sandbox-client",
            "--concurrency",
            "1",
            "--rate",
            "0",
            "--no-progress",
        )
        seen = [(e.key, e.outcome) for e in box.log]
    assert res.code == 0, res.out + res.err

    def erased(k: str) -> list[tuple[str, str]]:  # lookup, anonymize, lookup
        return [(k, "lookup"), (k, "anonymized"), (k, "lookup")]

    assert (
        seen
        == [
            ("sandbox-client", "token"),
            *[e for k in KEYS[:3] for e in erased(k)],
            (KEYS[3], "unauthorized"),  # the next request finds the token stale
            ("sandbox-client", "token"),
            *[e for k in KEYS[3:6] for e in erased(k)],
        ]
    )
    rows = report_rows(only_report(tmp_path / "reports"))
    assert [r["status"] for r in rows] == ["success"] * 6


def test_wrong_oauth_secret_halts_before_sending(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CUSTOMERGAUGE_CLIENT_SECRET", "wrong")
    with start_sandbox() as thread:
        thread.sandbox.seed(KEYS[:2], [])
        res = cli(
            "run",
            csv_of(tmp_path, KEYS[:2]),
            "--base-url",
            thread.url,
            "--yes",
            "--oauth-client-id",
            "sandbox-client",
            "--no-progress",
        )
        posts = thread.sandbox.posts()
    assert res.code == 3
    # said in the summary, and in the report written for it (every key pending, not sent)
    assert "Run HALTED (the OAuth2 token endpoint" in res.out
    assert "refused the client credentials" in res.out
    assert posts == []


def test_check_counts_records_and_changes_nothing(cli, tmp_path: Path) -> None:
    with start_sandbox() as thread:
        thread.sandbox.seed(KEYS[:2], [])
        thread.sandbox.add_contact(email=KEYS[0])  # a second record for the same email
        res = cli(
            "check", csv_of(tmp_path, KEYS[:3]), "--base-url", thread.url, "--yes", "--no-progress"
        )
        assert thread.sandbox.posts() == []
        left = [len(thread.sandbox.records_for("email", k)) for k in KEYS[:3]]
    assert res.code == 0, res.out
    assert "Lookup only, nothing changed" in res.out
    rows = report_rows(only_report(tmp_path / "reports"))
    assert [r["records_found"] for r in rows] == ["2", "1", ""]
    assert [r["status"] for r in rows] == ["ready", "ready", "not_found"]
    assert left == [2, 1, 0]  # nothing changed


def test_redirects_are_never_followed(tmp_path: Path) -> None:
    with start_sandbox() as thread:
        endpoint = Endpoint(thread.url + "/redirect")

        async def send() -> int | None:
            async with HttpSender(endpoint, ApiKeyAuth(API_KEY), timeout=5, connections=1) as s:
                answer = await s.anonymize(KeyType.EMAIL, "a0@example.com")
            assert classify(answer).kind is Kind.PERMANENT
            assert "redirect not followed" in classify(answer).message
            return answer.status

        status = asyncio.run(send())
        log = list(thread.sandbox.log)
    assert status == 307
    assert len(log) == 1  # the Authorization header never went anywhere else
