"""The sandbox's v6 route over loopback HTTP: JSON body, Bearer tokens only, one phone name."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from sandbox_helpers import KEY, Got, run_sandbox

from batch_anonymizer.core.errors import UsageError
from batch_anonymizer.sandbox import Faults, Sandbox, SandboxThread
from batch_anonymizer.sandbox.keys import KeyRequest, parse_v6_key

V6 = "/v6/system-admin/data-admin/contacts/anonymize"


def v6(thread: SandboxThread, body: Any, *, token: bool = True, raw: bytes | None = None) -> Got:
    """One v6 POST: a fresh token first (unless ``token`` is False: the API key then)."""

    async def go() -> Got:
        async with aiohttp.ClientSession() as s:
            auth = f"api_key {KEY}"
            if token:
                form = {
                    "grant_type": "client_credentials",
                    "client_id": "sandbox-client",
                    "client_secret": "sandbox-demo-secret",
                }
                async with s.post(thread.url + "/oauth2/token", data=form) as r:
                    auth = "Bearer " + (await r.json())["access_token"]
            data = raw if raw is not None else json.dumps(body).encode()
            headers = {"Authorization": auth, "Content-Type": "application/json"}
            async with s.post(thread.url + V6, data=data, headers=headers) as r:
                return Got(r.status, await r.read(), dict(r.headers))

    return asyncio.run(go())


def test_a_v6_post_anonymizes_every_record_of_the_key() -> None:
    with run_sandbox() as thread:
        box = thread.sandbox
        box.seed(["ann@example.com"], ["+44 7700 900123"])
        box.add_contact(email="ann@example.com")
        got = v6(thread, {"email": "ANN@example.com"})
        phone = v6(thread, {"phone": "447700900123"})
    assert (got.status, got.json()) == (200, {"data": {"message": "Contact anonymized"}})
    assert phone.status == 200
    assert box.records_for("email", "ann@example.com") == []
    assert box.records_for("telephone", "447700900123") == []
    assert [(e.path, e.key_type, e.outcome, e.records, e.auth) for e in box.posts()] == [
        (V6, "email", "anonymized", 2, "bearer"),
        (V6, "telephone", "anonymized", 1, "bearer"),
    ]


def test_an_api_key_is_no_credential_for_v6() -> None:
    with run_sandbox() as thread:
        thread.sandbox.seed(["ann@example.com"], [])
        got = v6(thread, {"email": "ann@example.com"}, token=False)
        assert got.status == 401
        assert got.json()["message"] == "Unauthorized: a valid Bearer token is required"
        seen = [(e.outcome, e.auth) for e in thread.sandbox.posts()]
        assert seen == [("unauthorized", "api_key")]
        assert thread.sandbox.records_for("email", "ann@example.com") != []


@pytest.mark.parametrize(
    ("taken", "sent"), [("phone", "telephone"), ("telephone", "phone")], ids=["phone", "telephone"]
)
def test_the_other_phone_name_gets_a_400_that_names_it(taken: str, sent: str) -> None:
    with run_sandbox(json.dumps({"v6_phone_field": taken})) as thread:
        box = thread.sandbox
        box.seed([], ["+44 7700 900123"])
        refused = v6(thread, {sent: "447700900123"})
        assert box.records_for("telephone", "447700900123") != []  # nothing was done
        done = v6(thread, {taken: "447700900123"})
    assert refused.status == 400
    words = f"Unknown field '{sent}': send 'email' or '{taken}'"
    assert refused.json() == {"message": words, "errors": [{"code": 300000, "message": words}]}
    assert done.status == 200 and box.records_for("telephone", "447700900123") == []
    assert [(e.key_type, e.status, e.outcome) for e in box.posts()] == [
        ("telephone", 400, "bad_request"),
        ("telephone", 200, "anonymized"),
    ]


def test_v6_shares_the_faults_of_the_v4_1_posts() -> None:
    spec = '{"script": {"ann@example.com": [503, "error200"]}, "no_match": "error"}'
    with run_sandbox(spec) as thread:
        thread.sandbox.seed(["ann@example.com"], [])
        answers = [v6(thread, {"email": "ann@example.com"}) for _ in range(4)]

    def err(words: str, code: int | None = None) -> dict[str, object]:
        item = {"message": words} if code is None else {"code": code, "message": words}
        return {"message": words, "errors": [item]}

    assert [(a.status, a.json()) for a in answers] == [
        (503, err("Service Unavailable")),
        (200, err("Internal error, please try again later")),
        (200, {"data": {"message": "Contact anonymized"}}),
        (400, err("No records found", 300005)),  # anonymized already: no record left
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"email": "a@example.com"}', KeyRequest("email", "a@example.com", None)),
        (b'{"phone": "447700900123"}', KeyRequest("telephone", "447700900123", None)),
        (
            b'{"telephone": "447700900123"}',
            KeyRequest(
                "telephone",
                "447700900123",
                ("Unknown field 'telephone': send 'email' or 'phone'", 300000),
            ),
        ),
        (b'{"mail": "a@example.com"}', KeyRequest("", "", ("Unknown field 'mail': send 'email' "
                                                           "or 'phone'", 300000))),
        (b'{"email": "a@example"}', KeyRequest("email", "a@example", ("Email is not valid",
                                                                      300004))),
        (b'{"phone": 447700900123}', KeyRequest("telephone", "447700900123",
                                                ("Phone is not valid", 300001))),
        (b'{"email": "a@example.com", "phone": "1"}', KeyRequest(
            "both", "a@example.com 1", ("Please make an API request by email or phone", 300000))),
        (b"{}", KeyRequest("", "", ("Please make an API request by email or phone", 300000))),
        (b"email=a@example.com", KeyRequest("", "", ("The request body must be a JSON object",
                                                      300000))),
        (b"[1]", KeyRequest("", "", ("The request body must be a JSON object", 300000))),
    ],
)  # fmt: skip
def test_parse_v6_key(raw: bytes, expected: KeyRequest) -> None:
    assert parse_v6_key(raw, "phone") == expected


def test_the_phone_name_is_given_once() -> None:
    assert Sandbox().v6_phone_field == "phone"
    assert Sandbox(v6_phone_field="telephone").v6_phone_field == "telephone"
    faults = Faults.from_json('{"v6_phone_field": "telephone"}')
    assert Sandbox(faults=faults).v6_phone_field == "telephone"
    with pytest.raises(UsageError, match="given twice"):
        Sandbox(faults=faults, v6_phone_field="phone")
    with pytest.raises(UsageError, match="v6_phone_field must be one of phone, telephone"):
        Faults.from_json('{"v6_phone_field": "mobile"}')
