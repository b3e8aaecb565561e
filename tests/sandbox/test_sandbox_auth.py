"""Credentials and OAuth2 tokens over loopback HTTP."""

from __future__ import annotations

import base64

import pytest
from sandbox_helpers import KEY, FakeClock, call, run_sandbox, seeded_sandbox

from batch_anonymizer.sandbox import Sandbox, SandboxThread
from batch_anonymizer.sandbox.credentials import AuthCheck, Credentials

sbx = pytest.fixture(seeded_sandbox, name="sbx")


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


def test_precheck_with_the_key_in_the_url_is_recorded_apart(sbx: SandboxThread) -> None:
    got = call(sbx.url, "GET", params={"email": "ann@example.com", "api_key": KEY}, headers={})
    assert got.status == 200
    assert sbx.sandbox.log[0].auth == "api_key_query"


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
            ("lookup", "bearer"),
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


def test_a_clock_replaced_while_running_dates_the_tokens() -> None:
    with run_sandbox(client_id="cid", client_secret="csecret") as thread:
        clock = FakeClock()
        thread.sandbox.clock = clock  # as tests/test_api.py does mid-run
        form = {"grant_type": "client_credentials", "client_id": "cid", "client_secret": "csecret"}
        token = call(thread.url, path="/oauth2/token", data=form, headers={}).json()
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        clock.now += 3599
        assert call(thread.url, data={"email": "a@example.com"}, headers=bearer).status == 400
        clock.now += 1
        assert call(thread.url, data={"email": "a@example.com"}, headers=bearer).status == 401
        assert [e.t for e in thread.sandbox.log] == [clock.now - 3600, clock.now - 1, clock.now]


# -- the credentials on their own -------------------------------------------------

NOW = 1_800_000_000.0


def creds(ttl: float = 600.0) -> Credentials:
    return Credentials("key-1f2e", "cid", "csecret", ttl)


def basic(user_pass: bytes) -> str:
    return "Basic " + base64.b64encode(user_pass).decode()


def grant(**fields: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", **fields}


@pytest.mark.parametrize(
    ("header", "kind", "valid"),
    [
        ("api_key key-1f2e", "api_key", True),
        ("  API_KEY   key-1f2e  ", "api_key", True),
        ("api_key key-1f2", "api_key", False),
        ("api_key", "api_key", False),
        ("Bearer key-1f2e", "bearer", False),
        ("Basic key-1f2e", "other", False),
        ("key-1f2e", "other", False),
        ("", "other", False),
        (None, "none", False),
    ],
)
def test_check_names_the_kind_of_credentials(header: str | None, kind: str, valid: bool) -> None:
    assert creds().check(header, query_key=None, now=NOW) == AuthCheck(kind, valid)


def test_check_a_key_in_the_url_counts_only_without_a_header() -> None:
    c = creds()
    assert c.check(None, query_key="key-1f2e", now=NOW) == AuthCheck("api_key_query", True)
    assert c.check(None, query_key="nope", now=NOW) == AuthCheck("api_key_query", False)
    assert c.check("api_key nope", query_key="key-1f2e", now=NOW) == AuthCheck("api_key", False)


def test_a_token_is_valid_until_its_expiry_exclusive() -> None:
    c = creds(ttl=600)
    got = c.token_request(grant(client_id="cid", client_secret="csecret"), None, now=NOW)
    assert (got.status, got.outcome, got.client_id, got.how) == (200, "token", "cid", "form")
    assert got.body["token_type"] == "Bearer" and got.body["expires_in"] == 600
    assert isinstance(got.body["expires_in"], int)
    assert dict(got.headers) == {"Cache-Control": "no-store"}
    header = f"Bearer {got.body['access_token']}"
    assert c.check(header, query_key=None, now=NOW + 599.9).valid
    assert not c.check(header, query_key=None, now=NOW + 600).valid
    assert not c.check(f"Bearer {got.body['access_token']}x", query_key=None, now=NOW).valid


def test_each_grant_is_a_new_token_and_a_fractional_ttl_is_kept() -> None:
    c = creds(ttl=90.5)
    form = grant(client_id="cid", client_secret="csecret")
    one, two = (c.token_request(form, None, now=NOW) for _ in range(2))
    assert one.body["access_token"] != two.body["access_token"]
    assert one.body["expires_in"] == 90.5
    for got in (one, two):  # both stay valid: a new token does not end the old one
        assert c.check(f"Bearer {got.body['access_token']}", query_key=None, now=NOW + 90).valid


def test_http_basic_wins_over_the_form() -> None:
    c = creds()
    form = grant(client_id="cid", client_secret="wrong")
    got = c.token_request(form, basic(b"cid:csecret"), now=NOW)
    assert (got.status, got.how) == (200, "basic")
    refused = c.token_request(
        grant(client_id="cid", client_secret="csecret"), basic(b"cid:x"), now=NOW
    )
    assert (refused.status, refused.outcome, refused.how) == (401, "unauthorized", "basic")


@pytest.mark.parametrize(
    ("form", "header", "status", "body", "client_id", "how"),
    [
        (grant(client_id="cid"), None, 401, {"error": "invalid_client"}, "cid", "none"),
        (
            grant(client_id="other", client_secret="csecret"),
            None,
            401,
            {"error": "invalid_client"},
            "other",
            "form",
        ),
        (grant(), "Basic !!not-base64!!", 401, {"error": "invalid_client"}, "", "basic"),
        (grant(), basic(b"\xff\xfe:csecret"), 401, {"error": "invalid_client"}, "", "basic"),
        (grant(), basic(b"cid"), 401, {"error": "invalid_client"}, "cid", "basic"),
        (
            {"grant_type": "password", "client_id": "cid", "client_secret": "csecret"},
            None,
            400,
            {"error": "unsupported_grant_type"},
            "cid",
            "form",
        ),
        (
            {"client_id": "cid", "client_secret": "csecret"},
            None,
            400,
            {"error": "unsupported_grant_type"},
            "cid",
            "form",
        ),
    ],
)
def test_token_refusals(
    form: dict[str, str],
    header: str | None,
    status: int,
    body: dict[str, str],
    client_id: str,
    how: str,
) -> None:
    c = creds()
    got = c.token_request(form, header, now=NOW)
    assert (got.status, dict(got.body), got.client_id, got.how) == (status, body, client_id, how)
    assert ("WWW-Authenticate" in got.headers) == (status == 401)
    assert "csecret" not in repr(got)  # the record the log is made from holds no secret


def test_the_sandbox_shows_the_key_and_client_id_it_accepts() -> None:
    box = Sandbox(api_key="key-9a8b", client_id="cid-7", client_secret="secret-6c5d")
    assert (box.api_key, box.client_id) == ("key-9a8b", "cid-7")
    assert (Sandbox().api_key, Sandbox().client_id) == ("sandbox-demo-key", "sandbox-client")
