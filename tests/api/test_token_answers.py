"""Hostile OAuth2 token answers: each ends in one HaltError line, never a traceback.

The token endpoint's answer is read up to 64 KB and used only when it is a
JSON object with one ``access_token`` of visible ASCII and an ``expires_in``
of up to 10 years; issue 17, "Answers" (the OAuth2 token parser).
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from conftest import only_report, report_rows, write_csv
from hostile import Seen, Served, endless, json_answer

from batch_anonymizer.api.auth import OAuth2Auth
from batch_anonymizer.core.errors import ExitCode, HaltError

SECRET = "cl!ent~secret/9d8c7b"
TOKEN = "tok.eyJhbGciOiJIUzI1NiJ9/x+y=z_5a4b3c"


def token(**fields: object) -> bytes:
    import json

    return json.dumps({"access_token": TOKEN, "expires_in": 3600, **fields}).encode()


def raw(text: str) -> Callable[[], bytes]:
    return lambda: text.encode()


BAD_BODIES: dict[str, Callable[[], bytes]] = {
    "nested 100,000 deep": lambda: b'{"access_token": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "an array 100,000 deep": lambda: b"[" * 100_000,
    "over 64 KB": lambda: token(padding="x" * 70_000),
    "not JSON": raw("<html>Service Unavailable</html>"),
    "a JSON string": raw('"just a string"'),
    "no token": raw('{"expires_in": 3600}'),
    "an empty token": lambda: token(access_token=""),
    "a token that is an object": lambda: token(access_token={"a": 1}),
    "a token that is a number": lambda: token(access_token=12345678),
    "a token with a newline": lambda: token(access_token="tok\r\nX-Injected: 1"),
    "a token with an escape code": lambda: token(access_token="tok\x1b[31m"),
    "a token with a space": lambda: token(access_token="tok en"),
    "a token not ASCII": lambda: token(access_token="tést-token"),
    "a token of 9,000 characters": lambda: token(access_token="t" * 9000),
    "the token twice": raw('{"access_token": "tok-a", "access_token": "tok-b"}'),
    "expires_in of 400 digits": raw('{"access_token": "tok", "expires_in": 1' + "0" * 400 + "}"),
    "expires_in of 5,000 digits": raw('{"access_token": "tok", "expires_in": 1' + "0" * 5000 + "}"),
    "expires_in 1e400": raw('{"access_token": "tok", "expires_in": 1e400}'),
    "expires_in NaN": raw('{"access_token": "tok", "expires_in": NaN}'),
    "expires_in negative": lambda: token(expires_in=-5),
    "expires_in zero": lambda: token(expires_in=0),
    "expires_in 11 years": lambda: token(expires_in=11 * 365 * 86400),
    "expires_in in words": lambda: token(expires_in="soon"),
    "expires_in true": lambda: token(expires_in=True),
    "expires_in a list": lambda: token(expires_in=[3600]),
}


async def fetch_header(url: str) -> str:
    auth = OAuth2Auth("client-7", SECRET, f"{url}/oauth2/token")
    async with aiohttp.ClientSession() as session:
        return await auth.header(session)


def answering(body: bytes, status: int = 200) -> Served:
    async def token_endpoint(request: web.Request, seen: Seen) -> web.Response:
        return json_answer(body, status)

    return Served(token_endpoint)


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_a_token_answer_that_cannot_be_trusted_halts_with_one_line(case: str) -> None:
    with answering(BAD_BODIES[case]()) as server, pytest.raises(HaltError) as caught:
        asyncio.run(fetch_header(server.url))
    message = caught.value.message
    assert "\n" not in message and message.isprintable()
    assert SECRET not in message and TOKEN not in message


@pytest.mark.parametrize("status", [201, 500, 503, 302])
def test_only_a_2xx_token_answer_gives_a_token(status: int) -> None:
    with answering(token(), status) as server:
        if status == 201:
            assert asyncio.run(fetch_header(server.url)) == f"Bearer {TOKEN}"
            return
        with pytest.raises(HaltError):
            asyncio.run(fetch_header(server.url))


def test_a_sound_token_answer_is_used() -> None:
    with answering(token(expires_in="7200", token_type="Bearer")) as server:
        assert asyncio.run(fetch_header(server.url)) == f"Bearer {TOKEN}"
        form = server.seen[0].body.decode()
    assert "grant_type=client_credentials" in form


def test_a_1_gib_token_answer_is_not_read() -> None:
    async def huge(request: web.Request, seen: Seen) -> web.StreamResponse:
        return await server.stream(request, endless(b'{"access_token": "'))

    with Served(huge) as server:
        tracemalloc.start()
        started = time.monotonic()
        try:
            with pytest.raises(HaltError):
                asyncio.run(fetch_header(server.url))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 10 * 1024 * 1024
    assert time.monotonic() - started < 5.0
    assert server.streamed[0] < 64 * 1024 * 1024


def test_the_cli_ends_a_bad_token_answer_with_one_line_and_sends_nothing(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CUSTOMERGAUGE_API_KEY")
    monkeypatch.setenv("CUSTOMERGAUGE_CLIENT_SECRET", SECRET)
    deep = BAD_BODIES["expires_in of 400 digits"]()

    async def vendor(request: web.Request, seen: Seen) -> web.Response:
        return json_answer(deep if request.path == "/oauth2/token" else b"{}")

    with Served(vendor) as server:
        res = cli(
            "run", write_csv(tmp_path / "in.csv", ["Email"], [["a0@example.com"]]),
            "--base-url", server.url, "--oauth-client-id", "client-7", "--yes", "--rate", "0",
            "--no-progress",
        )  # fmt: skip
        paths = [s.path for s in server.seen]
    assert res.code == ExitCode.HALTED
    assert "Traceback" not in res.err
    said = (
        f"the OAuth2 token endpoint 127.0.0.1:{server.port} answered HTTP 200 without a "
        "usable token (an expires_in that is not a number of seconds up to 10 years); "
        "check --oauth-token-url"
    )
    assert [line for line in res.out.splitlines() if "OAuth2" in line] == [
        f"Run HALTED ({said}): 1 pending. Unfinished keys are pending."
    ]
    assert paths == ["/oauth2/token"]  # nothing else was asked, nothing anonymized
    # not a lone journal: the report says why nothing was sent (issue 23, low)
    [row] = report_rows(only_report(tmp_path / "reports"))
    assert (row["status"], row["error_code"]) == ("pending", "halted_auth")
    assert row["message"] == f"not sent: run halted: {said}"
