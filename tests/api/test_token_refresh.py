"""Short-lived OAuth2 tokens (issue 23, item 1): refreshed at a part of their life, paced, redacted.

A token endpoint that gives tokens of ``expires_in`` 300 s (or less) must not
be asked once per API request: a token is used until 80% of its life, each
token request takes a slot of the rate limit, and every token the run ever
used is cut from every answer, however many there were.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import threading
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from conftest import only_report, report_rows, start_sandbox, write_csv
from fakes import FakeClock, max_in_window, run_virtual
from hostile import Seen, Served, everything_written, json_answer
from test_pool import MemoryRecorder

from batch_anonymizer.api.auth import OAuth2Auth
from batch_anonymizer.api.control import RunControl
from batch_anonymizer.api.endpoint import Endpoint
from batch_anonymizer.api.ratelimit import RateLimiter
from batch_anonymizer.api.sender import HttpSender
from batch_anonymizer.api.sending import Sending
from batch_anonymizer.api.settings import Settings
from batch_anonymizer.core.errors import HaltError

SECRET = "cl!ent~secret/9d8c7b"


def token_endpoint(ttl: float) -> Served:
    """Gives a new token of ``ttl`` seconds at each request."""

    async def tokens(request: web.Request, seen: Seen) -> web.Response:
        token = f"tok-{len(served.seen):04d}-5a4b3c2d1e"
        return json_answer(json.dumps({"access_token": token, "expires_in": ttl}).encode())

    served = Served(tokens)
    return served


@pytest.mark.parametrize("ttl", [300.0, 30.0, 2.0])
def test_a_short_lived_token_is_fetched_once_per_part_of_its_life_and_paced(ttl: float) -> None:
    """One simulated hour (ttl 300) of API requests at 5/s: at most ceil(T / (0.8 ttl)) + 1
    token requests, every API request under a token still alive, and never more than 5
    starts (API and token requests together) in any 1-second window."""
    clock = FakeClock()
    limiter = RateLimiter(5, clock=clock.clock())
    api_starts: list[float] = []
    token_starts: list[float] = []
    issued: dict[str, float] = {}

    async def run(url: str, requests: int) -> None:
        auth = OAuth2Auth("client-7", SECRET, f"{url}/oauth2/token", clock=clock.now)

        async def paced() -> bool:
            ok = await limiter.acquire()
            token_starts.append(clock.now())
            return ok

        auth.pace(paced)
        async with aiohttp.ClientSession() as session:
            for _ in range(requests):
                await limiter.acquire()
                api_starts.append(clock.now())
                header = await auth.header(session)
                issued.setdefault(header, token_starts[-1])
                assert clock.now() < issued[header] + ttl  # never a token past its life

    requests = 1500 if ttl == 300.0 else 400
    with token_endpoint(ttl) as server:
        asyncio.run(run(server.url, requests))
        fetched = len(server.seen)
    span = clock.now() - 1000.0
    assert fetched == len(token_starts) == len(issued)
    assert fetched <= math.ceil(span / (0.8 * ttl)) + 1, (fetched, span)
    assert fetched >= math.floor(span / ttl)  # and a token is refreshed before it runs out
    assert max_in_window(sorted(api_starts + token_starts)) <= 5


def test_requests_refused_together_fetch_one_new_token_not_one_each() -> None:
    """Ten requests sent with one token all get a 401: one new token, not ten."""

    async def run(url: str) -> tuple[str, list[str]]:
        auth = OAuth2Auth("client-7", SECRET, f"{url}/oauth2/token")
        async with aiohttp.ClientSession() as session:
            old = await auth.header(session)
            after = []
            for _ in range(10):  # each 401 comes back after the new token was fetched
                auth.invalidate(old)
                after.append(await auth.header(session))
            return old, after

    with token_endpoint(3600) as server:
        old, after = asyncio.run(run(server.url))
        fetched = len(server.seen)
    assert fetched == 2
    assert set(after) == {"Bearer tok-0002-5a4b3c2d1e"} and old == "Bearer tok-0001-5a4b3c2d1e"


def rotating_gateway(tokens: list[str], released_at: int) -> Served:
    """Tokens of 1 ms (so every API request brings a new one); each API request is answered
    with an error page quoting its Authorization header, held until ``released_at`` tokens
    were given out, so the early tokens come back long after they were replaced."""
    state: dict[str, asyncio.Event] = {}

    async def gateway(request: web.Request, seen: Seen) -> web.Response:
        many = state.setdefault("many", asyncio.Event())
        if request.path == "/oauth2/token":
            tokens.append(f"tok{len(tokens):03d}.eyJhbGciOiJIUzI1NiJ9x")
            if len(tokens) >= released_at:
                many.set()
            return json_answer(
                json.dumps({"access_token": tokens[-1], "expires_in": 0.001}).encode()
            )
        echoed = seen.headers.get("Authorization", "")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(many.wait(), 5)
        message = json.dumps(f"invalid header Authorization: {echoed}")
        return json_answer(f'{{"Error": {{"Message": {message}, "Code": "403001"}}}}'.encode(), 400)

    return Served(gateway)


def test_no_token_of_a_run_with_many_rotations_reaches_any_file_or_log(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CUSTOMERGAUGE_API_KEY")
    monkeypatch.setenv("CUSTOMERGAUGE_CLIENT_SECRET", SECRET)
    keys = [[f"a{i}@example.com"] for i in range(16)]
    tokens: list[str] = []
    with rotating_gateway(tokens, released_at=13) as server:
        res = cli(
            "-v", "run", write_csv(tmp_path / "in.csv", ["Email"], keys), "--base-url", server.url,
            "--oauth-client-id", "client-7", "--yes", "--no-verify", "--rate", "0",
            "--concurrency", "14", "--max-retries", "0", "--max-consecutive-failures", "0",
            "--no-progress",
        )  # fmt: skip
    assert res.code == 1, res.out + res.err
    assert len(tokens) >= 14  # many rotations, more than any short memory of tokens
    rows = report_rows(only_report(tmp_path / "reports"))
    assert [r["status"] for r in rows] == ["failed"] * 16
    assert all("Bearer [redacted]" in r["message"] for r in rows), rows
    written = everything_written(tmp_path, res.out, res.err)
    assert b"INFO" in written  # the -v log was searched too
    for token in tokens:
        assert token[:8].encode() not in written, token
    assert SECRET.encode() not in written


def test_the_sandbox_with_tokens_of_300_s_gets_one_token_request_per_run(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's reproduction (sandbox fault token_ttl 300, v6): it was one token request
    per API request; a run shorter than 240 s now needs one."""
    monkeypatch.delenv("CUSTOMERGAUGE_API_KEY")
    monkeypatch.setenv("CUSTOMERGAUGE_CLIENT_SECRET", SECRET)
    keys = [f"t{i}@example.com" for i in range(12)]
    with start_sandbox('{"token_ttl": 300}', client_secret=SECRET) as thread:
        thread.sandbox.seed(keys, [])
        res = cli(
            "run", write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in keys]),
            "--base-url", thread.url, "--api", "v6", "--oauth-client-id", "sandbox-client",
            "--yes", "--rate", "0", "--no-progress",
        )  # fmt: skip
        log = list(thread.sandbox.log)
    assert res.code == 0, res.out + res.err
    tokens = [e for e in log if e.path == "/oauth2/token"]
    api = [e for e in log if e.path != "/oauth2/token"]
    span = log[-1].t - log[0].t
    assert len(api) == 36 and span < 240
    assert len(tokens) == 1, (len(tokens), len(api))


