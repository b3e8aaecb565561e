"""The sandbox over real loopback HTTP with aiohttp's client: no mocks."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from batch_anonymizer.core.errors import UsageError
from batch_anonymizer.sandbox import Faults, Sandbox, SandboxThread, start_sandbox

KEY = "sbx-key-5d1c0e"
AUTH = {"Authorization": f"api_key {KEY}"}
OK_JSON = {"Data": {"message": "Record updated successfully"}}
OK_XML = "<Data><message>Record updated successfully</message></Data>"
REPO = Path(__file__).resolve().parent.parent


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Got:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


async def send(
    session: aiohttp.ClientSession,
    url: str,
    method: str = "POST",
    *,
    path: str = "/v4.1/anonymize.json",
    data: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 5.0,
) -> Got:
    async with session.request(
        method,
        url + path,
        data=data,
        params=params,
        headers=AUTH if headers is None else headers,
        allow_redirects=False,
        timeout=aiohttp.ClientTimeout(total=timeout),
    ) as resp:
        body = await resp.read()
        return Got(resp.status, body, dict(resp.headers))


def call(url: str, method: str = "POST", **kwargs: Any) -> Got:
    """One request in a fresh session (and a fresh event loop)."""

    async def go() -> Got:
        async with aiohttp.ClientSession() as session:
            return await send(session, url, method, **kwargs)

    return asyncio.run(go())


def post(url: str, **data: str) -> Got:
    return call(url, data=data)


def run_sandbox(faults: str | None = None, **kwargs: Any) -> SandboxThread:
    box = Sandbox(api_key=KEY, faults=Faults.from_json(faults) if faults else None, **kwargs)
    return SandboxThread(box)


@pytest.fixture
def sbx() -> Iterator[SandboxThread]:
    with run_sandbox() as thread:
        thread.sandbox.seed(["ann@example.com"], ["+44 7700 900123"])
        yield thread


# -- the documented answers -----------------------------------------------------


def test_success_then_the_same_key_no_longer_matches(sbx: SandboxThread) -> None:
    first = post(sbx.url, email="ann@example.com")
    assert first.status == 200
    assert first.json() == OK_JSON
    assert first.headers["Content-Type"].startswith("application/json")
    second = post(sbx.url, email="ann@example.com")
    assert (second.status, second.json()) == (
        400,
        {"Error": {"Message": "No records found", "Code": 300005}},
    )
    assert [(e.status, e.outcome, e.records) for e in sbx.sandbox.posts()] == [
        (200, "anonymized", 1),
        (400, "no_match", 0),
    ]


def test_every_matching_record_is_overwritten_as_the_vendor_does() -> None:
    with run_sandbox() as thread:
        box = thread.sandbox
        box.add_contact(email="Jo@Example.com", telephone="+1 202 555 0101", first_name="Jo")
        box.add_contact(email="jo@example.com", first_name="Jo", last_name="Two")
        box.add_contact(email="other@example.com", first_name="Kim")
        got = post(thread.url, email="JO@example.COM")
        assert got.status == 200
        assert thread.sandbox.posts()[0].records == 2
        # anonymized by email, so no longer found by its telephone either
        assert post(thread.url, telephone="+12025550101").status == 400
    jo1, jo2, kim = box.contacts
    for c in (jo1, jo2):
        assert c.anonymized
        assert c.email.endswith("@example.net") and "jo" not in c.email
        assert (c.first_name, c.last_name, c.sms_telephone, c.number_customergauge) == ("***",) * 4
        assert (c.job_level, c.job_position) == ("*", "--")
        assert c.nps_comment == "This comment has been anonymised based on customer request"
    assert jo1.email != jo2.email
    assert (kim.first_name, kim.anonymized) == ("Kim", False)


def test_telephone_matches_on_digits_only(sbx: SandboxThread) -> None:
    assert post(sbx.url, telephone="447700900123").status == 200
    assert post(sbx.url, telephone="+44 7700-900-123").status == 400


@pytest.mark.parametrize(
    ("data", "message", "code"),
    [
        ({}, "Please make an API request by email or telephone", 300000),
        ({"email": "  "}, "Please make an API request by email or telephone", 300000),
        (
            {"email": "ann@example.com", "telephone": "+447700900123"},
            "Please make an API request by email or telephone",
            300000,
        ),
        ({"email": "not-an-email"}, "Email is not valid", 300004),
        ({"email": "a@b"}, "Email is not valid", 300004),
        ({"telephone": "n/a"}, "Telephone is not valid", 300001),
    ],
)
def test_bad_requests(sbx: SandboxThread, data: dict[str, str], message: str, code: int) -> None:
    got = call(sbx.url, data=data)
    assert (got.status, got.json()) == (400, {"Error": {"Message": message, "Code": code}})
    assert sbx.sandbox.posts()[0].outcome == "bad_request"
    assert not any(c.anonymized for c in sbx.sandbox.contacts)


@pytest.mark.parametrize(
    ("headers", "auth"),
    [
        ({}, "none"),
        ({"Authorization": "api_key wrong-key"}, "api_key"),
        ({"Authorization": f"Basic {KEY}"}, "other"),
        ({"Authorization": "Bearer not-a-token"}, "bearer"),
    ],
)
def test_unauthorized(sbx: SandboxThread, headers: dict[str, str], auth: str) -> None:
    got = call(sbx.url, data={"email": "ann@example.com"}, headers=headers)
    assert got.status == 401
    assert got.json() == {"Error": {"Message": "Invalid API Key", "Code": 200000}}
    (entry,) = sbx.sandbox.posts()
    assert (entry.outcome, entry.auth) == ("unauthorized", auth)
    assert not sbx.sandbox.contacts[0].anonymized


def test_no_match_can_be_a_success() -> None:
    with run_sandbox('{"no_match": "success"}') as thread:
        got = post(thread.url, email="nobody@example.com")
        assert (got.status, got.json()) == (200, OK_JSON)
        assert thread.sandbox.posts()[0].outcome == "no_match"


def test_xml_variants(sbx: SandboxThread) -> None:
    path = "/v4.1/anonymize.xml"
    ok = call(sbx.url, path=path, data={"email": "ann@example.com"})
    assert (ok.status, ok.text) == (200, OK_XML)
    assert ok.headers["Content-Type"].startswith("application/xml")
    cases = [
        ({"email": "ann@example.com"}, AUTH, 400, "No records found", 300005),
        ({"email": "bad"}, AUTH, 400, "Email is not valid", 300004),
        ({}, AUTH, 400, "Please make an API request by email or telephone", 300000),
        ({"email": "ann@example.com"}, {}, 401, "Invalid API Key", 200000),
    ]
    for data, headers, status, message, code in cases:
        got = call(sbx.url, path=path, data=data, headers=headers)
        assert got.status == status
        assert got.text == f"<Error><Message>{message}</Message><Code>{code}</Code></Error>"
        assert got.headers["Content-Type"].startswith("application/xml")


def test_precheck_lists_without_changing(sbx: SandboxThread) -> None:
    sbx.sandbox.add_contact(email="ANN@example.com", first_name="Ann", last_name="Lee")
    got = call(sbx.url, "GET", params={"email": "Ann@Example.com"})
    assert got.status == 200
    rows = got.json()["Data"]
    assert [r["last_name"] for r in rows] == ["Email0", "Lee"]
    assert set(rows[0]) == {
        "first_name",
        "last_name",
        "email",
        "sms_telephone",
        "number_customergauge",
    }
    assert rows[1]["email"] == "ANN@example.com"
    assert not any(c.anonymized for c in sbx.sandbox.contacts)
    none = call(sbx.url, "GET", params={"email": "nobody@example.com"})
    assert (none.status, none.json()) == (200, {"Data": []})
    xml = call(sbx.url, "GET", path="/v4.1/anonymize.xml", params={"telephone": "+447700900123"})
    assert xml.text.startswith("<Data><record><first_name>Test</first_name>")
    assert call(sbx.url, "GET", params={"email": "ann@example.com"}, headers={}).status == 401
    entries = [(e.method, e.outcome, e.records) for e in sbx.sandbox.log]
    assert entries[:3] == [("GET", "precheck", 2), ("GET", "precheck", 0), ("GET", "precheck", 1)]
    assert sbx.sandbox.posts() == []  # a pre-check is not a POST


def test_precheck_with_the_key_in_the_url_is_recorded_apart(sbx: SandboxThread) -> None:
    got = call(sbx.url, "GET", params={"email": "ann@example.com", "api_key": KEY}, headers={})
    assert got.status == 200
    assert sbx.sandbox.log[0].auth == "api_key_query"


# -- OAuth2 ---------------------------------------------------------------------


def test_oauth2_token_and_expiry_on_the_sandbox_clock() -> None:
    clock = FakeClock()
    faults = '{"token_ttl": 600}'
    with run_sandbox(faults, clock=clock, client_id="cid", client_secret="csecret") as thread:
        form = {"grant_type": "client_credentials", "client_id": "cid", "client_secret": "csecret"}
        tok = call(thread.url, path="/oauth2/token", data=form, headers={})
        assert tok.status == 200
        doc = tok.json()
        assert (doc["token_type"], doc["expires_in"]) == ("Bearer", 600)
        bearer = {"Authorization": f"Bearer {doc['access_token']}"}
        call(thread.url, data={"email": "a@example.com"}, headers=bearer)
        clock.now += 599
        assert (
            call(thread.url, "GET", params={"email": "a@example.com"}, headers=bearer).status == 200
        )
        clock.now += 1
        got = call(thread.url, data={"email": "a@example.com"}, headers=bearer)
        assert (got.status, got.json()["Error"]["Code"]) == (401, 200000)
        log = thread.sandbox.log
        assert [(e.outcome, e.auth) for e in log] == [
            ("token", "form"),
            ("no_match", "bearer"),
            ("precheck", "bearer"),
            ("unauthorized", "bearer"),
        ]
        assert log[0].key == "cid"
        assert all(doc["access_token"] not in e.to_json() for e in log)


def test_oauth2_basic_auth_and_refusals() -> None:
    import base64

    with run_sandbox(client_id="cid", client_secret="csecret") as thread:
        grant = {"grant_type": "client_credentials"}
        basic = {"Authorization": "Basic " + base64.b64encode(b"cid:csecret").decode()}
        assert call(thread.url, path="/oauth2/token", data=grant, headers=basic).status == 200
        wrong = {"Authorization": "Basic " + base64.b64encode(b"cid:nope").decode()}
        refused = call(thread.url, path="/oauth2/token", data=grant, headers=wrong)
        assert (refused.status, refused.json()) == (401, {"error": "invalid_client"})
        bad_grant = call(
            thread.url, path="/oauth2/token", data={"grant_type": "password"}, headers=basic
        )
        assert (bad_grant.status, bad_grant.json()) == (400, {"error": "unsupported_grant_type"})
        assert [e.outcome for e in thread.sandbox.log] == ["token", "unauthorized", "bad_request"]
        assert thread.sandbox.posts() == []


# -- redirect, log file, ways to run --------------------------------------------


def test_redirect_answers_307_and_the_log_shows_whether_authorization_came(
    sbx: SandboxThread,
) -> None:
    got = call(sbx.url, path="/redirect/v4.1/anonymize.json", data={"email": "ann@example.com"})
    port = sbx.url.rsplit(":", 1)[1]
    assert (got.status, got.headers["Location"]) == (
        307,
        f"http://localhost:{port}/v4.1/anonymize.json",
    )
    sbx.sandbox.redirect_to = "http://127.0.0.2:9/elsewhere"
    again = call(sbx.url, path="/redirect/v4.1/anonymize.xml", data={}, headers={})
    assert again.headers["Location"] == "http://127.0.0.2:9/elsewhere"
    assert [(e.status, e.outcome, e.auth) for e in sbx.sandbox.log] == [
        (307, "redirect", "api_key"),
        (307, "redirect", "none"),
    ]
    assert sbx.sandbox.posts() == []
    assert not sbx.sandbox.contacts[0].anonymized


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


def test_start_sandbox_in_the_callers_loop_and_loopback_only() -> None:
    async def go() -> None:
        box = Sandbox(api_key=KEY)
        box.seed(["ann@example.com"], [])
        runner, url = await start_sandbox(box)
        try:
            assert url.startswith("http://127.0.0.1:")
            async with aiohttp.ClientSession() as session:
                got = await send(session, url, data={"email": "ann@example.com"})
            assert got.status == 200
        finally:
            await runner.cleanup()
        with pytest.raises(UsageError, match="loopback"):
            await start_sandbox(box, host="0.0.0.0")  # noqa: S104 - refused, as asserted

    asyncio.run(go())
    with pytest.raises(UsageError, match="loopback"):
        SandboxThread(Sandbox(), host="192.0.2.1")


def test_serve_stops_cleanly_on_sigterm_and_sigint(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from batch_anonymizer.sandbox import Sandbox, serve\n"
        "serve(Sandbox(), 0, ready=lambda url: print(url, flush=True))\n"
        "print('stopped', flush=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for signum in (signal.SIGTERM, signal.SIGINT):
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert post(url, email="a@example.com").status == 401  # the default demo key differs
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=10)
        assert (proc.returncode, out, err) == (0, "stopped\n", "")


# -- faults on cue ---------------------------------------------------------------

Seen = Got | BaseException


async def attempt(session: aiohttp.ClientSession, url: str, **kwargs: Any) -> Seen:
    """A request whose transport failure is returned, not raised."""
    try:
        return await send(session, url, **kwargs)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return exc


def post_all(
    url: str, keys: list[str], timeout: float = 5.0, path: str = "/v4.1/anonymize.json"
) -> list[Seen]:
    """POST each key in turn (one session), collecting answers and failures."""

    async def go() -> list[Seen]:
        async with aiohttp.ClientSession() as session:
            return [
                await attempt(session, url, path=path, data={"email": k}, timeout=timeout)
                for k in keys
            ]

    return asyncio.run(go())


def status_of(seen: Seen) -> int | str:
    return seen.status if isinstance(seen, Got) else type(seen).__name__


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


def test_faults_spec_from_file_and_its_refusals(tmp_path: Path) -> None:
    spec = tmp_path / "faults.json"
    spec.write_text(
        '{"seed": 7, "script": {"B@Example.com": ["429:5", 200]}, "no_match": "success"}'
    )
    faults = Faults.from_spec(f"@{spec}")
    assert faults.seed == 7 and faults.no_match == "success"
    assert [s.kind for s in faults.script["b@example.com"]] == ["status", "normal"]
    assert Faults.from_spec('{"errors": {"503": 0.5}}').errors == {503: 0.5}
    refused = [
        ("{not json", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"sed": 7}', "unknown field"),
        ('{"seed": true}', "seed"),
        ('{"script": {"a@example.com": ["explode"]}}', "unknown script item 'explode'"),
        ('{"script": {"a@example.com": [200, 99]}}', "unknown script item"),
        ('{"errors": {"503": 0.7}, "reset_rate": 0.5}', "add up to 1.200"),
        ('{"errors": {"abc": 0.1}}', "not a 4xx/5xx status"),
        ('{"rate_limit": {"rps": 0}}', "rps"),
        ('{"rate_limit": {"rps": 5, "retry_after": "soon"}}', "retry_after"),
        ('{"no_match": "ignore"}', "no_match"),
        ('{"timeout_rate": 2}', "between"),
        (f"@{tmp_path / 'missing.json'}", "cannot read"),
    ]
    for text, message in refused:
        with pytest.raises(UsageError, match=message):
            Faults.from_spec(text)
