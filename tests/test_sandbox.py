"""The sandbox over real loopback HTTP with aiohttp's client: no mocks."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from batch_anonymizer.errors import UsageError
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