def test_a_run_counts_its_token_requests_against_the_rate() -> None:
    """Sending wires the token requests to the run's rate limit: at --rate 2, a token asked
    for right after an API request's slot waits for the next one (0.5 s, on a virtual clock;
    a session with no timeout, so that only real I/O wakes the loop)."""

    async def main(url: str) -> float:
        loop = asyncio.get_running_loop()
        control = RunControl()
        control.bind(loop)
        auth = OAuth2Auth("client-7", SECRET, f"{url}/oauth2/token")
        sender = HttpSender(Endpoint.for_base_url(url), auth, timeout=5, connections=1)
        sending = Sending(sender, MemoryRecorder(), Settings(rate=2), control, run_id="run-1")
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
            assert await sending.limiter.acquire()  # an API request starts now
            started = loop.time()
            await auth.header(session)
            return loop.time() - started

    with token_endpoint(3600) as server:
        waited = run_virtual(main(server.url))
        fetched = len(server.seen)
    assert fetched == 1 and waited == pytest.approx(0.5)


def test_a_due_refresh_goes_beside_the_requests_which_keep_the_token_alive() -> None:
    """At 90% of its life the token is still used while the new one is on its way (a hanging
    token endpoint holds no request); only once the old one has run out do requests wait."""
    now = [0.0]
    release = threading.Event()

    async def tokens(request: web.Request, seen: Seen) -> web.Response:
        if len(server.seen) > 1:
            await asyncio.get_running_loop().run_in_executor(None, release.wait, 10)
        body = {"access_token": f"tok-{len(server.seen)}-5a4b3c2d1e", "expires_in": 10}
        return json_answer(json.dumps(body).encode())

    async def run(url: str) -> list[str]:
        auth = OAuth2Auth("client-7", SECRET, f"{url}/oauth2/token", clock=lambda: now[0])
        async with aiohttp.ClientSession() as session:
            seen = [await auth.header(session)]
            now[0] = 9.0  # due: refreshed beside, this request goes with the live token
            seen.append(await asyncio.wait_for(auth.header(session), 2))
            for _ in range(200):  # the refresh is asked for now, not once the token ran out
                if len(server.seen) == 2:
                    break
                await asyncio.sleep(0.01)
            assert len(server.seen) == 2
            now[0] = 10.5  # run out: this one waits for the refresh under way
            waiting = asyncio.ensure_future(auth.header(session))
            await asyncio.sleep(0.05)
            assert not waiting.done()
            release.set()
            seen.append(await waiting)
            await auth.aclose()
        return seen

    server = Served(tokens)
    with server:
        seen = asyncio.run(run(server.url))
        fetched = len(server.seen)
    assert fetched == 2
    assert seen == ["Bearer tok-1-5a4b3c2d1e"] * 2 + ["Bearer tok-2-5a4b3c2d1e"]


