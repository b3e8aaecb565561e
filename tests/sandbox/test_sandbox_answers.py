"""The documented answers over loopback HTTP: bad requests, XML, no-match, redirect."""

from __future__ import annotations

import pytest
from sandbox_helpers import AUTH, OK_JSON, OK_XML, call, post, run_sandbox, seeded_sandbox

from batch_anonymizer.sandbox import SandboxThread
from batch_anonymizer.sandbox.routes import KeyRequest, parse_key

sbx = pytest.fixture(seeded_sandbox, name="sbx")


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


# Written out, not read from wire's constants: a changed message must fail here.
NO_KEY = ("Please make an API request by email or telephone", 300000)
BAD_EMAIL = ("Email is not valid", 300004)
BAD_PHONE = ("Telephone is not valid", 300001)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"email": " ann@example.com "}, KeyRequest("email", " ann@example.com ", None)),
        ({"email": "ann@example"}, KeyRequest("email", "ann@example", BAD_EMAIL)),
        ({"telephone": "+1 202 555 0106"}, KeyRequest("telephone", "+1 202 555 0106", None)),
        ({"telephone": "n/a"}, KeyRequest("telephone", "n/a", BAD_PHONE)),
        ({"email": " ", "telephone": "00"}, KeyRequest("telephone", "00", None)),
        (
            {"email": "a@example.com", "telephone": "+1 202 555 0107"},
            KeyRequest("both", "a@example.com +1 202 555 0107", NO_KEY),
        ),
        ({"email": "", "telephone": "  "}, KeyRequest("", "", NO_KEY)),
        ({"other": "a@example.com"}, KeyRequest("", "", NO_KEY)),
    ],
)
def test_parse_key(fields: dict[str, str], expected: KeyRequest) -> None:
    assert parse_key(fields) == expected
