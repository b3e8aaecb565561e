"""Faults on cue, as a client sees them over loopback HTTP."""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime

import aiohttp
import pytest
from sandbox_helpers import (
    OK_JSON,
    FakeClock,
    Got,
    Seen,
    call,
    post_all,
    run_sandbox,
    status_of,
)

from batch_anonymizer.sandbox import Sandbox


def test_script_per_key_then_normal_behaviour() -> None:
    faults = '{"script": {"A@Example.com": [503, 503, 200], "+44 7700 900123": ["error200", 401]}}'
    with run_sandbox(faults) as thread:
        box = thread.sandbox
        box.seed(["a@example.com", "b@example.com"], ["+447700900123"])
        seen = post_all(thread.url, ["a@example.com"] * 4 + ["b@example.com"])
        assert [status_of(x) for x in seen] == [503, 503, 200, 400, 200]
        assert isinstance(seen[0], Got)
        assert seen[0].json() == {"Error": {"Message": "Service Unavailable"}}
        assert "Retry-After" not in seen[0].headers
        phone = [call(thread.url, data={"telephone": "447700900123"}) for _ in range(3)]
        assert [p.status for p in phone] == [200, 401, 200]
        assert "Error" in phone[0].json()  # a 200 that is not a success
        assert phone[1].json() == {"Error": {"Message": "Invalid API Key", "Code": 200000}}
        assert phone[2].json() == OK_JSON
        assert [e.outcome for e in box.posts_for("A@EXAMPLE.COM")] == [
            "fault:503",
            "fault:503",
            "anonymized",
            "no_match",
        ]
        assert [e.outcome for e in box.posts_for("+44 (7700) 900-123")] == [
            "fault:error200",
            "fault:401",
            "anonymized",
        ]


def test_script_retry_after_in_seconds_and_as_http_dates() -> None:
    clock = FakeClock(1_800_000_000.25)
    faults = (
        '{"script": {"a@example.com": ["429:5", "429:date:30", "503:2", "503:date:3", 429, 503]}}'
    )
    with run_sandbox(faults, clock=clock) as thread:
        seen = post_all(thread.url, ["a@example.com"] * 6)
    got = [x for x in seen if isinstance(x, Got)]
    assert [g.status for g in got] == [429, 429, 503, 503, 429, 503]
    assert got[0].headers["Retry-After"] == "5"
    assert parsedate_to_datetime(got[1].headers["Retry-After"]).timestamp() == 1_800_000_031
    assert got[2].headers["Retry-After"] == "2"
    assert parsedate_to_datetime(got[3].headers["Retry-After"]).timestamp() == 1_800_000_004
    assert "Retry-After" not in got[4].headers and "Retry-After" not in got[5].headers
    assert got[0].json() == {"Error": {"Message": "Too Many Requests"}}


def test_script_bodies_plausible_for_each_status() -> None:
    faults = '{"script": {"a@example.com": ["html502", "empty500", 500, 502, 504, 404, 400]}}'
    with run_sandbox(faults) as thread:
        json_answers = post_all(thread.url, ["a@example.com"] * 7)
    g = [x for x in json_answers if isinstance(x, Got)]
    assert [x.status for x in g] == [502, 500, 500, 502, 504, 404, 400]
    assert g[0].headers["Content-Type"].startswith("text/html")
    assert "<h1>502 Bad Gateway</h1>" in g[0].text
    assert g[1].body == b""
    assert g[2].json() == {"Error": {"Message": "Internal Server Error"}}
    assert "502 Bad Gateway" in g[3].text and "504 Gateway Time-out" in g[4].text.replace(
        "Timeout", "Time-out"
    )
    assert g[5].json()["Error"]["Code"] == 300005
    assert g[6].json()["Error"]["Code"] == 300000
    with run_sandbox('{"script": {"a@example.com": [500]}}') as thread:
        (xml,) = post_all(thread.url, ["a@example.com"], path="/v4.1/anonymize.xml")
    assert isinstance(xml, Got)
    assert (xml.status, xml.text) == (
        500,
        "<Error><Message>Internal Server Error</Message></Error>",
    )