def test_a_refresh_that_fails_keeps_the_live_token_and_tries_again_halfway_to_its_end() -> None:
    now = [0.0]

    async def tokens(request: web.Request, seen: Seen) -> web.Response:
        if len(server.seen) > 1:
            return json_answer(b"<html>Service Unavailable</html>", 503)
        return json_answer(
            json.dumps({"access_token": "tok-1-5a4b3c2d1e", "expires_in": 10}).encode()
        )

    async def header_at(auth: OAuth2Auth, session: aiohttp.ClientSession, t: float) -> str:
        now[0] = t
        header = await auth.header(session)
        await asyncio.sleep(0.05)  # let a refresh begun by it end
        return header

    async def run(url: str) -> tuple[list[str], list[int], HaltError]:
        auth = OAuth2Auth("client-7", SECRET, f"{url}/oauth2/token", clock=lambda: now[0])
        asked = []
        async with aiohttp.ClientSession() as session:
            seen = []
            for t in (0.0, 8.0, 8.5, 9.0, 9.5):  # due at 8; failing: again at 9, 9.5
                seen.append(await header_at(auth, session, t))
                asked.append(len(server.seen))
            now[0] = 10.0  # run out, and no new token: the run halts
            with pytest.raises(HaltError) as caught:
                await auth.header(session)
        return seen, asked, caught.value

    server = Served(tokens)
    with server:
        seen, asked, error = asyncio.run(run(server.url))
    assert seen == ["Bearer tok-1-5a4b3c2d1e"] * 5
    assert asked == [1, 2, 2, 3, 4]
    assert "answered HTTP 503 without a usable token" in error.message
