"""Lookups (GET) under faults, and the no-match answers a lookup can give, over HTTP."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from sandbox_helpers import Got, Seen, attempt, call, post, run_sandbox, status_of

from batch_anonymizer.sandbox import Person, Sandbox

NO_RECORDS = {"Error": {"Message": "No records found", "Code": 300005}}
ANN = Person(["ann@example.com"], ["447700900140"], 2, "Ann", "Lee")


def requests(url: str, plan: list[tuple[str, str]], timeout: float = 5.0) -> list[Seen]:
    """Each (method, email) in turn, in one session; failures are returned, not raised."""

    async def go() -> list[Seen]:
        out: list[Seen] = []
        async with aiohttp.ClientSession() as session:
            for method, email in plan:
                kwargs: dict[str, Any] = (
                    {"params": {"email": email}} if method == "GET" else {"data": {"email": email}}
                )
                out.append(await attempt(session, url, method=method, timeout=timeout, **kwargs))
        return out

    return asyncio.run(go())


def lookups(url: str, email: str, n: int, timeout: float = 5.0) -> list[Seen]:
    return requests(url, [("GET", email)] * n, timeout)


# -- no match ---------------------------------------------------------------------------


def test_a_lookup_without_a_match_lists_nothing_by_default() -> None:
    for spec in (None, '{"lookup_no_match": "empty"}'):
        with run_sandbox(spec) as thread:
            got = call(thread.url, "GET", params={"email": "nobody@example.com"})
            xml = call(
                thread.url,
                "GET",
                path="/v4.1/anonymize.xml",
                params={"telephone": "12025550120"},
            )
            entries = [(e.status, e.outcome, e.records) for e in thread.sandbox.lookups()]
        assert (got.status, got.json()) == (200, {"Data": []})
        assert (xml.status, xml.text) == (200, "<Data></Data>")
        assert entries == [(200, "lookup", 0)] * 2


@pytest.mark.parametrize("status", [200, 400, 404])
def test_lookup_no_match_can_be_an_error_with_each_status(status: int) -> None:
    with run_sandbox(f'{{"lookup_no_match": "error:{status}"}}') as thread:
        box = thread.sandbox
        box.seed_people([ANN])
        got = call(thread.url, "GET", params={"email": "nobody@example.com"})
        xml = call(
            thread.url, "GET", path="/v4.1/anonymize.xml", params={"email": "no@example.com"}
        )
        found = call(thread.url, "GET", params={"email": "ann@example.com"})
        entries = [(e.status, e.outcome, e.records) for e in box.lookups()]
    assert (got.status, got.json()) == (status, NO_RECORDS)
    assert xml.status == status
    assert xml.text == "<Error><Message>No records found</Message><Code>300005</Code></Error>"
    assert found.status == 200 and len(found.json()["Data"]) == 2  # a match is still listed
    assert entries == [(status, "no_match", 0), (status, "no_match", 0), (200, "lookup", 2)]
    assert box.posts() == []


# -- blind success and sticky -------------------------------------------------------------


@pytest.mark.parametrize("spec", ['{"blind_success": true}', '{"no_match": "success"}'])
def test_blind_success_answers_a_key_without_records_with_the_success_body(spec: str) -> None:
    with run_sandbox(spec) as thread:
        box = thread.sandbox
        box.seed_people([ANN])
        nobody = post(thread.url, email="nobody@example.com")
        ann = post(thread.url, email="ann@example.com")
        again = post(thread.url, email="ann@example.com")
    ok = {"Data": {"message": "Record updated successfully"}}
    assert [(g.status, g.json()) for g in (nobody, ann, again)] == [(200, ok)] * 3
    assert [(e.outcome, e.records) for e in box.posts()] == [
        ("no_match", 0),
        ("anonymized", 2),
        ("no_match", 0),
    ]
    assert box.faults is not None and box.faults.blind_success
    assert box.faults.no_match == "success"


def test_a_sticky_script_step_says_success_and_changes_nothing() -> None:
    spec = '{"script": {"ann@example.com": ["sticky", "sticky"]}}'
    with run_sandbox(spec) as thread:
        box = thread.sandbox
        box.seed_people([ANN])
        first = post(thread.url, email="ann@example.com")
        listed = call(thread.url, "GET", params={"email": "ann@example.com"}).json()["Data"]
        refused = call(thread.url, data={"email": "ann@example.com"}, headers={})
        later = post(thread.url, email="ann@example.com")
        entries = [(e.status, e.outcome, e.records) for e in box.posts()]
        left = box.records_for("email", "ann@example.com")
    assert (first.status, first.json()) == (
        200,
        {"Data": {"message": "Record updated successfully"}},
    )
    assert len(listed) == 2  # still there: the vendor said it worked, it did not
    # sticky is the vendor's misbehaviour: a request without a valid key is refused
    assert (refused.status, refused.json()["Error"]["Code"]) == (401, 200000)
    assert later.status == 200
    assert entries == [(200, "sticky", 0), (401, "unauthorized", 0), (200, "anonymized", 2)]
    assert left == []


def test_sticky_by_probability_is_reproducible_and_leaves_what_it_says() -> None:
    def run(seed: int) -> tuple[list[str], Sandbox]:
        with run_sandbox(f'{{"seed": {seed}, "sticky": 0.5}}') as thread:
            box = thread.sandbox
            keys = [f"s{i}@example.com" for i in range(30)]
            box.seed(keys, [])
            for key in keys:
                assert post(thread.url, email=key).status == 200
        return [e.outcome for e in box.posts()], box

    first, box = run(3)
    assert first == run(3)[0]
    assert first != run(4)[0]
    assert {"sticky", "anonymized"} == set(first)
    assert [r.anonymized for r in box.contacts] == [o == "anonymized" for o in first]
    with run_sandbox('{"sticky": 1}') as thread:
        thread.sandbox.seed(["t@example.com"], [])
        assert post(thread.url, email="t@example.com").status == 200
        assert thread.sandbox.records_for("email", "t@example.com") != []


# -- lookup faults ----------------------------------------------------------------------------


def test_a_lookup_script_plays_per_key_then_lookups_behave() -> None:
    spec = json.dumps(
        {
            "hang": 5,
            "lookup_script": {"Ann@Example.com": [503, "timeout", "429:5", "html502", 200]},
        }
    )
    with run_sandbox(spec) as thread:
        box = thread.sandbox
        box.seed_people([ANN])
        seen = lookups(thread.url, "ann@example.com", 6, timeout=0.3)
        posted = post(thread.url, email="ann@example.com")
        entries = [(e.status, e.outcome) for e in box.lookups()]
    assert [status_of(x) for x in seen] == [503, "TimeoutError", 429, 502, 200, 200]
    assert isinstance(seen[2], Got) and seen[2].headers["Retry-After"] == "5"
    assert isinstance(seen[3], Got) and "<h1>502 Bad Gateway</h1>" in seen[3].text
    assert isinstance(seen[4], Got) and len(seen[4].json()["Data"]) == 2
    assert entries == [
        (503, "fault:503"),
        (0, "timeout"),
        (429, "fault:429"),
        (502, "fault:html502"),
        (200, "lookup"),
        (200, "lookup"),
    ]
    assert posted.status == 200  # the lookup script does not touch the POST


def test_a_lookup_cut_short_is_cut_from_the_listing() -> None:
    # Two resets: aiohttp resends an idempotent request (a GET) once by itself after
    # a reset or a disconnect, so a client sees the second.
    spec = '{"lookup_script": {"ann@example.com": ["truncated", "reset", "reset"]}}'
    with run_sandbox(spec) as thread:
        thread.sandbox.seed_people([ANN])
        cut, reset = lookups(thread.url, "ann@example.com", 2)
    assert isinstance(cut, Got) and cut.status == 200
    assert cut.text.startswith('{"Data": [{"first_name": "Ann"')
    with pytest.raises(json.JSONDecodeError):
        cut.json()
    assert isinstance(reset, aiohttp.ClientOSError)
    assert [(e.outcome, e.records) for e in thread.sandbox.lookups()] == [
        ("fault:truncated", 2),
        ("reset", 0),
        ("reset", 0),
    ]
    assert not any(r.anonymized for r in thread.sandbox.contacts)


def test_lookup_rates_hit_lookups_only_and_post_rates_hit_posts_only() -> None:
    spec = '{"hang": 5, "lookup_errors": {"503": 1.0}, "errors": {"500": 0}}'
    with run_sandbox(spec) as thread:
        thread.sandbox.seed_people([ANN])
        seen = requests(thread.url, [("GET", "ann@example.com"), ("POST", "ann@example.com")])
    assert [status_of(x) for x in seen] == [503, 200]
    with run_sandbox('{"hang": 5, "lookup_timeout_rate": 1.0}') as thread:
        thread.sandbox.seed_people([ANN])
        seen = requests(
            thread.url, [("GET", "ann@example.com"), ("POST", "ann@example.com")], timeout=0.3
        )
    assert [status_of(x) for x in seen] == ["TimeoutError", 200]
    with run_sandbox('{"errors": {"503": 1.0}, "script": {"ann@example.com": [502]}}') as thread:
        thread.sandbox.seed_people([ANN])
        seen = requests(thread.url, [("GET", "ann@example.com"), ("POST", "ann@example.com")] * 2)
    assert [status_of(x) for x in seen] == [200, 502, 200, 503]


def test_lookup_503s_sometimes_carry_retry_after() -> None:
    with run_sandbox('{"seed": 5, "lookup_errors": {"503": 1.0}}') as thread:
        seen = lookups(thread.url, "ann@example.com", 20)
    got = [x for x in seen if isinstance(x, Got)]
    assert {g.status for g in got} == {503}
    carrying = [g for g in got if "Retry-After" in g.headers]
    assert 0 < len(carrying) < 20
    assert {g.headers["Retry-After"] for g in carrying} == {"1"}


def post_statuses(seed: int, lookup_faults: str, with_lookups: bool) -> list[int | str]:
    spec = f'{{"seed": {seed}, "errors": {{"500": 0.3, "503": 0.3}}{lookup_faults}}}'
    keys = [f"r{i}@example.com" for i in range(24)]
    plan = [(m, k) for k in keys for m in (("GET", "POST", "GET") if with_lookups else ("POST",))]
    with run_sandbox(spec) as thread:
        seen = requests(thread.url, plan)
    return [status_of(x) for (m, _), x in zip(plan, seen, strict=True) if m == "POST"]


def test_random_faults_are_reproducible_and_lookups_do_not_shift_the_posts() -> None:
    alone = post_statuses(7, "", with_lookups=False)
    assert alone == post_statuses(7, "", with_lookups=False)
    assert alone != post_statuses(8, "", with_lookups=False)
    # lookups draw from their own generator, so verifying each key changes no POST's fault
    assert post_statuses(7, "", with_lookups=True) == alone
    lookup = ', "lookup_errors": {"502": 0.4}'
    assert post_statuses(7, lookup, with_lookups=True) == alone

    def lookup_statuses(seed: int) -> list[int | str]:
        spec = f'{{"seed": {seed}, "lookup_errors": {{"502": 0.4, "503": 0.2}}}}'
        with run_sandbox(spec) as thread:
            return [status_of(x) for x in lookups(thread.url, "ann@example.com", 30)]

    first = lookup_statuses(7)
    assert first == lookup_statuses(7)
    assert first != lookup_statuses(8)
    assert {200, 502, 503} == set(first)


# -- the form of the key, as received ----------------------------------------------------------


def test_the_log_records_the_form_of_each_key_as_received() -> None:
    sent = [
        ("POST", {"telephone": "447700900140"}),
        ("POST", {"telephone": "+447700900140"}),
        ("GET", {"telephone": "+44 7700 900140"}),
        ("GET", {"telephone": "0044 7700 900140"}),
        ("POST", {"telephone": " 447700900140"}),
        ("GET", {"telephone": "07700900140"}),
        ("POST", {"email": "Ann@Example.com"}),
        ("POST", {}),
    ]
    with run_sandbox() as thread:
        thread.sandbox.seed_people([ANN])
        for method, fields in sent:
            key = "params" if method == "GET" else "data"
            call(thread.url, method, **{key: fields})
        log = thread.sandbox.log
    assert [(e.method, e.key, e.key_form, e.records) for e in log] == [
        ("POST", "447700900140", "vendor", 2),
        ("POST", "+447700900140", "e164", 0),
        ("GET", "+44 7700 900140", "other", 0),
        ("GET", "0044 7700 900140", "other", 0),
        ("POST", " 447700900140", "other", 0),
        ("GET", "07700900140", "other", 0),
        ("POST", "Ann@Example.com", "email", 0),
        ("POST", "", "", 0),
    ]
    assert json.loads(log[1].to_json())["key_form"] == "e164"
