"""Credentials and OAuth2 tokens over loopback HTTP."""

from __future__ import annotations

import pytest
from sandbox_helpers import KEY, FakeClock, call, run_sandbox, seeded_sandbox

from batch_anonymizer.sandbox import SandboxThread

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
