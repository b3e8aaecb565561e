"""The request log: entries in memory, the JSON-lines file, posts() and posts_for()."""

from __future__ import annotations

import json
from pathlib import Path

from sandbox_helpers import KEY, call, post, run_sandbox

from batch_anonymizer.sandbox import LogEntry, Sandbox
from batch_anonymizer.sandbox.requestlog import RequestLog


def test_log_file_is_written_as_it_happens_and_holds_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    with run_sandbox(log_path=path) as thread:
        thread.sandbox.seed(["ann@example.com"], [])
        post(thread.url, email="ann@example.com")
        lines = path.read_text().splitlines()  # read while the sandbox still runs
        assert len(lines) == 1
        rec = json.loads(lines[0])
        assert {k: rec[k] for k in ("method", "key", "status", "outcome", "records", "auth")} == {
            "method": "POST",
            "key": "ann@example.com",
            "status": 200,
            "outcome": "anonymized",
            "records": 1,
            "auth": "api_key",
        }
        call(thread.url, data={"email": "ann@example.com"}, headers={"Authorization": "api_key x"})
    assert len(path.read_text().splitlines()) == 2
    assert KEY not in path.read_text()


def entry(method: str, path: str, key_type: str, key: str, outcome: str = "anonymized") -> LogEntry:
    return LogEntry(1.0, method, path, key_type, key, 200, outcome, 1, "api_key")


def test_posts_are_the_anonymize_posts_only() -> None:
    log = RequestLog()
    wanted = [
        entry("POST", "/v4.1/anonymize.json", "email", "a@example.com"),
        entry("POST", "/v4.1/anonymize.xml", "telephone", "+1 202 555 0104"),
    ]
    for e in [
        entry("GET", "/v4.1/anonymize.json", "email", "a@example.com", "lookup"),
        wanted[0],
        entry("POST", "/oauth2/token", "client_id", "cid", "token"),
        entry("POST", "/redirect/v4.1/anonymize.json", "", "", "redirect"),
        wanted[1],
    ]:
        log.record(e)
    assert log.posts() == wanted
    assert len(log.entries) == 5


def test_posts_for_matches_keys_as_the_store_does() -> None:
    log = RequestLog()
    path = "/v4.1/anonymize.json"
    ann = entry("POST", path, "email", " Ann@Example.com")
    phone = entry("POST", path, "telephone", "0044 7700 900127")
    for e in [
        ann,
        phone,
        entry("POST", path, "email", "ann@example.org"),
        entry("POST", path, "telephone", "+44 7700 900128"),
        entry("POST", path, "both", "ann@example.com +44 7700 900127", "bad_request"),
        entry("GET", path, "email", "ann@example.com", "lookup"),
    ]:
        log.record(e)
    assert log.posts_for("ANN@example.com") == [ann]
    assert log.posts_for("+44 (7700) 900-127") == [phone]
    assert log.posts_for("447700900127") == [phone]
    assert log.posts_for("nobody@example.com") == []


def test_the_log_file_opens_on_the_first_entry_and_reopens_after_close(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    log = RequestLog(path)
    assert not path.exists()
    first = entry("POST", "/v4.1/anonymize.json", "email", "a@example.com")
    log.record(first)
    log.close()
    log.close()  # twice is harmless
    second = entry("POST", "/v4.1/anonymize.json", "email", "b@example.com", "no_match")
    log.record(second)
    log.close()
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(r["key"], r["outcome"]) for r in lines] == [
        ("a@example.com", "anonymized"),
        ("b@example.com", "no_match"),
    ]
    assert lines[0] == {
        "t": 1.0,
        "method": "POST",
        "path": "/v4.1/anonymize.json",
        "key_type": "email",
        "key": "a@example.com",
        "status": 200,
        "outcome": "anonymized",
        "records": 1,
        "auth": "api_key",
        "key_form": "",
    }
    assert log.entries == [first, second]


def test_no_file_without_a_path_and_a_path_set_later_is_used(tmp_path: Path) -> None:
    box = Sandbox()
    assert box.log_path is None
    with run_sandbox() as thread:
        post(thread.url, email="a@example.com")
        path = tmp_path / "later.jsonl"
        thread.sandbox.log_path = path
        post(thread.url, email="b@example.com")
    assert [e.key for e in thread.sandbox.log] == ["a@example.com", "b@example.com"]
    (line,) = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["key"] == "b@example.com"
    assert list(tmp_path.iterdir()) == [path]
