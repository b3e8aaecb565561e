"""The sandbox's unsubscribe (stop) list: POST adds an email, GET lists them, 100 a page."""

from __future__ import annotations

import asyncio

import aiohttp
from sandbox_helpers import call, run_sandbox, send

PATH = "/v4.1/lists/unsubscribe.json"


def test_post_adds_each_address_once_and_get_lists_them_by_page() -> None:
    with run_sandbox() as thread:
        url = thread.url

        async def go() -> list:
            async with aiohttp.ClientSession() as session:
                out = []
                for i in range(120):
                    out.append(
                        await send(session, url, path=PATH, data={"email": f"u{i}@example.com"})
                    )
                out.append(await send(session, url, path=PATH, data={"email": "U0@EXAMPLE.COM"}))
                return out

        answers = asyncio.run(go())
        first = call(url, "GET", path=PATH)
        second = call(url, "GET", path=PATH, params={"page": "2"})
        box = thread.sandbox
    assert {a.status for a in answers} == {200}
    assert "Data" in answers[0].json()
    assert len(box.unsubscribed) == 120  # the same address in another case is not added twice
    assert [r["email"] for r in first.json()["Data"]] == [f"u{i}@example.com" for i in range(100)]
    assert [r["email"] for r in second.json()["Data"]] == [
        f"u{i}@example.com" for i in range(100, 120)
    ]
    assert len(box.unsubscribes()) == 121 and box.posts() == []  # not anonymize POSTs


def test_post_without_email_or_key_is_refused() -> None:
    with run_sandbox() as thread:
        missing = call(thread.url, path=PATH, data={})
        bad = call(thread.url, path=PATH, data={"email": "not-an-email"})
        no_key = call(thread.url, path=PATH, data={"email": "a@example.com"}, headers={})
        listed = thread.sandbox.unsubscribed
    assert (missing.status, missing.json()["Error"]["Code"]) == (400, 400402)
    assert (bad.status, bad.json()["Error"]["Code"]) == (400, 300004)
    assert no_key.status == 401
    assert listed == []