def test_truncated_and_cut_answers_come_after_the_work_is_done() -> None:
    faults = '{"script": {"a@example.com": ["truncated"], "b@example.com": ["cut"]}}'
    with run_sandbox(faults) as thread:
        box = thread.sandbox
        box.seed(["a@example.com", "b@example.com"], [])
        trunc, cut = post_all(thread.url, ["a@example.com", "b@example.com"])
        assert isinstance(trunc, Got) and trunc.status == 200
        with pytest.raises(json.JSONDecodeError):
            trunc.json()
        assert trunc.text.startswith('{"Data": {')
        assert isinstance(cut, aiohttp.ClientPayloadError)
        assert all(c.anonymized for c in box.contacts)
        assert [(e.status, e.outcome, e.records) for e in box.posts()] == [
            (200, "fault:truncated", 1),
            (200, "fault:cut", 1),
        ]
        # the retry a careful client makes finds nothing left
        assert [status_of(x) for x in post_all(thread.url, ["a@example.com"])] == [400]


def test_timeouts_hold_the_answer_and_stop_releases_them() -> None:
    script = {"a@example.com": ["timeout"], "b@example.com": ["timeout_before"]}
    faults = json.dumps({"hang": 30, "script": script})
    with run_sandbox(faults) as thread:
        box = thread.sandbox
        box.seed(["a@example.com", "b@example.com"], [])
        seen = post_all(thread.url, ["a@example.com", "b@example.com"], timeout=0.2)
        assert all(isinstance(x, TimeoutError) for x in seen), seen
        started = time.monotonic()
    assert time.monotonic() - started < 2.5  # held answers did not keep the sandbox alive
    a, b = box.contacts
    assert (a.anonymized, b.anonymized) == (True, False)
    assert [(e.status, e.outcome, e.records) for e in box.posts()] == [
        (0, "timeout", 1),
        (0, "timeout_before", 0),
    ]


def test_resets_show_as_connection_errors_at_the_client() -> None:
    script = {
        "a@example.com": ["reset"],
        "b@example.com": ["reset_after"],
        "c@example.com": ["disconnect"],
    }
    faults = json.dumps({"script": script})
    with run_sandbox(faults) as thread:
        box = thread.sandbox
        box.seed(["a@example.com", "b@example.com", "c@example.com"], [])
        seen = post_all(
            thread.url, ["a@example.com", "b@example.com", "c@example.com", "a@example.com"]
        )
    reset, reset_after, disconnect, again = seen
    # A TCP RST reads as ECONNRESET; an orderly close before any answer as a disconnect.
    assert isinstance(reset, aiohttp.ClientOSError) and reset.errno == 104, repr(reset)
    assert isinstance(reset_after, aiohttp.ClientOSError), repr(reset_after)
    assert isinstance(disconnect, aiohttp.ServerDisconnectedError), repr(disconnect)
    assert status_of(again) == 200  # the script is used up: normal again
    assert [c.anonymized for c in box.contacts] == [True, True, False]
    assert [(e.status, e.outcome, e.records) for e in box.posts()] == [
        (0, "reset", 0),
        (0, "reset_after", 1),
        (0, "disconnect", 0),
        (200, "anonymized", 1),
    ]


def random_run(
    seed: int, extra: str = "", n: int = 40, timeout: float = 5.0
) -> tuple[list[Seen], Sandbox]:
    errors = '"errors": {"500": 0.15, "502": 0.15, "503": 0.2}'
    spec = f'{{"seed": {seed}, {errors}, "error200_rate": 0.1{extra}}}'
    with run_sandbox(spec) as thread:
        seen = post_all(thread.url, [f"u{i}@example.com" for i in range(n)], timeout=timeout)
    return seen, thread.sandbox


def test_random_faults_are_reproducible_with_a_seed() -> None:
    first, box = random_run(7)
    second, _ = random_run(7)
    other, _ = random_run(8)
    statuses = [status_of(x) for x in first]
    assert statuses == [status_of(x) for x in second]
    assert statuses != [status_of(x) for x in other]
    outcomes = {e.outcome for e in box.posts()}
    assert outcomes == {"fault:500", "fault:502", "fault:503", "fault:error200", "no_match"}
    for seen, entry in zip(first, box.posts(), strict=True):
        assert isinstance(seen, Got) and seen.status == entry.status
        if entry.outcome == "fault:502":
            assert "<h1>502 Bad Gateway</h1>" in seen.text
    with_retry_after = [x for x in first if isinstance(x, Got) and "Retry-After" in x.headers]
    assert {x.status for x in with_retry_after} == {503}
    assert len(with_retry_after) < statuses.count(503)  # some 503s carry it, some do not


