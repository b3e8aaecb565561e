"""What the sandbox tests share: a sandbox in a thread, a fake clock, ways to call it.

Not a ``conftest.py``: a second ``conftest`` module would shadow
``tests/conftest.py`` for every ``from conftest import ...`` in the tree (pytest
runs without ``__init__.py`` files). Modules take the seeded sandbox fixture
with ``sbx = pytest.fixture(seeded_sandbox, name="sbx")``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from batch_anonymizer.sandbox import Faults, Sandbox, SandboxThread

KEY = "sbx-key-5d1c0e"
AUTH = {"Authorization": f"api_key {KEY}"}
OK_JSON = {"Data": {"message": "Record updated successfully"}}
OK_XML = "<Data><message>Record updated successfully</message></Data>"


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


def seeded_sandbox() -> Iterator[SandboxThread]:
    """A running sandbox holding ann@example.com and +44 7700 900123."""
    with run_sandbox() as thread:
        thread.sandbox.seed(["ann@example.com"], ["+44 7700 900123"])
        yield thread


# -- for faults: failures are results -------------------------------------------

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
