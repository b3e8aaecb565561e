"""Hostile answers over real HTTP: too deep, too long, contradicting themselves.

Each test drives the real ``HttpSender`` (or the whole CLI) against a server
on 127.0.0.1 that answers what no vendor should: issue 17, "Answers".
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from conftest import API_KEY, only_report, report_rows, write_csv
from hostile import OK, GiB, Seen, Served, endless, json_answer

from batch_anonymizer.api.auth import ApiKeyAuth
from batch_anonymizer.api.classify import Answer, Kind, classify, classify_lookup
from batch_anonymizer.api.endpoint import Endpoint
from batch_anonymizer.api.sender import HttpSender
from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.records import KeyType

DEEP_JSON = b'{"Data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"  # 200 KB: under the cap
DUPLICATE_ERROR = (
    b'{"Error": {"Message": "Email is not valid", "Code": 300004}, "Error": null, '
    b'"Data": {"message": "Record updated successfully"}}'
)
DATA_AND_ERROR = (
    b'{"Data": {"message": "Record updated successfully"}, '
    b'"Error": {"Message": "Email is not valid", "Code": 300004}}'
)
ERROR_NULL = b'{"Error": null, "Data": {"message": "Record updated successfully"}}'


async def send_once(url: str, *, method: str = "POST", timeout: float = 10) -> Answer:
    async with HttpSender(
        Endpoint.for_base_url(url), ApiKeyAuth(API_KEY), timeout=timeout, connections=1
    ) as sender:
        if method == "GET":
            return await sender.lookup(KeyType.EMAIL, "a0@example.com")
        return await sender.anonymize(KeyType.EMAIL, "a0@example.com")


def test_a_200_nested_100000_deep_is_a_transient_bad_answer_that_may_have_acted() -> None:
    async def deep(request: web.Request, seen: Seen) -> web.Response:
        return json_answer(DEEP_JSON)

    with Served(deep) as server:
        answer = asyncio.run(send_once(server.url))
        looked = asyncio.run(send_once(server.url, method="GET"))
    verdict = classify(answer)
    assert (answer.status, answer.oversized, len(answer.body)) == (200, False, 200_010)
    assert (verdict.kind, verdict.code, verdict.uncertain) == (Kind.TRANSIENT, R.BAD_ANSWER, True)
    lookup = classify_lookup(looked)
    assert (lookup.kind, lookup.code, lookup.records) == (Kind.TRANSIENT, R.BAD_ANSWER, None)


R = Reason


def test_a_run_goes_on_past_deep_and_self_contradicting_answers(cli, tmp_path: Path) -> None:
    """One bad answer used to end the run with a RecursionError; now it is one line."""
    hostile = {
        "a1@example.com": DEEP_JSON,
        "a3@example.com": DUPLICATE_ERROR,
        "a5@example.com": DATA_AND_ERROR,
        "a7@example.com": ERROR_NULL,
    }
    keys = [f"a{i}@example.com" for i in range(9)]

    async def vendor(request: web.Request, seen: Seen) -> web.Response:
        return json_answer(hostile.get(seen.key, OK))

    with Served(vendor) as server:
        res = cli(
            "run", write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in keys]),
            "--base-url", server.url, "--yes", "--no-verify", "--rate", "0",
            "--max-retries", "0", "--concurrency", "1", "--max-consecutive-failures", "50",
            "--no-progress",
        )  # fmt: skip
        sent = [s.key for s in server.seen]
    assert "Traceback" not in res.err
    assert res.code == 1, res.out + res.err
    assert sent == keys  # every key was sent once, also those after a bad answer
    rows = report_rows(only_report(tmp_path / "reports"))
    got = [(r["key"], r["status"], r["error_code"], r["unknown_attempts"]) for r in rows]
    ok, bad = ("success", "", "0"), ("failed", "retries_exhausted", "1")
    assert got == [
        (k, *(bad if k in hostile else ok)) for k in keys
    ]  # bad: not a success, and marked "the vendor may have acted"
    for row in rows:
        if row["key"] in hostile:
            assert "may have acted" in row["message"]


def chunks_of_gzip(total: int = GiB) -> Iterator[bytes]:
    """1 GiB of zeros, gzip-compressed on the fly (about 1 MB on the wire)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    for _ in range(total // len(block)):
        out = z.compress(block)
        if out:
            yield out
    yield z.flush()


def _sized_bomb() -> bytes:
    """16 MiB of zeros as ~16 KB of gzip, whole: an answer whose Content-Length is small."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    return z.compress(bytes(16 * 1024 * 1024)) + z.flush()


SIZED_BOMB = _sized_bomb()

HUGE = {
    "chunked, endless": ({}, None, lambda: endless(b'{"Data": [')),
    "Content-Length 1 GiB": ({}, GiB, lambda: endless(b" ")),
    "gzip bomb": ({"Content-Encoding": "gzip"}, None, chunks_of_gzip),
    # a small Content-Length, a body that inflates: read in chunks all the same
    "gzip bomb, 16 KB long": ({"Content-Encoding": "gzip"}, len(SIZED_BOMB), lambda: [SIZED_BOMB]),
}


@pytest.mark.parametrize("case", list(HUGE))
def test_a_1_gib_answer_is_never_read_and_never_a_success(case: str) -> None:
    headers, length, chunks = HUGE[case]

    async def huge(request: web.Request, seen: Seen) -> web.StreamResponse:
        return await server.stream(request, chunks(), length=length, headers=headers)

    with Served(huge) as server:
        tracemalloc.start()
        started = time.monotonic()
        try:
            answer = asyncio.run(send_once(server.url))
            elapsed = time.monotonic() - started
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 10 * 1024 * 1024, f"{peak / 1e6:.1f} MB traced while reading one answer"
    assert elapsed < 5.0
    assert server.streamed and server.streamed[0] < 64 * 1024 * 1024  # the client hung up early
    verdict = classify(answer)
    assert (answer.status, answer.oversized, answer.body) == (200, True, b"")
    assert (verdict.kind, verdict.code, verdict.uncertain) == (Kind.TRANSIENT, R.BAD_ANSWER, True)
    assert "over 256 KB" in verdict.message


def test_an_answer_just_under_the_cap_is_read_whole() -> None:
    record = b'{"email": "b@example.com"},'
    body = b'{"Data": [' + record * 9000 + b'{"email": "a0@example.com"}]}'  # 243 KB

    async def long_lookup(request: web.Request, seen: Seen) -> web.Response:
        return json_answer(body)

    with Served(long_lookup) as server:
        answer = asyncio.run(send_once(server.url, method="GET"))
    verdict = classify_lookup(answer)
    assert (answer.oversized, len(answer.body)) == (False, len(body))
    assert (verdict.kind, verdict.records) == (Kind.SUCCESS, 9001)