def test_random_transport_faults_match_the_log() -> None:
    extra = ', "reset_rate": 0.2, "timeout_rate": 0.1, "truncated_rate": 0.1, "hang": 5'
    seen, box = random_run(2, extra, n=24, timeout=0.2)
    kinds = set()
    for x, entry in zip(seen, box.posts(), strict=True):
        kinds.add(entry.outcome)
        if entry.outcome == "reset":
            assert isinstance(x, aiohttp.ClientOSError), (entry, x)
        elif entry.outcome == "timeout":
            assert isinstance(x, TimeoutError), (entry, x)
        elif entry.outcome == "fault:truncated":
            assert isinstance(x, Got) and x.status == 200 and not x.text.endswith("}")
        else:
            assert isinstance(x, Got) and x.status == entry.status
    assert {"reset", "timeout", "fault:truncated"} <= kinds


def test_rate_limit_sliding_window_on_the_sandbox_clock() -> None:
    clock = FakeClock()
    faults = '{"rate_limit": {"rps": 3}, "script": {"a@example.com": [503]}}'
    with run_sandbox(faults, clock=clock) as thread:
        keys = ["x@example.com", "y@example.com", "z@example.com", "a@example.com"]
        first = post_all(thread.url, keys)
        clock.now += 0.5
        still = post_all(thread.url, ["a@example.com"])
        clock.now += 0.5  # one second after the first three: the window is free again
        later = post_all(thread.url, ["a@example.com", "a@example.com"])
        box = thread.sandbox
    assert [status_of(x) for x in first + still + later] == [400, 400, 400, 429, 429, 503, 400]
    assert isinstance(first[3], Got) and first[3].headers["Retry-After"] == "1"
    outcomes = [e.outcome for e in box.posts()]
    assert outcomes == ["no_match"] * 3 + ["rate_limited"] * 2 + ["fault:503", "no_match"]


@pytest.mark.parametrize("style", ["date", "none"])
def test_rate_limit_retry_after_styles(style: str) -> None:
    clock = FakeClock(1_800_000_000.6)
    with run_sandbox(
        f'{{"rate_limit": {{"rps": 1, "retry_after": "{style}"}}}}', clock=clock
    ) as thread:
        seen = post_all(thread.url, ["a@example.com", "b@example.com"])
    assert [status_of(x) for x in seen] == [400, 429]
    limited = seen[1]
    assert isinstance(limited, Got)
    if style == "none":
        assert "Retry-After" not in limited.headers
    else:
        ahead = parsedate_to_datetime(limited.headers["Retry-After"]).timestamp() - clock.now
        assert 1 <= ahead <= 2


def test_latency_delays_every_answer() -> None:
    with run_sandbox('{"latency": [0.03, 0.05]}') as thread:
        started = time.monotonic()
        post_all(thread.url, ["a@example.com", "b@example.com"])
        elapsed = time.monotonic() - started
    assert 0.06 <= elapsed < 1.0


def test_faults_apply_to_posts_not_to_prechecks() -> None:
    with run_sandbox('{"script": {"ann@example.com": [503]}}') as thread:
        thread.sandbox.seed(["ann@example.com"], [])
        assert call(thread.url, "GET", params={"email": "ann@example.com"}).status == 200
        assert [status_of(x) for x in post_all(thread.url, ["ann@example.com"] * 2)] == [503, 200]


def test_a_script_fires_for_every_spelling_of_the_key() -> None:
    # Scripts compare keys as "the same key" (core.identity), whatever the store
    # matches; the store finds a telephone only in the vendor's form.
    faults = '{"script": {"+44 7700 900129": [503], "0044 7700 900130": ["error200"]}}'
    with run_sandbox(faults) as thread:
        box = thread.sandbox
        box.seed([], ["+44 7700 900129", "+44 7700 900130"])
        sent = [
            call(thread.url, data={"telephone": phone})
            for phone in (
                "0044 7700 900129",
                "447700900129",
                "+44 7700 900130",
                "+447700900130",
                "447700900130",
            )
        ]
        assert [g.status for g in sent] == [503, 200, 200, 400, 200]
        assert "Error" in sent[2].json()  # error200: a 200 that is not a success
        assert sent[1].json() == sent[4].json() == OK_JSON
        assert [e.outcome for e in box.posts_for("+44 7700 900129")] == ["fault:503", "anonymized"]
        assert [e.outcome for e in box.posts_for("0044 7700 900130")] == [
            "fault:error200",
            "no_match",
            "anonymized",
        ]
